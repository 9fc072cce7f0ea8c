"""Tests of raw records → evidence models."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dynatrace_agent.analysis.evidence import metric_kind
from dynatrace_agent.analysis.signals import (
    change_events,
    impact,
    log_stats,
    metric_deviations,
    parse_interval,
    problem_info,
    trace_stats,
)

from .scenarios import START, WINDOW


def _iso(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _span(
    trace: str, sid: str, parent: str | None, svc: str, minute: float, ms: float, **kw: Any
) -> dict[str, Any]:
    return {
        "trace.id": trace,
        "span.id": sid,
        "span.parent_id": parent,
        "dt.entity.service": svc,
        "start_time": _iso(minute),
        "duration": str(int(ms * 1e6)),
        **kw,
    }


def _call(trace: str, minute: float, *, fail: bool, slow: bool) -> list[dict[str, Any]]:
    """frontend(server) → frontend(client) → checkout(server) → checkout(client, db)."""
    inner = 900.0 if slow else 30.0
    return [
        _span(
            trace,
            "a",
            None,
            "FRONT",
            minute,
            inner + 20,
            **{"span.kind": "server", "request.is_failed": fail},
        ),
        _span(
            trace, "b", "a", "FRONT", minute, inner + 10, **{"span.kind": "client", "request.is_failed": fail}
        ),
        _span(
            trace, "c", "b", "CHECKOUT", minute, inner, **{"span.kind": "server", "request.is_failed": fail}
        ),
        _span(
            trace,
            "d",
            "c",
            "CHECKOUT",
            minute,
            5,
            **{"span.kind": "client", "db.system": "postgresql", "request.is_failed": str(fail).lower()},
        ),
    ]


def test_trace_stats_baseline_incident_origins_and_self_time() -> None:
    spans: list[dict[str, Any]] = []
    for i in range(10):
        spans += _call(f"b{i}", -20 + i, fail=False, slow=False)
    for i in range(10):
        spans += _call(f"i{i}", 5 + i, fail=i < 6, slow=True)
    spans.append({"span.id": "x", "dt.entity.service": "FRONT", "start_time": _iso(-200)})  # outside
    stats = {t.service: t for t in trace_stats(spans, WINDOW, names={"FRONT": "frontend"}, source="q")}
    front, checkout = stats["FRONT"], stats["CHECKOUT"]
    assert front.name == "frontend" and front.source == "q"
    assert front.baseline.requests == 10 and front.incident.requests == 10
    assert front.incident.failures == 6 and front.incident.failure_rate == pytest.approx(0.6)
    assert front.incident.failure_origins == 0
    assert checkout.incident.failure_origins == 6
    assert checkout.incident.client_origin_failures == 6
    assert checkout.failing_dependencies == {"postgresql": 6}
    assert front.callees == ["CHECKOUT"]
    # self time of checkout grows, frontend's own time stays ~10 ms
    assert checkout.incident.self_p90_ms is not None and checkout.incident.self_p90_ms > 800
    assert front.incident.self_p90_ms == pytest.approx(10.0)
    assert front.incident.p90_ms == pytest.approx(920.0)
    assert front.incident.network_p90_ms == pytest.approx(10.0)
    assert checkout.first_incident_failure is not None
    assert len(checkout.example_trace_ids) == 3


def test_trace_stats_tolerates_garbage() -> None:
    assert trace_stats([{"foo": 1}, "not a dict", {"trace.id": "t", "start_time": "bad"}], WINDOW) == []  # type: ignore[list-item]


def test_log_stats_new_patterns_and_levels() -> None:
    logs = [
        {
            "timestamp": _iso(-10),
            "loglevel": "ERROR",
            "content": "slow query 120 ms",
            "dt.entity.service": "S1",
        },
        {
            "timestamp": _iso(3),
            "loglevel": "ERROR",
            "content": "slow query 800 ms",
            "dt.entity.service": "S1",
        },
        *[
            {
                "timestamp": _iso(4 + i),
                "status": "ERROR",
                "content": f"Connection refused to 10.0.0.{i}:5432",
                "dt.entity.service": "S1",
                "service.name": "checkout",
            }
            for i in range(4)
        ],
        {"timestamp": _iso(5), "loglevel": "WARN", "content": "retrying", "service.name": "cart"},
        {"timestamp": _iso(5), "loglevel": "INFO", "content": "fine", "dt.entity.service": "S1"},
    ]
    stats = {s.entity: s for s in log_stats(logs, WINDOW, source="fetch logs")}
    s1 = stats["S1"]
    assert (s1.baseline_errors, s1.incident_errors) == (1, 5)
    assert s1.name == "checkout"
    assert [p.pattern for p in s1.new_patterns] == ["Connection refused to <ip>"]
    assert s1.new_patterns[0].incident_count == 4
    assert s1.new_patterns[0].example.startswith("Connection refused to 10.0.0.")
    assert s1.first_incident_error is not None and s1.first_incident_error == START + timedelta(minutes=3)
    assert stats["cart"].incident_warnings == 1


def test_metric_deviations_case_file_shape() -> None:
    values: list[float | None] = [40.0 + (i % 3) for i in range(30)] + [400.0] * 29 + [None]
    series = {
        "metric.key": "dt.service.response.time",
        "dimensions": {"dt.entity.service": "SERVICE-1"},
        "start": _iso(-30),
        "interval": "1m",
        "unit": "MicroSecond",
        "values": values,
    }
    (dev,) = metric_deviations([series], WINDOW, source="ts")
    assert dev.entity_id == "SERVICE-1" and dev.kind == "latency" and dev.unit == "MicroSecond"
    assert dev.baseline_points == 30 and dev.incident_points == 29
    assert dev.baseline_mean == pytest.approx(41.0, abs=0.1)
    assert dev.incident_max == 400.0
    assert dev.z_score is not None and dev.z_score > 50
    assert dev.relative_change == pytest.approx(400 / 41.0 - 1, rel=0.01)


def test_metric_deviations_grail_shape_and_flat_baseline() -> None:
    record = {
        "timeframe": {"start": _iso(-30), "end": _iso(30)},
        "interval": "60000000000",
        "dt.entity.host": "HOST-1",
        "avg(dt.host.cpu.usage)": [10.0] * 30 + [10.2] * 30,
    }
    (dev,) = metric_deviations([record], WINDOW)
    assert dev.metric_key == "dt.host.cpu.usage" and dev.kind == "cpu" and dev.entity_id == "HOST-1"
    # flat baseline: std floored at 5 % of the mean, so a 2 % wobble is not an alarm
    assert dev.z_score == pytest.approx(0.4)
    assert (
        metric_deviations([{"values": [1], "start": "x", "metric.key": "k", "interval": "1m"}], WINDOW) == []
    )


def test_parse_interval() -> None:
    assert parse_interval("1m") == timedelta(minutes=1)
    assert parse_interval("30s") == timedelta(seconds=30)
    assert parse_interval(60_000_000_000) == timedelta(minutes=1)
    assert parse_interval("bogus") is None and parse_interval(0) is None


def test_metric_kind_classification() -> None:
    assert metric_kind("dt.service.request.count") == "throughput"
    assert metric_kind("dt.service.request.failure_count") == "failure"
    assert metric_kind("dt.kubernetes.container.cpu_throttled") == "cpu"
    assert metric_kind("dt.host.net.nic.packets.dropped") == "network"
    assert metric_kind("dt.host.disk.used.percent") == "disk"
    assert metric_kind("dt.kubernetes.node.pods") == "other"


def test_change_events_kinds_filter_and_timing() -> None:
    events: list[dict[str, Any]] = [
        {
            "timestamp": _iso(-12),
            "event.id": "dep-1",
            "event.type": "CUSTOM_DEPLOYMENT",
            "event.name": "Deploy checkout 2.14.0",
            "dt.entity.service": "SERVICE-1",
            "deployment.version": "2.14.0",
        },
        {
            "timestamp": _iso(-3),
            "event.id": "cfg-1",
            "event.type": "CUSTOM_CONFIGURATION",
            "event.name": "pool size",
            "dt.source_entity": "SERVICE-2",
            "config.key": "pool.size",
        },
        {
            "timestamp": _iso(-5),
            "event.id": "dep-x",
            "event.type": "CUSTOM_DEPLOYMENT",
            "dt.entity.service": "OTHER",
        },
        {
            "timestamp": _iso(1),
            "event.id": "err",
            "event.type": "ERROR_EVENT",
            "dt.entity.service": "SERVICE-1",
        },
        {
            "timestamp": _iso(-30),
            "event.id": "sdlc",
            "event.kind": "SDLC_EVENT",
            "event.type": "CUSTOM_INFO",
            "event.name": "Rollout of cart",
            "affected_entity_ids": ["SERVICE-2"],
        },
    ]
    changes = change_events(events, {"SERVICE-1", "SERVICE-2"}, START, source="fetch events")
    assert [c.event_id for c in changes] == ["sdlc", "dep-1", "cfg-1"]
    by_id = {c.event_id: c for c in changes}
    assert by_id["dep-1"].kind == "deployment" and by_id["dep-1"].minutes_from_start == -12
    assert by_id["dep-1"].details["deployment.version"] == "2.14.0"
    assert by_id["cfg-1"].kind == "configuration" and by_id["cfg-1"].entity_ids == ["SERVICE-2"]
    assert by_id["sdlc"].kind == "deployment"
    assert len(change_events(events, set(), START)) == 4  # no filter: every change, no Davis event


def test_impact_sessions_bizevents_slos() -> None:
    sessions: list[dict[str, Any]] = [
        {  # new RUM: two errors (one HTTP 5xx, one exception) make a session frustrated
            "start_time": _iso(2),
            "dt.rum.session.id": "s1",
            "dt.rum.user_tag": "u1",
            "error.count": 2,
            "error.http_5xx_count": 1,
            "error.exception_count": 1,
        },
        {"start_time": _iso(3), "dt.rum.session.id": "s2", "dt.rum.user_tag": "u1", "error.count": 0},
        {"start_time": _iso(3), "dt.rum.session.id": "s2", "dt.rum.user_tag": "u1"},  # duplicate
        {"start_time": _iso(-3), "dt.rum.session.id": "s0", "dt.rum.user_tag": "u0"},  # baseline
    ]
    biz = [{"timestamp": _iso(-10 - i % 20), "event.type": "order.placed"} for i in range(20)]
    biz += [{"timestamp": _iso(5), "event.type": "order.placed"} for _ in range(5)]
    slos: list[dict[str, Any]] = [
        {
            "id": "a",
            "name": "Checkout availability",
            "status": "FAILURE",
            "evaluatedPercentage": 97.0,
            "target": 99.5,
        },
        {"id": "b", "name": "Fine", "status": "SUCCESS", "evaluatedPercentage": 99.9, "target": 99.0},
        {
            "id": "c",
            "name": "Platform",
            "criteria": [{"target": 99.0}],
            "evaluationResults": [{"status": "WARNING", "value": 99.1, "errorBudget": 5}],
        },
    ]
    result = impact(sessions, biz, slos, WINDOW, estimated_affected_users=42)
    assert (result.sessions, result.affected_users, result.frustrated_sessions, result.error_sessions) == (
        2,
        1,
        1,
        1,
    )
    (volume,) = result.bizevents
    assert (volume.baseline_count, volume.incident_count) == (20, 5)
    assert volume.relative_change == pytest.approx(-0.75)
    assert [s.name for s in result.slos_at_risk] == ["Checkout availability", "Platform"]
    assert result.estimated_affected_users == 42
    empty = impact([], [], [], WINDOW)
    assert empty.sessions is None and empty.affected_users is None


def test_problem_info_from_api_record() -> None:
    record = {
        "problemId": "-1_1741083600000V2",
        "displayId": "P-250304",
        "title": "Failure rate increase",
        "status": "OPEN",
        "severityLevel": "ERROR",
        "impactLevel": "SERVICES",
        "startTime": 1741083600000,
        "endTime": -1,
        "affectedEntities": [{"entityId": {"id": "SERVICE-1", "type": "SERVICE"}, "name": "checkout"}],
        "impactedEntities": [{"entityId": {"id": "APPLICATION-1", "type": "APPLICATION"}, "name": "shop"}],
        "rootCauseEntity": {"entityId": {"id": "SERVICE-1", "type": "SERVICE"}, "name": "checkout"},
        "evidenceDetails": {
            "details": [
                {
                    "evidenceType": "METRIC",
                    "displayName": "Failure rate",
                    "entity": {"entityId": {"id": "SERVICE-1"}, "name": "checkout"},
                    "valueBeforeChangePoint": 0.1,
                    "valueAfterChangePoint": 12.5,
                    "unit": "Percent",
                    "rootCauseRelevant": True,
                }
            ]
        },
        "impactAnalysis": {"impacts": [{"estimatedAffectedUsers": 12}, {"estimatedAffectedUsers": "3"}]},
    }
    info = problem_info(record, source="GET /api/v2/problems/x")
    assert info.display_id == "P-250304" and info.end is None and info.start is not None
    assert info.root_cause_hint is not None and info.root_cause_hint.name == "checkout"
    assert info.affected[0].type == "SERVICE"
    assert info.evidence_summary == ["Failure rate on checkout (0.1 → 12.5 Percent) [root-cause relevant]"]
    assert info.estimated_affected_users == 15
    assert problem_info({}).problem_id == "unknown"


def test_problem_info_keeps_structured_davis_evidence() -> None:
    record = {
        "problemId": "p",
        "startTime": 1741083600000,
        "evidenceDetails": {
            "details": [
                {
                    "evidenceType": "TRANSACTIONAL",
                    "displayName": "Failure rate",
                    "entity": {"entityId": {"id": "SERVICE-2", "type": "SERVICE"}, "name": "engine"},
                    "valueBeforeChangePoint": "0.1",
                    "valueAfterChangePoint": 21.0,
                    "unit": "Percent",
                },
                {
                    "evidenceType": "EVENT",
                    "displayName": "engine 3.1.0",
                    "entity": {"entityId": {"id": "SERVICE-2", "type": "SERVICE"}, "name": "engine"},
                    "eventId": "77_1741083300000",
                    "eventType": "CUSTOM_DEPLOYMENT",
                    "startTime": 1741083300000,
                    "data": {"properties": [{"key": "deployment.version", "value": "3.1.0"}, {"key": 1}]},
                },
                "garbage",
                {"evidenceType": "EVENT"},
            ]
        },
    }
    info = problem_info(record)
    metric_ev, deploy, *rest = info.davis_evidence
    assert (metric_ev.entity_id, metric_ev.before, metric_ev.after) == ("SERVICE-2", 0.1, 21.0)
    assert deploy.event_type == "CUSTOM_DEPLOYMENT" and deploy.event_id == "77_1741083300000"
    assert deploy.properties == {"deployment.version": "3.1.0"}
    assert deploy.start is not None and info.start is not None and deploy.start < info.start
    assert rest == []  # garbage and an item naming neither entity nor event are dropped


def test_trace_stats_wire_time_per_callee() -> None:
    spans = []
    for i in range(6):
        for minute, slow_wire in ((-20, False), (10, True)):
            trace = f"t{i}{minute}"
            client_ms = 330.0 if slow_wire else 32.0
            spans += [
                _span(trace, "a", None, "FRONT", minute, client_ms + 5, **{"span.kind": "server"}),
                _span(trace, "b", "a", "FRONT", minute, client_ms, **{"span.kind": "client"}),
                _span(trace, "c", "b", "CHECKOUT", minute, 30, **{"span.kind": "server"}),
            ]
    stats = {t.service: t for t in trace_stats(spans, WINDOW)}
    gap = stats["FRONT"].call_gaps["CHECKOUT"]
    assert gap.baseline_p90_ms == pytest.approx(2.0) and gap.incident_p90_ms == pytest.approx(300.0)
    assert gap.incident_calls == 6
    assert stats["CHECKOUT"].call_gaps == {}
