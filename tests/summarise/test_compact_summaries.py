"""Compact summaries of events, DQL results and alerting rules: grouping, folding, ids kept.

Also checks the benchmark's synthetic records keep Dynatrace's field sets and that these three
summaries stay at least 20× smaller than 100 raw records as JSON, within every budget.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dynatrace_agent.summarise import (
    count_tokens,
    normalise_rule,
    summarise_alerting_rules,
    summarise_dql,
    summarise_events,
)
from dynatrace_agent.summarise.events import event_name, is_change
from evals.bench import bench_summaries as bench

CHECKOUT = "SERVICE-9A1B2C3D4E5F6071"
ANCHOR = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


def _at(minutes: float) -> str:
    return (ANCHOR + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hpa(i: int, minutes: float) -> dict[str, Any]:
    return {
        "timestamp": _at(minutes),
        "event.id": f"hpa-{i}",
        "event.kind": "DAVIS_EVENT",
        "event.type": "CUSTOM_INFO",
        "event.name": f"HorizontalPodAutoscaler scaled checkout from {i} to {i + 1} replicas",
        "dt.entity.service": CHECKOUT,
        "dt.entity.service.name": "checkout",
    }


def test_events_group_repeats_and_put_changes_first() -> None:
    events = [_hpa(i, -i) for i in range(1, 40)]
    events += [
        {
            "timestamp": _at(-7),
            "event.id": f"flag-{v}",
            "event.kind": "DAVIS_EVENT",
            "event.type": "CUSTOM_CONFIGURATION",
            "event.name": f"Feature flag checkout.fast set to {v}",
            "config.key": "checkout.fast",
            "config.old_value": "false" if v == "true" else "true",
            "config.new_value": v,
            "dt.source_entity": CHECKOUT,
        }
        for v in ("true", "false")
    ]
    text = summarise_events(events, anchor=ANCHOR)
    changes, others = text.split("Other events")
    assert "2 of them deployments or configuration changes" in text
    # A flag toggled both ways is one change, shown by its occurrence closest to the anchor.
    flag_lines = [line for line in changes.splitlines() if "checkout.fast" in line]
    assert len(flag_lines) == 1 and "[id flag-true]" in flag_lines[0] and "1 more like it" in flag_lines[0]
    assert f"checkout ({CHECKOUT})" in flag_lines[0]
    # 39 autoscaler events read as one line: the closest one in full, the rest counted.
    hpa = [line for line in others.splitlines() if "HorizontalPodAutoscaler" in line]
    assert len(hpa) == 1 and "[id hpa-1]" in hpa[0] and "(1 min before)" in hpa[0]
    assert "38 more like it since 09:21:00" in hpa[0]


def test_events_sdlc_deployment_named_and_matched_to_entity() -> None:
    sdlc = {
        "timestamp": _at(-3),
        "event.id": "sdlc-1",
        "event.kind": "SDLC_EVENT",
        "event.category": "task",
        "event.type": "deployment",
        "event.status": "finished",
        "start_time": _at(-4),
        "deployment.name": "checkout",
        "deployment.version": "2.15.0",
        "task.outcome": "failure",
    }
    assert is_change(sdlc) and event_name(sdlc) == "deployment checkout 2.15.0 finished"
    text = summarise_events([sdlc, _hpa(1, -30)], anchor=ANCHOR)
    line = next(x for x in text.splitlines() if "sdlc-1" in x)
    assert line.startswith(f"- 09:56:00 (4 min before) deployment checkout ({CHECKOUT}): deployment checkout")
    assert "outcome failure" in line


def test_events_budget_and_left_out_line() -> None:
    events = [_hpa(i, -i) for i in range(200)] + [
        {
            "timestamp": _at(-i),
            "event.id": f"d{i}",
            "event.type": "CUSTOM_DEPLOYMENT",
            "event.name": f"Deploy s{i}",
        }
        for i in range(200)
    ]
    text = summarise_events(events, budget=300, anchor=ANCHOR)
    assert count_tokens(text) <= 300
    assert "left out:" in text and "Narrow with" in text


def test_dql_folds_related_fields_and_profiles_by_kind() -> None:
    rows = [
        {
            "timestamp": _at(i / 10),
            "content": f"Timeout calling payment after {100 + i} ms",
            "loglevel": "ERROR" if i % 3 else "WARN",
            "status": "ERROR" if i % 3 else "WARN",
            "dt.entity.service": CHECKOUT if i % 2 else "SERVICE-0F1E2D3C4B5A6978",
            "service.name": "checkout" if i % 2 else "payment",
            "trace_id": f"{i:032x}",
            "k8s.namespace.name": "shop",
        }
        for i in range(300)
    ]
    text = summarise_dql(rows)
    assert text.startswith("300 records with 8 fields")
    assert "- timestamp: times 2025-03-04 10:00:00Z … 2025-03-04 10:29:54Z" in text
    assert "- content: 300 distinct, 1 patterns: Timeout calling payment after <num> ms 300" in text
    assert "- status: same as loglevel" in text
    assert f"checkout ({CHECKOUT}) 150" in text and "- service.name: names of dt.entity.service" in text
    assert "- trace_id: 300 distinct, e.g. " in text
    assert "- k8s.namespace.name: always shop" in text
    examples = text.split("Examples")[1].splitlines()[1:]
    assert "loglevel=WARN" in examples[0] and "loglevel=ERROR" in examples[1]  # different values shown
    assert all("k8s.namespace.name" not in e and "status=" not in e for e in examples)


def test_dql_odd_values_do_not_break_it() -> None:
    rows: list[dict[str, Any]] = [
        {"a": {"x": 1}, "b": [1, 2], "c": True, "d": None, "e": "2025-13-99"},
        {"a": None, "b": [], "c": False, "d": "x", "e": "not a time"},
    ]
    text = summarise_dql(rows, budget=200)
    assert text.startswith("2 records with 5 fields") and count_tokens(text) <= 200


def _metric_event(i: int, enabled: bool, metric: str) -> dict[str, Any]:
    return {
        "objectId": f"obj-{i}",
        "schemaId": "builtin:anomaly-detection.metric-events",
        "value": {
            "enabled": enabled,
            "summary": f"Rule {i:02d}",
            "queryDefinition": {"type": "METRIC_KEY", "metricKey": metric},
            "modelProperties": {"type": "STATIC_THRESHOLD", "threshold": 90.0, "alertCondition": "ABOVE"},
            "eventTemplate": {"eventType": "RESOURCE"},
        },
    }


def test_alerting_groups_by_target_and_factors_shared_columns() -> None:
    rules = [_metric_event(i, i % 4 != 0, "builtin:host.cpu.usage") for i in range(20)]
    rules += [_metric_event(100 + i, True, "builtin:host.mem.usage") for i in range(3)]
    text = summarise_alerting_rules(rules)
    assert text.startswith("23 alerting rules (metric_event 23); 18 enabled, 5 disabled")
    assert "- builtin:host.cpu.usage: 20 rules, 15 enabled; STATIC_THRESHOLD ABOVE 90 20" in text
    assert "- builtin:host.mem.usage: 3 rules, 3 enabled" in text
    # Columns equal in every shown row are said once; every row keeps its objectId.
    assert "all rows: enabled yes; kind metric_event; model STATIC_THRESHOLD; condition ABOVE 90" in text
    table = [line for line in text.splitlines() if line.startswith("| Rule")]
    assert table and all("| obj-" in row for row in table)
    # Rules take turns across targets, so the small group is in the table too.
    assert any("host.mem.usage" in row for row in table)


def test_alerting_normalised_input_and_small_budget() -> None:
    rules = [normalise_rule(_metric_event(i, True, f"builtin:m{i}")) for i in range(50)]
    text = summarise_alerting_rules(rules, budget=150)
    assert count_tokens(text) <= 150 and "left out:" in text


def test_bench_records_keep_dynatrace_field_sets() -> None:
    rng = random.Random(3)
    events = bench.gen_events(400, rng)
    davis = next(e for e in events if e["event.type"] == "CUSTOM_DEPLOYMENT")
    assert {"event.id", "event.kind", "event.start", "dt.source_entity", "affected_entity_ids"} <= set(davis)
    assert "dt.event.deployment.version" in davis
    sdlc = next(e for e in events if e["event.kind"] == "SDLC_EVENT")
    assert {"event.category", "event.status", "cicd.pipeline.run.id", "deployment.version"} <= set(sdlc)
    rules = bench.gen_rules(20, rng)
    assert {r["schemaId"] for r in rules} == {
        "builtin:anomaly-detection.metric-events",
        "builtin:davis.anomaly-detectors",
    }
    assert all(
        set(r) == {"objectId", "schemaId", "schemaVersion", "scope", "summary", "modified", "value"}
        for r in rules
    )
    assert all(len(r["objectId"]) > 100 for r in rules)  # real objectIds are long base64 strings


@pytest.mark.parametrize(
    ("name", "make", "summarise"),
    [
        (
            "events",
            lambda rng: bench.gen_events(2000, rng),
            lambda r, b: summarise_events(r, budget=b, anchor=bench.NOW),
        ),
        ("dql", lambda rng: bench.gen_logs(5000, rng), lambda r, b: summarise_dql(r, budget=b)),
        (
            "alerting_rules",
            lambda rng: bench.gen_rules(500, rng),
            lambda r, b: summarise_alerting_rules(r, budget=b),
        ),
    ],
)
def test_at_least_20x_smaller_than_raw_and_within_budget(name: str, make: Any, summarise: Any) -> None:
    records = make(random.Random(11))
    raw = count_tokens(json.dumps(records[:100], indent=2))
    for budget in (300, 1500, 4000):
        assert count_tokens(summarise(records, budget)) <= budget, name
    assert raw / count_tokens(summarise(records, 1500)) >= 20, name


def test_dql_small_aggregations_are_shown_as_rows() -> None:
    rows = [{"service.name": f"svc-{i}", "n": str(100 - i)} for i in range(12)]
    text = summarise_dql(rows, budget=1500)
    assert "| service.name | n |" in text
    assert all(f"| svc-{i} | {100 - i} |" in text for i in range(12))  # every row, none left out


def test_dql_never_shows_one_id_under_another_ids_label() -> None:
    # One span per trace and one log file per pod: one-to-one by accident, not names of each other.
    rows = [
        {
            "trace_id": f"{i:032x}",
            "span_id": f"{i + 1000:016x}",
            "k8s.pod.name": f"checkout-7d9f-{i}",
            "log.source": f"/var/log/pods/shop_checkout-{i}/app/0.log",
        }
        for i in range(20)
    ]
    text = summarise_dql(rows)
    trace_line = next(line for line in text.splitlines() if line.startswith("- trace_id:"))
    span_line = next(line for line in text.splitlines() if line.startswith("- span_id:"))
    pod_line = next(line for line in text.splitlines() if line.startswith("- k8s.pod.name:"))
    assert f"{0:032x}" in trace_line and f"{1000:016x}" not in trace_line
    assert "names of" not in span_line and f"{1000:016x}" in span_line
    assert "checkout-7d9f-" in pod_line and "/var/log" not in pod_line
