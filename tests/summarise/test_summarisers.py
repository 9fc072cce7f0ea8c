"""What each summariser says: the facts an investigator needs, with entity ids kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dynatrace_agent.summarise import (
    normalise_rule,
    summarise_alerting_rules,
    summarise_bizevents,
    summarise_dql,
    summarise_entities,
    summarise_events,
    summarise_logs,
    summarise_metrics,
    summarise_problem,
    summarise_problems,
    summarise_sessions,
    summarise_slos,
    summarise_traces,
)
from dynatrace_agent.summarise.metrics import change_point

CHECKOUT = "SERVICE-9A1B2C3D4E5F6071"
PAYMENT = "SERVICE-0F1E2D3C4B5A6978"
T0 = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


def _ts(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_logs_counts_patterns_and_new_vs_usual() -> None:
    logs = [
        {
            "content": f"Timeout calling payment after {i} ms",
            "loglevel": "ERROR",
            "dt.entity.service": CHECKOUT,
            "service.name": "checkout",
        }
        for i in range(30)
    ] + [{"content": f"Request {i} ok", "loglevel": "INFO", "service.name": "cart"} for i in range(10)]
    baseline = [{"content": "Request 1 ok", "loglevel": "INFO"}]
    text = summarise_logs(logs, budget=800, baseline=baseline)
    assert text.startswith("40 log records (ERROR 30, INFO 10)")
    assert f"checkout ({CHECKOUT}): 30" in text
    new_part, usual_part = text.split("Usual patterns")
    assert "30× ERROR" in new_part and "Timeout calling payment after <num> ms" in new_part
    assert "e.g." not in new_part  # a pattern whose only masks are numbers needs no example
    assert "10× INFO" in usual_part


def test_logs_whole_window_counts_and_empty() -> None:
    text = summarise_logs(
        [{"content": "x", "loglevel": "ERROR"}], total=5000, level_counts={"ERROR": 4000, "INFO": 1000}
    )
    assert text.startswith("5,000 log records (ERROR 4,000, INFO 1,000); patterns below from a sample of 1")
    assert summarise_logs([], total=0, level_counts={}).startswith("No log records matched")


def _trace(trace: str, fail_leaf: bool, base_ms: float) -> list[dict[str, Any]]:
    spans = []
    parent = None
    for depth, (svc, name) in enumerate(
        [("SERVICE-00000000000000F1", "frontend"), (CHECKOUT, "checkout"), (PAYMENT, "payment")]
    ):
        span_id = f"{trace}-{depth}"
        spans.append(
            {
                "trace.id": trace,
                "span.id": span_id,
                "span.parent_id": parent,
                "span.name": f"GET /{name}",
                "dt.entity.service": svc,
                "service.name": name,
                "duration": str(int(base_ms * 1e6 / (depth + 1))),
                "request.is_failed": fail_leaf,
            }
        )
        parent = span_id
    return spans


def test_traces_percentiles_failures_and_origin() -> None:
    spans = []
    for i in range(20):
        spans += _trace(f"t{i:02d}", fail_leaf=i < 4, base_ms=100 + i)
    text = summarise_traces(spans, budget=1500)
    assert text.startswith("60 spans in 20 traces; failed 12 (20%)")
    assert "p50" in text and "p99" in text
    origins = text.split("Where failures originate")[1].split("\n")[1]
    assert origins == f"- payment ({PAYMENT}): 4 traces"
    assert "| t19 | frontend (SERVICE-00000000000000F1) | GET /frontend | 119 ms | |" in text.replace(
        "|  |", "| |"
    )
    assert "Top failing endpoints" in text


def test_traces_overall_figures_win() -> None:
    text = summarise_traces(_trace("a", False, 10), overall={"count": 9000, "failed": 90, "p90_ms": 800.0})
    assert text.startswith("9,000 spans in 1+ traces; failed 90 (1%)") and "p90 800 ms" in text


def test_metrics_stats_and_change_point() -> None:
    values: list[float | None] = [40.0, 41.0, 39.0, 40.5, None, 40.0, 900.0, 910.0, 905.0, 899.0, 902.0]
    record = {
        "timeframe": {"start": "2025-03-04T10:00:00.000000000Z", "end": "2025-03-04T10:11:00Z"},
        "interval": "60000000000",
        "dt.entity.service": CHECKOUT,
        "avg(dt.service.request.response_time)": values,
    }
    flat = dict(record, **{"dt.entity.service": PAYMENT, "avg(dt.service.request.response_time)": [5.0] * 11})
    text = summarise_metrics([flat, record], budget=600)
    assert "2 series of avg(dt.service.request.response_time); 1 with a level shift" in text
    rows = [line for line in text.splitlines() if line.startswith(f"| {CHECKOUT}")]
    assert (
        rows
        and "| 39 |" in rows[0]
        and "| 910 |" in rows[0]
        and "40.1→903 at 2025-03-04 10:06:00Z" in rows[0]
    )
    assert text.index(CHECKOUT) < text.index(PAYMENT)  # shifted series first
    assert change_point([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) is None


def test_sessions_new_rum_fields_and_top_errors() -> None:
    """Grail's user.sessions fields only; the top errors come from the real error.* counters."""
    sessions: list[dict[str, Any]] = [
        {
            "dt.rum.session.id": "s1",
            "dt.rum.user_tag": "alice",
            "error.count": "2",
            "error.http_5xx_count": "2",
            "frontend.name": ["shop"],
        },
        {
            "dt.rum.session.id": "s2",
            "dt.rum.instance.id": "8812",
            "error.count": 0,
            "frontend.name": ["shop"],
        },
        {
            "dt.rum.session.id": "s3",
            "dt.rum.user_tag": "alice",
            "dt.rum.instance.id": "7",
            "error.count": "1",
            "error.exception_count": "1",
            "error.has_crash": True,
            "frontend.name": ["shop", "checkout"],
        },
        # classic USQL names are not Grail fields: this record counts as one error-free session
        {"userSessionId": "s4", "userId": "carol", "userExperienceScore": "FRUSTRATED", "totalErrorCount": 3},
    ]
    text = summarise_sessions(sessions)
    assert text.startswith("3 sessions by 3 users; frustrated 2 (50%); with errors 2 (50%)"), text
    assert "applications: shop 3, ? 1, checkout 1" in text
    assert "| alice | 2 | 2 | 3 | shop |" in text and "| 8812 | 1 | 0 | 0 |" in text
    assert "carol" not in text
    assert "- 2 HTTP 5xx responses in 1 sessions" in text
    assert "- 1 exceptions in 1 sessions" in text and "- 1 crashes in 1 sessions" in text


def test_bizevents_before_after() -> None:
    events = [
        {"timestamp": _ts(m), "event.type": "order.placed", "event.provider": "shop"} for m in range(0, 30)
    ]
    events += [{"timestamp": _ts(30 + m * 3), "event.type": "order.placed"} for m in range(10)]
    text = summarise_bizevents(events, split_at=T0 + timedelta(minutes=30))
    assert "Before/after 2025-03-04 10:30:00Z" in text
    assert "order.placed: 1/min before → 0.37/min after (-63%); 30 → 10 events" in text
    assert "Volume per 5 min" in text


def test_events_timeline_closest_before_anchor_first() -> None:
    events = [
        {
            "timestamp": _ts(5),
            "event.id": "e-early",
            "event.type": "CUSTOM_CONFIGURATION",
            "event.name": "Flag on",
            "dt.source_entity": PAYMENT,
        },
        {
            "timestamp": _ts(15),
            "event.id": "e-deploy",
            "event.type": "CUSTOM_DEPLOYMENT",
            "event.name": "Deploy checkout 2.14.0",
            "dt.entity.service": CHECKOUT,
            "deployment.version": "2.14.0",
        },
        {"timestamp": _ts(40), "event.id": "e-after", "event.type": "CUSTOM_INFO", "event.name": "Note"},
    ]
    text = summarise_events(events, anchor=T0 + timedelta(minutes=20))
    assert text.startswith("3 events on 2 entities, 2 of them deployments or configuration changes")
    assert (
        "Around the anchor 2025-03-04 10:20:00Z: 2 before it (2 within 15 min, 2 within an hour), 1 after"
        in text
    )
    changes, others = text.split("Other events")
    lines = [line for line in changes.splitlines() if line.startswith("- ")]
    assert lines[0].startswith(
        f"- 10:15:00 (5 min before) CUSTOM_DEPLOYMENT {CHECKOUT}: Deploy checkout 2.14.0"
    )
    assert "[id e-deploy]" in lines[0] and "e-early" in lines[1] and "(15 min before)" in lines[1]
    assert "- 10:40:00 (20 min after) CUSTOM_INFO (no entity): Note [id e-after]" in others


def test_problems_table_and_detail() -> None:
    problem = {
        "problemId": "-123_1741083300000V2",
        "displayId": "P-250304",
        "title": "Response time degradation",
        "status": "OPEN",
        "severityLevel": "PERFORMANCE",
        "impactLevel": "SERVICES",
        "startTime": 1741083300000,
        "endTime": -1,
        "rootCauseEntity": {"entityId": {"id": CHECKOUT, "type": "SERVICE"}, "name": "checkout"},
        "affectedEntities": [{"entityId": {"id": CHECKOUT, "type": "SERVICE"}, "name": "checkout"}],
        "impactedEntities": [],
        "evidenceDetails": {
            "totalCount": 2,
            "details": [
                {
                    "evidenceType": "EVENT",
                    "displayName": "Deployment",
                    "entity": {"entityId": {"id": CHECKOUT}, "name": "checkout"},
                    "rootCauseRelevant": False,
                    "startTime": 1741083000000,
                    "eventId": "ev1",
                },
                {
                    "evidenceType": "METRIC",
                    "displayName": "Response time",
                    "entity": {"entityId": {"id": CHECKOUT}, "name": "checkout"},
                    "rootCauseRelevant": True,
                    "startTime": 1741083300000,
                    "valueBeforeChangePoint": 40,
                    "valueAfterChangePoint": 900,
                    "unit": "ms",
                },
            ],
        },
        "recentComments": {
            "comments": [{"authorName": "ops", "content": "looking", "createdAtTimestamp": 1741083400000}]
        },
    }
    table = summarise_problems([problem])
    assert table.startswith("1 problems (OPEN 1); severity: PERFORMANCE 1")
    assert "| P-250304 | -123_1741083300000V2 | OPEN |" in table and f"checkout ({CHECKOUT})" in table
    detail = summarise_problem(problem, link="https://x/#problems")
    assert detail.startswith("P-250304 (-123_1741083300000V2): Response time degradation")
    evidence = detail.split("Evidence:")[1].splitlines()
    assert evidence[1].startswith("- [root cause] METRIC: Response time") and "(40 → 900 ms)" in evidence[1]
    assert "ops: looking" in detail and "link: https://x/#problems" in detail


def test_entities_topology_once_per_edge() -> None:
    entities = [
        {
            "entityId": CHECKOUT,
            "type": "SERVICE",
            "displayName": "checkout",
            "fromRelationships": {"calls": [{"id": PAYMENT, "type": "SERVICE"}]},
        },
        {
            "entityId": PAYMENT,
            "type": "SERVICE",
            "displayName": "payment",
            "toRelationships": {"calls": [{"id": CHECKOUT, "type": "SERVICE"}]},
        },
    ]
    text = summarise_entities(entities)
    assert text.startswith("2 entities (SERVICE 2)")
    assert text.count(f"- checkout ({CHECKOUT}) calls payment ({PAYMENT})") == 1


def test_alerting_rules_both_schemas() -> None:
    metric_event = {
        "objectId": "obj1",
        "schemaId": "builtin:anomaly-detection.metric-events",
        "value": {
            "enabled": True,
            "summary": "High CPU",
            "queryDefinition": {"metricSelector": "builtin:host.cpu.usage"},
            "modelProperties": {
                "type": "STATIC_THRESHOLD",
                "threshold": 90.0,
                "alertCondition": "ABOVE",
                "samples": 5,
                "violatingSamples": 3,
            },
        },
    }
    detector = {
        "objectId": "obj2",
        "schemaId": "builtin:davis.anomaly-detectors",
        "value": {
            "enabled": False,
            "title": "Checkout errors",
            "analyzer": {
                "name": "dt.statistics.ui.anomaly_detection.StaticThresholdAnomalyDetectionAnalyzer",
                "input": [
                    {"key": "query", "value": "fetch logs | makeTimeseries count()"},
                    {"key": "threshold", "value": "50"},
                    {"key": "alertCondition", "value": "ABOVE"},
                ],
            },
        },
    }
    rule = normalise_rule(detector)
    assert (
        rule["kind"] == "davis_anomaly_detector"
        and rule["threshold"] == 50.0
        and rule["model"] == "StaticThreshold"
    )
    text = summarise_alerting_rules([metric_event, detector])
    assert text.startswith(
        "2 alerting rules (davis_anomaly_detector 1, metric_event 1); 1 enabled, 1 disabled"
    )
    assert "- builtin:host.cpu.usage: 1 rules, 1 enabled; STATIC_THRESHOLD ABOVE 90 1" in text
    assert (
        "| High CPU | yes | metric_event | builtin:host.cpu.usage | STATIC_THRESHOLD | ABOVE 90 | 3 of 5 "
        "| obj1 |" in text
    )
    assert "| Checkout errors | no | davis_anomaly_detector |" in text and "| obj2 |" in text


def test_slos_definitions_with_evaluations() -> None:
    """Status comes from evaluationResults; classic status/evaluatedPercentage are not read."""
    platform = {
        "id": "a",
        "name": "Checkout availability",
        "criteria": [{"timeframeFrom": "now-7d", "timeframeTo": "now", "target": 99.5, "warning": 99.8}],
        "customSli": {"indicator": "timeseries x"},
        "evaluationResults": [
            {"criteria": "now-7d - now", "status": "FAILURE", "value": 98.25, "errorBudget": -250}
        ],
    }
    classic = {
        "id": "b",
        "name": "Legacy",
        "target": 95,
        "warning": 97.5,
        "timeframe": "-1d",
        "metricExpression": "(100)*(builtin:service.errors.server.successCount)",
        "status": "WARNING",
        "evaluatedPercentage": 96.1,
    }
    text = summarise_slos([platform, classic])
    assert text.startswith("2 SLOs; evaluated: 1 FAILURE")
    assert (
        "| Checkout availability | a | 99.5 | 99.8 | now-7d .. now | FAILURE 98.2% (budget -250%) "
        "| timeseries x |" in text
    )
    assert "| Legacy | b | 95 | 97.5 | -1d | not evaluated |" in text and "96.1" not in text


def test_dql_profile_and_examples() -> None:
    rows = [{"count()": str(i), "loglevel": "ERROR" if i % 2 else "INFO"} for i in range(10)]
    text = summarise_dql(rows)
    assert text.startswith("10 records with 2 fields")
    assert "- count(): min 0, avg 4.5, max 9" in text
    assert "- loglevel: 2 values: ERROR 5, INFO 5" in text
    assert summarise_dql([]).startswith("The query returned no records")


def test_log_pattern_lines_carry_times_trace_and_pod() -> None:
    from dynatrace_agent.summarise.logs import summarise_logs

    records = [
        {
            "timestamp": f"2025-03-11T14:{20 + i:02d}:00Z",
            "content": f"Authorization failed for ord-{i}",
            "loglevel": "ERROR",
            "service.name": "payment",
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736" if i == 2 else None,
            "k8s.pod.name": "payment-7d9f-x2",
        }
        for i in range(5)
    ]
    text = summarise_logs(records, error_times={"payment": ("2025-03-11T14:19:30Z", "2025-03-11T14:41:00Z")})
    line = next(x for x in text.splitlines() if "Authorization failed" in x)
    assert "(14:20:00–14:24:00Z)" in line and "times on 2025-03-11" in text  # the date said once
    assert "[trace 4bf92f3577b34da6a3ce929d0e0e4736, pod payment-7d9f-x2]" in line
    assert "- payment: 5 (100%); errors 14:19:30–14:41:00Z" in text


def test_change_events_keep_description_and_provider() -> None:
    from dynatrace_agent.summarise.events import summarise_events

    event = {
        "timestamp": "2025-03-11T14:19:00.000Z",
        "event.id": "886_1741702740000",
        "event.type": "CUSTOM_DEPLOYMENT",
        "event.name": "Deploy payment 2.8.0",
        "event.description": "Helm upgrade payment 2.7.4 -> 2.8.0 (PSP API 2024-10 migration)",
        "event.provider": "argocd",
        "dt.entity.service": PAYMENT,
        "deployment.version": "2.8.0",
    }
    same = dict(event, **{"event.id": "2", "event.name": "Flag x", "event.description": "Flag x"})
    same["event.type"] = "CUSTOM_CONFIGURATION"
    text = summarise_events([event, same])
    line = next(x for x in text.splitlines() if "Deploy payment" in x)
    assert "— “Helm upgrade payment 2.7.4 -> 2.8.0 (PSP API 2024-10 migration)”" in line
    assert ", by argocd [id 886_1741702740000]" in line
    assert "“Flag x”" not in text  # a description that only repeats the name is not shown twice
