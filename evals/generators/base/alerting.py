"""Alerting configuration of the tenant: metric events, Davis anomaly detectors and SLOs.

These are the rules that would have fired (or stayed quiet) during the incident; a good
investigation reads them to explain why an alert opened and which thresholds matter.
"""

from __future__ import annotations

import base64
from typing import Any

from evals.generators.base.rng import CaseRandom
from evals.generators.base.tenant import Tenant

METRIC_EVENTS = "builtin:anomaly-detection.metric-events"
ANOMALY_DETECTORS = "builtin:davis.anomaly-detectors"


def _object_id(rng: CaseRandom, schema: str) -> str:
    raw = b"\x00\x00\x00\x01" + schema.encode() + b"\x00tenant\x00" + rng.uuid().encode()
    return "vu9U3hXa3q0AAAAB" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _item(
    rng: CaseRandom, schema: str, version: str, summary: str, value: dict[str, Any], created_ms: int
) -> dict[str, Any]:
    modified = created_ms + rng.randint(1, 90) * 86_400_000
    author = rng.pick(("sre-platform@example.com", "monaco-pipeline", "jdoe@example.com", "terraform"))
    return {
        "objectId": _object_id(rng, schema),
        "schemaId": schema,
        "schemaVersion": version,
        "scope": "environment",
        "summary": summary,
        "searchSummary": summary,
        "updateToken": base64.b64encode(rng.lower_hex(24).encode()).decode(),
        "created": created_ms,
        "modified": modified,
        "createdBy": author,
        "modifiedBy": author,
        "author": author,
        "owner": {"type": "user", "id": rng.uuid()},
        "resourceContext": {"operations": ["read", "write", "delete"], "modifications": {}},
        "value": value,
    }


def settings_objects(
    tenant: Tenant,
    rng: CaseRandom,
    watched: tuple[str, ...],
    now_ms: int,
    with_bizevents: bool,
    bizevent_type: str | None,
) -> list[dict[str, Any]]:
    """Metric events on the watched services and hosts, plus DQL anomaly detectors."""
    created = now_ms - 200 * 86_400_000
    items: list[dict[str, Any]] = []
    for key in watched:
        s = tenant.services[key]
        items.append(
            _item(
                rng,
                METRIC_EVENTS,
                "1.0.14",
                f"{s.name} failure rate above 5%",
                {
                    "enabled": True,
                    "summary": f"{s.name} failure rate above 5%",
                    "legacyId": None,
                    "queryDefinition": {
                        "type": "METRIC_SELECTOR",
                        "metricSelector": f'builtin:service.errors.total.rate:filter(eq("dt.entity.service",'
                        f'"{s.id}")):splitBy("dt.entity.service"):avg',
                        "queryOffset": None,
                        "managementZone": None,
                    },
                    "modelProperties": {
                        "type": "STATIC_THRESHOLD",
                        "threshold": 5.0,
                        "alertCondition": "ABOVE",
                        "alertOnNoData": False,
                        "samples": 5,
                        "violatingSamples": 3,
                        "dealertingSamples": 5,
                    },
                    "eventTemplate": {
                        "title": f"{s.name} failure rate high",
                        "description": (
                            "Failure rate of {dims:dt.entity.service.name} is {alert_condition} {threshold}%"
                        ),
                        "eventType": "ERROR",
                        "davisMerge": True,
                        "metadata": [],
                    },
                    "eventEntityDimensionKey": "dt.entity.service",
                },
                created + rng.randint(0, 50) * 86_400_000,
            )
        )
        items.append(
            _item(
                rng,
                METRIC_EVENTS,
                "1.0.14",
                f"{s.name} response time (auto-adaptive)",
                {
                    "enabled": rng.random() < 0.8,
                    "summary": f"{s.name} response time (auto-adaptive)",
                    "legacyId": None,
                    "queryDefinition": {
                        "type": "METRIC_KEY",
                        "metricKey": "builtin:service.response.time",
                        "aggregation": "PERCENTILE90",
                        "queryOffset": None,
                        "managementZone": None,
                        "entityFilter": {
                            "dimensionKey": "dt.entity.service",
                            "conditions": [{"type": "ENTITY_ID", "operator": "EQUALS", "value": s.id}],
                        },
                        "dimensionFilter": [],
                    },
                    "modelProperties": {
                        "type": "AUTO_ADAPTIVE_THRESHOLD",
                        "signalFluctuation": 2.0,
                        "alertCondition": "ABOVE",
                        "alertOnNoData": False,
                        "samples": 5,
                        "violatingSamples": 3,
                        "dealertingSamples": 5,
                    },
                    "eventTemplate": {
                        "title": f"{s.name} slowdown",
                        "description": "p90 response time above baseline",
                        "eventType": "SLOWDOWN",
                        "davisMerge": True,
                        "metadata": [],
                    },
                    "eventEntityDimensionKey": "dt.entity.service",
                },
                created + rng.randint(0, 50) * 86_400_000,
            )
        )
    items.append(
        _item(
            rng,
            METRIC_EVENTS,
            "1.0.14",
            "Host disk almost full",
            {
                "enabled": True,
                "summary": "Host disk almost full",
                "legacyId": None,
                "queryDefinition": {
                    "type": "METRIC_KEY",
                    "metricKey": "builtin:host.disk.usedPct",
                    "aggregation": "MAX",
                    "queryOffset": None,
                    "managementZone": tenant.zone[1],
                },
                "modelProperties": {
                    "type": "STATIC_THRESHOLD",
                    "threshold": 90.0,
                    "alertCondition": "ABOVE",
                    "alertOnNoData": False,
                    "samples": 3,
                    "violatingSamples": 3,
                    "dealertingSamples": 3,
                },
                "eventTemplate": {
                    "title": "Disk usage above 90%",
                    "description": "Disk {dims:dt.entity.disk} is almost full",
                    "eventType": "RESOURCE",
                    "davisMerge": True,
                    "metadata": [
                        {"metadataKey": "runbook", "metadataValue": "https://wiki.example.com/runbooks/disk"}
                    ],
                },
                "eventEntityDimensionKey": "dt.entity.host",
            },
            created,
        )
    )
    items.append(
        _item(
            rng,
            ANOMALY_DETECTORS,
            "1.0.6",
            "Error logs per service",
            {
                "enabled": True,
                "title": "Error logs per service",
                "description": "More than 40 error log lines per minute on one service",
                "source": "Davis Anomaly Detection",
                "executionSettings": {"actor": rng.uuid(), "queryOffset": None, "delay": None},
                "analyzer": {
                    "name": "dt.statistics.ui.anomaly_detection.StaticThresholdAnomalyDetectionAnalyzer",
                    "input": [
                        {
                            "key": "query",
                            "value": 'fetch logs | filter loglevel == "ERROR" | makeTimeseries '
                            "count = count(default: 0), by: {dt.entity.service}, "
                            "interval: 1m",
                        },
                        {"key": "threshold", "value": "40"},
                        {"key": "alertCondition", "value": "ABOVE"},
                        {"key": "alertOnMissingData", "value": "false"},
                        {"key": "violatingSamples", "value": "3"},
                        {"key": "slidingWindow", "value": "5"},
                        {"key": "dealertingSamples", "value": "5"},
                    ],
                },
                "eventTemplate": {
                    "properties": [
                        {"key": "event.type", "value": "CUSTOM_ALERT"},
                        {"key": "event.name", "value": "Error log spike"},
                        {"key": "event.description", "value": "Error logs above 40/min"},
                        {"key": "dt.source_entity", "value": "{dims:dt.entity.service}"},
                    ]
                },
            },
            created,
        )
    )
    if with_bizevents and bizevent_type:
        items.append(
            _item(
                rng,
                ANOMALY_DETECTORS,
                "1.0.6",
                f"{bizevent_type} volume drop",
                {
                    "enabled": True,
                    "title": f"{bizevent_type} volume drop",
                    "description": "Completed business transactions below the seasonal baseline",
                    "source": "Davis Anomaly Detection",
                    "executionSettings": {"actor": rng.uuid(), "queryOffset": None, "delay": None},
                    "analyzer": {
                        "name": "dt.statistics.ui.anomaly_detection.SeasonalBaselineAnomalyDetectionAnalyzer",
                        "input": [
                            {
                                "key": "query",
                                "value": f'fetch bizevents | filter event.type == "{bizevent_type}"'
                                " | makeTimeseries count = count(default: 0), "
                                "interval: 1m",
                            },
                            {"key": "tolerance", "value": "4"},
                            {"key": "alertCondition", "value": "BELOW"},
                            {"key": "alertOnMissingData", "value": "true"},
                            {"key": "violatingSamples", "value": "5"},
                            {"key": "slidingWindow", "value": "10"},
                            {"key": "dealertingSamples", "value": "5"},
                        ],
                    },
                    "eventTemplate": {
                        "properties": [
                            {"key": "event.type", "value": "CUSTOM_ALERT"},
                            {"key": "event.name", "value": "Business volume drop"},
                            {"key": "event.description", "value": "Fewer completed transactions"},
                        ]
                    },
                },
                created,
            )
        )
    return items


def slos(tenant: Tenant, rng: CaseRandom, services: tuple[str, ...]) -> list[dict[str, Any]]:
    """Availability SLOs per service plus a latency SLO on the first (entry) service."""
    out: list[dict[str, Any]] = []
    for key in services:
        s = tenant.services[key]
        target = rng.pick((99.0, 99.5, 99.9))
        out.append(
            {
                "id": rng.lower_hex(8)
                + "-"
                + rng.lower_hex(4)
                + "-"
                + rng.lower_hex(4)
                + "-"
                + rng.lower_hex(12),
                "version": base64.b64encode(rng.lower_hex(12).encode()).decode(),
                "name": f"{s.name} availability",
                "description": f"Share of successful requests to {s.name}",
                "tags": [f"team:{s.team}", f"Stage:{tenant.env_tag.upper()}"],
                "criteria": [
                    {
                        "timeframeFrom": "now-7d",
                        "timeframeTo": "now",
                        "target": target,
                        "warning": round(min(99.99, target + 0.3), 2),
                    }
                ],
                "customSli": {
                    "indicator": "timeseries { total = sum(dt.service.request.count), failures = "
                    "sum(dt.service.request.failure_count) }, by: {dt.entity.service}, "
                    f'filter: {{ dt.entity.service == "{s.id}" }}\n'
                    "| fieldsAdd sli = (((total[] - failures[]) / total[]) * 100)"
                },
                "externalId": None,
            }
        )
    if services:
        s = tenant.services[services[0]]
        threshold_us = int(max(200_000, s.latency_ms * 6_000))
        out.append(
            {
                "id": rng.lower_hex(8)
                + "-"
                + rng.lower_hex(4)
                + "-"
                + rng.lower_hex(4)
                + "-"
                + rng.lower_hex(12),
                "version": base64.b64encode(rng.lower_hex(12).encode()).decode(),
                "name": f"{s.name} latency",
                "description": f"Share of minutes with average response time under {threshold_us // 1000} ms",
                "tags": [f"team:{s.team}"],
                "criteria": [
                    {"timeframeFrom": "now-28d", "timeframeTo": "now", "target": 95.0, "warning": 97.5}
                ],
                "customSli": {
                    "indicator": "timeseries rt = avg(dt.service.request.response_time), by: "
                    f'{{dt.entity.service}}, filter: {{ dt.entity.service == "{s.id}" }}\n'
                    f"| fieldsAdd sli = if(rt[] < {threshold_us}, 100, else: 0)"
                },
                "externalId": None,
            }
        )
    return out
