"""Benchmark: summary tokens vs raw records, summariser throughput, budget adherence.

Generates a large synthetic tenant (by default 100k logs and 100k spans, plus the other data
types), then for each data type compares

- the tokens a plain DQL tool would return for the same question (100 records as JSON, as
  Dynatrace's MCP server does by default) with the tokens of our budgeted summary,
- the summariser's throughput over *all* records (MB of record JSON per second),
- whether every summary stayed within its budget (several budgets per type).

Records carry the fields Dynatrace returns: change events as ``fetch events`` gives them
(Events API v2 Davis events with ``dt.event.deployment.*``, SDLC events from the CD pipeline,
repeating autoscaler and feature-flag events), alerting rules as the Settings API v2 lists them
(``objectId, schemaId, schemaVersion, scope, summary, modified, value``, both schemas).

Run: ``python -m evals.bench.bench_summaries [--logs N] [--spans N] [--json OUT]``.
Targets: 100 % within budget, summaries ≥ 20× smaller than the raw records, ≥ 5 MB/s.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dynatrace_agent.summarise import (
    count_tokens,
    summarise_alerting_rules,
    summarise_bizevents,
    summarise_dql,
    summarise_entities,
    summarise_events,
    summarise_logs,
    summarise_metrics,
    summarise_problems,
    summarise_sessions,
    summarise_slos,
    summarise_traces,
)

Record = dict[str, Any]
NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)
SERVICES = [
    (f"SERVICE-{i:016X}", name)
    for i, name in enumerate(
        ["checkout", "payment", "cart", "frontend", "inventory", "shipping", "auth", "search"], start=0xA1
    )
]
HOSTS = [f"HOST-{0xB000 + i:016X}" for i in range(12)]
MESSAGES = [
    ("INFO", "Request {n} handled in {ms} ms for user {user}"),
    ("INFO", "Cache hit ratio {pct} for key order:{n}"),
    ("WARN", "Slow query on table orders took {ms} ms"),
    ("ERROR", "Timeout calling payment-gateway after {ms} ms (attempt {k})"),
    ("ERROR", "Connection refused to 10.0.{k}.{n}:5432"),
    ("ERROR", "NullPointerException in CheckoutController.submit line {n}"),
    ("DEBUG", "Span {hex} finished"),
]


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def gen_logs(n: int, rng: random.Random) -> list[Record]:
    """Log records shaped like ``fetch logs`` output."""
    out = []
    for i in range(n):
        level, template = MESSAGES[rng.randrange(len(MESSAGES))]
        service, name = SERVICES[rng.randrange(len(SERVICES))]
        text = template.format(
            n=rng.randrange(100000),
            ms=rng.randrange(5000),
            user=f"user{rng.randrange(500)}@example.com",
            pct=round(rng.random(), 3),
            k=rng.randrange(1, 9),
            hex=f"{rng.getrandbits(64):016x}",
        )
        out.append(
            {
                "timestamp": _iso(NOW - timedelta(seconds=i * 3600 / max(n, 1))),
                "content": text,
                "loglevel": level,
                "status": level,
                "dt.entity.service": service,
                "service.name": name,
                "dt.entity.host": HOSTS[rng.randrange(len(HOSTS))],
                "host.name": f"web-{rng.randrange(12)}",
                "k8s.namespace.name": "shop",
                "k8s.pod.name": f"{name}-{rng.getrandbits(24):06x}",
                "trace_id": f"{rng.getrandbits(128):032x}",
                "span_id": f"{rng.getrandbits(64):016x}",
                "log.source": f"/var/log/{name}.log",
                "dt.security_context": "shop",
            }
        )
    return out


def gen_spans(n: int, rng: random.Random) -> list[Record]:
    """Spans in traces of 4: frontend → checkout → payment → inventory; some fail at the leaf."""
    out: list[Record] = []
    chain = [SERVICES[3], SERVICES[0], SERVICES[1], SERVICES[4]]
    t = 0
    while len(out) < n:
        trace = f"{rng.getrandbits(128):032x}"
        fails = rng.random() < 0.05
        parent = None
        start = NOW - timedelta(seconds=t)
        t += 1
        for depth, (service, name) in enumerate(chain):
            span_id = f"{rng.getrandbits(64):016x}"
            duration = int(rng.lognormvariate(17, 0.8)) // (depth + 1)
            out.append(
                {
                    "trace.id": trace,
                    "span.id": span_id,
                    "span.parent_id": parent,
                    "span.name": f"POST /api/{name}",
                    "span.kind": "server" if depth == 0 else "client",
                    "start_time": _iso(start),
                    "end_time": _iso(start + timedelta(microseconds=duration / 1000)),
                    "duration": str(duration),
                    "dt.entity.service": service,
                    "service.name": name,
                    "request.is_failed": fails,
                    "request.is_root_span": depth == 0,
                    "http.request.method": "POST",
                    "http.route": f"/api/{name}",
                    "http.response.status_code": 500 if fails else 200,
                    "endpoint.name": f"/api/{name}",
                    "k8s.pod.name": f"{name}-{rng.getrandbits(24):06x}",
                }
            )
            parent = span_id
    return out[:n]


def gen_sessions(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "dt.rum.session.id": f"{rng.getrandbits(64):016x}",
            "dt.rum.user_tag": f"customer-{rng.randrange(2000)}",
            "dt.rum.instance.id": str(rng.getrandbits(60)),
            "dt.rum.user_type": "real_user",
            "error.count": str(errors := rng.randrange(4)),
            "error.http_5xx_count": str(errors // 2),
            "error.exception_count": str(errors - errors // 2),
            "frontend.name": ["shop-web"],
            "start_time": _iso(NOW - timedelta(seconds=i)),
            "duration": str(rng.randrange(10**9, 10**11)),
            "navigation_count": rng.randrange(20),
        }
        for i in range(n)
    ]


def gen_bizevents(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "timestamp": _iso(NOW - timedelta(seconds=i * 2)),
            "event.id": f"{rng.getrandbits(64):x}",
            "event.type": rng.choice(["order.placed", "cart.updated", "payment.failed"]),
            "event.provider": "shop.backend",
            "event.kind": "BIZ_EVENT",
            "amount": round(rng.random() * 300, 2),
            "currency": "EUR",
            "customer.id": f"customer-{rng.randrange(2000)}",
        }
        for i in range(n)
    ]


def _event_id(rng: random.Random, at: datetime) -> str:
    """Davis-style event id: a signed 64-bit number, underscore, start in epoch ms."""
    return f"{rng.getrandbits(63) - (1 << 62)}_{int(at.timestamp() * 1000)}"


def _davis_change(rng: random.Random, at: datetime, kind: str, service: int, name: str) -> Record:
    """A change event as ``fetch events`` returns one ingested through Events API v2."""
    entity, svc = SERVICES[service]
    return {
        "timestamp": _iso(at),
        "event.id": _event_id(rng, at),
        "event.kind": "DAVIS_EVENT",
        "event.type": kind,
        "event.name": name,
        "event.status": "CLOSED",
        "event.status_transition": "CLOSED",
        "event.start": _iso(at),
        "event.end": _iso(at + timedelta(minutes=15)),
        "event.provider": "EVENTS_REST_API_INGEST",
        "dt.source_entity": entity,
        "dt.entity.service": entity,
        "dt.entity.service.name": svc,
        "affected_entity_ids": [entity],
        "affected_entity_types": ["dt.entity.service"],
        "entity_tags": ["app:shop", f"team:{svc}", "env:production"],
        "maintenance.is_under_maintenance": False,
    }


def gen_events(n: int, rng: random.Random) -> list[Record]:
    """A day of change events on a busy Kubernetes tenant, as the events capability fetches them.

    Mostly autoscaler and other informational events that repeat, configuration changes
    (feature flags), a few deployments per service through Events API v2 and the matching SDLC
    events from the CD pipeline, and annotations; newest first, 22 h before to 2 h after ``NOW``.
    """
    versions = [rng.randrange(20, 90) for _ in SERVICES]
    replicas = [rng.randrange(2, 6) for _ in SERVICES]
    flags = ["new-pricing", "fast-checkout", "recommendations-v2", "cache-warmup"]
    out: list[Record] = []
    for i in range(n):
        at = NOW + timedelta(hours=2) - timedelta(seconds=i * 86_400 / max(n, 1))
        s = rng.randrange(len(SERVICES))
        svc = SERVICES[s][1]
        roll = rng.random()
        if roll < 0.05:
            versions[s] -= 1
            version = f"2.{versions[s]}.0"
            record = _davis_change(rng, at, "CUSTOM_DEPLOYMENT", s, f"Deploy {svc} {version}")
            record.update(
                {
                    "dt.event.deployment.name": f"{svc} {version}",
                    "dt.event.deployment.version": version,
                    "dt.event.deployment.project": "shop",
                    "dt.event.deployment.release_stage": "production",
                    "dt.event.deployment.ci_back_link": f"https://ci.example.com/{svc}/builds/{9000 - i}",
                }
            )
        elif roll < 0.10:
            version = f"2.{versions[s]}.0"
            started = at - timedelta(seconds=rng.randrange(30, 300))
            record = {
                "timestamp": _iso(at),
                "event.id": _event_id(rng, at),
                "event.kind": "SDLC_EVENT",
                "event.category": "task",
                "event.type": "deployment",
                "event.status": "finished",
                "event.provider": "argocd",
                "start_time": _iso(started),
                "end_time": _iso(at),
                "duration": int((at - started).total_seconds() * 1e9),
                "task.name": "sync",
                "task.outcome": rng.choice(["success"] * 9 + ["failure"]),
                "cicd.pipeline.id": f"shop-{svc}",
                "cicd.pipeline.run.id": str(40_000 + n - i),
                "deployment.name": svc,
                "deployment.version": version,
                "deployment.release_stage": "production",
                "artifact.name": svc,
                "artifact.version": version,
                "vcs.repository.url.full": f"https://git.example.com/shop/{svc}",
                "vcs.ref.head.revision": f"{rng.getrandbits(160):040x}",
            }
        elif roll < 0.25:
            flag = flags[rng.randrange(len(flags))]
            new = rng.choice(["true", "false"])
            record = _davis_change(
                rng, at, "CUSTOM_CONFIGURATION", s, f"Feature flag {svc}.{flag} set to {new}"
            )
            record.update(
                {
                    "config.key": f"{svc}.{flag}",
                    "config.old_value": "false" if new == "true" else "true",
                    "config.new_value": new,
                    "changed.by": rng.choice(["flagd", "alice@example.com", "bob@example.com"]),
                }
            )
        elif roll < 0.30:
            record = _davis_change(rng, at, "CUSTOM_ANNOTATION", s, f"Load test on {svc} started")
            record.update({"annotation.type": "load-test", "annotation.description": "k6 nightly, 200 VUs"})
        else:
            before = replicas[s]
            replicas[s] = before + (1 if before <= 2 else -1 if before >= 12 else rng.choice([-1, 1]))
            record = _davis_change(
                rng,
                at,
                "CUSTOM_INFO",
                s,
                f"HorizontalPodAutoscaler scaled {svc} from {before} to {replicas[s]} replicas",
            )
            record.update({"k8s.namespace.name": "shop", "k8s.workload.name": svc, "source": "k8s-events"})
        out.append(record)
    return out


def gen_metrics(n: int, rng: random.Random) -> list[Record]:
    out = []
    for i in range(n):
        values: list[float | None] = [40.0 + rng.random() * 5 for _ in range(60)]
        if i % 3 == 0:
            values[30:] = [900.0 + rng.random() * 50 for _ in range(30)]
        out.append(
            {
                "timeframe": {"start": _iso(NOW - timedelta(hours=1)), "end": _iso(NOW)},
                "interval": "60000000000",
                "dt.entity.service": f"SERVICE-{i:016X}",
                "avg(dt.service.request.response_time)": values,
            }
        )
    return out


def gen_problems(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "problemId": f"-{rng.getrandbits(62)}_1741083300000V2",
            "displayId": f"P-{250000 + i}",
            "title": "Response time degradation",
            "status": rng.choice(["OPEN", "CLOSED"]),
            "severityLevel": "PERFORMANCE",
            "impactLevel": "SERVICES",
            "startTime": 1741083300000 - i * 60000,
            "endTime": -1,
            "rootCauseEntity": {"entityId": {"id": SERVICES[0][0], "type": "SERVICE"}, "name": "checkout"},
            "affectedEntities": [
                {"entityId": {"id": s, "type": "SERVICE"}, "name": nm} for s, nm in SERVICES[:3]
            ],
            "impactedEntities": [{"entityId": {"id": SERVICES[3][0], "type": "SERVICE"}, "name": "frontend"}],
            "entityTags": [
                {
                    "context": "CONTEXTLESS",
                    "key": "team",
                    "value": "shop",
                    "stringRepresentation": "team:shop",
                }
            ],
        }
        for i in range(n)
    ]


def gen_entities(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "entityId": f"SERVICE-{i:016X}",
            "type": "SERVICE",
            "displayName": f"svc-{i}",
            "tags": [{"key": "team", "value": "shop", "stringRepresentation": "team:shop"}],
            "fromRelationships": {
                "calls": [{"id": f"SERVICE-{(i + 1) % n:016X}", "type": "SERVICE"}],
                "runsOn": [{"id": HOSTS[i % 12], "type": "HOST"}],
            },
            "toRelationships": {"calls": [{"id": f"SERVICE-{(i - 1) % n:016X}", "type": "SERVICE"}]},
            "properties": {"serviceType": "WEB_REQUEST_SERVICE", "softwareTechnologies": ["JAVA"]},
        }
        for i in range(n)
    ]


def _object_id(rng: random.Random, schema: str) -> str:
    """A settings objectId shaped like the Settings API v2's: base64url of a marker, the schema,
    the scope and a UUID (e.g. ``vu9U3hXa3q0AAAABACpidWlsdGluOmFub21hbHkt…-71TeFdrerQ``)."""
    uuid = f"{rng.getrandbits(128):032x}"
    uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}"
    marker = b"\xbe\xefT\xde\x15\xda\xde\xad"
    body = marker + b"\x00\x00\x00\x01\x00" + bytes([len(schema)]) + schema.encode()
    body += b"\x00\x06tenant\x00\x06tenant\x00$" + uuid.encode() + marker
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


_METRIC_RULES = [
    ("builtin:host.cpu.usage", "dt.entity.host", "High CPU on {g} hosts", "RESOURCE", 90.0),
    ("builtin:host.mem.usage", "dt.entity.host", "Memory pressure on {g} hosts", "RESOURCE", 85.0),
    ("builtin:host.disk.usedPct", "dt.entity.host", "Disk almost full on {g}", "RESOURCE", 90.0),
    ("builtin:service.response.time", "dt.entity.service", "Slow responses in {g}", "SLOWDOWN", 800_000.0),
    ("builtin:service.errors.server.rate", "dt.entity.service", "Server errors in {g}", "ERROR", 5.0),
    (
        "builtin:kubernetes.workload.pods",
        "dt.entity.cloud_application",
        "Pods missing in {g}",
        "AVAILABILITY",
        1.0,
    ),
]
_ZONES = ["prod-eu", "prod-us", "staging", "dev", "prod-apac", "dr"]
_GROUPS = [
    "checkout",
    "payment",
    "cart",
    "frontend",
    "inventory",
    "shipping",
    "auth",
    "search",
    "batch",
    "edge",
]
_DQL_RULES = [
    (
        'fetch logs | filter loglevel == "ERROR" and dt.entity.service == "{e}" | '
        "makeTimeseries errors = count(default: 0), interval: 1m",
        "Error logs in {g}",
    ),
    (
        'fetch bizevents | filter event.type == "order.placed" | '
        "makeTimeseries orders = count(default: 0), interval: 1m",
        "Order volume drop ({g})",
    ),
    (
        "timeseries p90 = percentile(dt.service.request.response_time, 90), "
        'filter: dt.entity.service == "{e}", interval: 1m',
        "p90 latency of {g}",
    ),
]


def _metric_event(rng: random.Random, i: int) -> Record:
    """A ``builtin:anomaly-detection.metric-events`` settings object (Settings API v2 list item)."""
    metric, dimension, title, event_type, threshold = _METRIC_RULES[i % len(_METRIC_RULES)]
    group = _GROUPS[(i // len(_METRIC_RULES)) % len(_GROUPS)]
    group += f" {_ZONES[(i // (len(_METRIC_RULES) * len(_GROUPS))) % len(_ZONES)]}"
    model = rng.choice(["STATIC_THRESHOLD"] * 3 + ["AUTO_ADAPTIVE_THRESHOLD", "SEASONAL_BASELINE"])
    props: dict[str, Any] = {
        "type": model,
        "alertCondition": "BELOW" if "missing" in title else "ABOVE",
        "alertOnNoData": False,
        "samples": 5,
        "violatingSamples": rng.choice([3, 3, 4]),
        "dealertingSamples": 5,
    }
    if model == "STATIC_THRESHOLD":
        props["threshold"] = threshold
    elif model == "AUTO_ADAPTIVE_THRESHOLD":
        props["signalFluctuation"] = 1.0
    else:
        props["tolerance"] = 4.0
    summary = title.format(g=group)
    schema = "builtin:anomaly-detection.metric-events"
    return {
        "objectId": _object_id(rng, schema),
        "schemaId": schema,
        "schemaVersion": "1.0.12",
        "scope": "environment",
        "summary": summary,
        "modified": 1740000000000 + i * 3_600_000,
        "value": {
            "enabled": rng.random() < 0.7,
            "summary": summary,
            "legacyId": None,
            "queryDefinition": {
                "type": "METRIC_KEY",
                "metricKey": metric,
                "aggregation": "AVG",
                "queryOffset": None,
                "entityFilter": {
                    "dimensionKey": dimension,
                    "conditions": [
                        {"type": "TAG", "operator": "EQUALS", "value": f"team:{group.split()[0]}"}
                    ],
                },
                "dimensionFilter": [],
            },
            "modelProperties": props,
            "eventTemplate": {
                "title": summary,
                "description": f"The {{metricname}} value was {{alert_condition}} normal on {group}.",
                "eventType": event_type,
                "davisMerge": True,
                "metadata": [{"metadataKey": "team", "metadataValue": group.split()[0]}],
            },
            "eventEntityDimensionKey": dimension,
        },
    }


def _anomaly_detector(rng: random.Random, i: int) -> Record:
    """A ``builtin:davis.anomaly-detectors`` settings object (a Davis DQL custom alert)."""
    query, title = _DQL_RULES[i % len(_DQL_RULES)]
    service, group = SERVICES[i % len(SERVICES)]
    name = title.format(g=group)
    schema = "builtin:davis.anomaly-detectors"
    analyzer = rng.choice(["StaticThreshold", "StaticThreshold", "AutoAdaptive"])
    inputs = [
        {"key": "query", "value": query.format(e=service)},
        {"key": "alertCondition", "value": "BELOW" if "drop" in name else "ABOVE"},
        {"key": "alertOnMissingData", "value": "false"},
        {"key": "violatingSamples", "value": "3"},
        {"key": "slidingWindow", "value": "5"},
        {"key": "dealertingSamples", "value": "5"},
    ]
    if analyzer == "StaticThreshold":
        inputs.insert(1, {"key": "threshold", "value": str(rng.choice([20, 50, 100]))})
    else:
        inputs.insert(1, {"key": "numberOfSignalFluctuations", "value": "1"})
    return {
        "objectId": _object_id(rng, schema),
        "schemaId": schema,
        "schemaVersion": "1.0.6",
        "scope": "environment",
        "summary": name,
        "modified": 1740000000000 + i * 3_600_000,
        "value": {
            "enabled": rng.random() < 0.8,
            "title": name,
            "description": f"Davis anomaly detector for {group}",
            "source": "Davis Anomaly Detection",
            "executionSettings": {"actor": f"{rng.getrandbits(128):032x}", "queryOffset": None},
            "analyzer": {
                "name": f"dt.statistics.ui.anomaly_detection.{analyzer}AnomalyDetectionAnalyzer",
                "input": inputs,
            },
            "eventTemplate": {
                "properties": [
                    {"key": "event.type", "value": "CUSTOM_ALERT"},
                    {"key": "event.name", "value": name},
                    {"key": "dt.source_entity", "value": "{dims:dt.entity.service}"},
                ]
            },
        },
    }


def gen_rules(n: int, rng: random.Random) -> list[Record]:
    """Alerting rules as the Settings API lists them: 70 % metric events, 30 % anomaly detectors."""
    return [_anomaly_detector(rng, i) if i % 10 >= 7 else _metric_event(rng, i) for i in range(n)]


def gen_slos(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "id": f"slo-{i}",
            "name": f"Checkout availability {i}",
            "version": "1",
            "criteria": [{"timeframeFrom": "now-7d", "timeframeTo": "now", "target": 99.5, "warning": 99.8}],
            "customSli": {
                "indicator": "timeseries { total=sum(dt.service.request.count) }, by:{dt.entity.service}"
            },
            "tags": ["team:checkout"],
        }
        for i in range(n)
    ]


def run(logs: int, spans: int, budgets: Sequence[int], seed: int = 7) -> dict[str, Any]:
    """Measure every data type; returns the figures as a JSON-ready dict."""
    rng = random.Random(seed)
    datasets: dict[str, tuple[list[Record], Callable[[list[Record], int], str]]] = {
        "logs": (gen_logs(logs, rng), lambda r, b: summarise_logs(r, budget=b)),
        "traces": (gen_spans(spans, rng), lambda r, b: summarise_traces(r, budget=b)),
        "user_sessions": (gen_sessions(20_000, rng), lambda r, b: summarise_sessions(r, budget=b)),
        "business_events": (
            gen_bizevents(20_000, rng),
            lambda r, b: summarise_bizevents(r, budget=b, split_at=NOW - timedelta(hours=2)),
        ),
        "events": (gen_events(2_000, rng), lambda r, b: summarise_events(r, budget=b, anchor=NOW)),
        "metrics": (gen_metrics(500, rng), lambda r, b: summarise_metrics(r, budget=b)),
        "problems": (gen_problems(1_000, rng), lambda r, b: summarise_problems(r, budget=b)),
        "entities": (gen_entities(2_000, rng), lambda r, b: summarise_entities(r, budget=b)),
        "alerting_rules": (gen_rules(500, rng), lambda r, b: summarise_alerting_rules(r, budget=b)),
        "slos": (gen_slos(300, rng), lambda r, b: summarise_slos(r, budget=b)),
        "dql": (gen_logs(20_000, rng), lambda r, b: summarise_dql(r, budget=b)),
    }
    results: dict[str, Any] = {}
    for name, (records, summarise) in datasets.items():
        raw_tokens = count_tokens(json.dumps(records[:100], indent=2))
        size_mb = sum(len(json.dumps(r)) for r in records) / 1e6
        runs = []
        for budget in budgets:
            started = time.perf_counter()
            text = summarise(records, budget)
            elapsed = time.perf_counter() - started
            runs.append({"budget": budget, "tokens": count_tokens(text), "seconds": elapsed})
        default = next((r for r in runs if r["budget"] == 1500), runs[0])
        within = sum(1 for r in runs if r["tokens"] <= r["budget"])
        results[name] = {
            "records": len(records),
            "records_mb": round(size_mb, 2),
            "raw_100_json_tokens": raw_tokens,
            "summary_tokens": default["tokens"],
            "ratio": round(raw_tokens / max(default["tokens"], 1), 1),
            "throughput_mb_s": round(size_mb / max(default["seconds"], 1e-9), 1),
            "within_budget": f"{within}/{len(runs)}",
        }
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--budgets", default="300,1500,4000")
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args(argv)
    budgets = [int(b) for b in args.budgets.split(",")]
    if 1500 not in budgets:
        budgets.append(1500)
    results = run(args.logs, args.spans, budgets)
    print(
        f"{'type':16} {'records':>8} {'MB':>7} {'raw100':>7} {'summary':>7} {'ratio':>6} {'MB/s':>6} budget"
    )
    for name, r in results.items():
        print(
            f"{name:16} {r['records']:>8,} {r['records_mb']:>7} {r['raw_100_json_tokens']:>7,} "
            f"{r['summary_tokens']:>7,} {r['ratio']:>5}x {r['throughput_mb_s']:>6} {r['within_budget']}"
        )
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)
    ok = all(r["within_budget"].split("/")[0] == r["within_budget"].split("/")[1] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
