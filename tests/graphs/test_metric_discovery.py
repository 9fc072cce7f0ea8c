"""The metrics branch discovers keys and dimensions: spec-spelled keys and per-pod series count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.case import load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from graphs.investigation.nodes import metrics as metrics_node
from graphs.investigation.nodes.metric_plan import (
    KeyInfo,
    listing_query,
    parse_listing,
    plan_queries,
    select_keys,
)
from graphs.investigation.run import investigate

START = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
GATEWAY, STATION, NEWS = (
    "SERVICE-00000000000000E0",
    "SERVICE-00000000000000E1",
    "SERVICE-00000000000000E2",
)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _series(key: str, dims: dict[str, str], base: float, incident: float, unit: str | None) -> dict[str, Any]:
    values = [base * (1.0 + 0.03 * ((i % 5) - 2)) for i in range(60)] + [incident] * 30
    row: dict[str, Any] = {
        "metric.key": key,
        "dimensions": dims,
        "start": _iso(START - timedelta(minutes=60)),
        "interval": "1m",
        "values": values,
    }
    if unit:
        row["unit"] = unit
    return row


def _write_case(root: Path) -> Path:
    """A minimal case: per-pod series only (no entity ids) under the spec's key spelling."""
    folder = root / "pods-only"
    tenant = folder / "tenant"
    tenant.mkdir(parents=True)
    (folder / "case.json").write_text(
        json.dumps(
            {
                "format": "dynatrace-agent/incident-case@1",
                "id": "pods-only",
                "title": "Station slows down",
                "now": _iso(START + timedelta(minutes=30)),
                "problem": "P-1",
                "expected": {
                    "root_cause": {"entity_id": STATION, "name": "ts-station-service"},
                    "category": "network",
                    "change_event_id": None,
                },
            }
        )
    )
    entities = [
        {"entityId": GATEWAY, "type": "SERVICE", "displayName": "ts-gateway-service"},
        {"entityId": STATION, "type": "SERVICE", "displayName": "ts-station-service"},
        {"entityId": NEWS, "type": "SERVICE", "displayName": "ts-news-service"},
    ]
    (tenant / "entities.json").write_text(json.dumps(entities))
    ref = {"entityId": {"id": GATEWAY, "type": "SERVICE"}, "name": "ts-gateway-service"}
    problem = {
        "problemId": "-1_1741082400000V2",
        "displayId": "P-1",
        "title": "Response time degradation",
        "status": "OPEN",
        "severityLevel": "PERFORMANCE",
        "impactLevel": "SERVICES",
        "startTime": int(START.timestamp() * 1000),
        "endTime": -1,
        "affectedEntities": [ref],
        "impactedEntities": [ref],
    }
    (tenant / "problems.json").write_text(json.dumps([problem]))
    rows = []
    for pod, slow in (
        ("ts-station-service-5d8f9c7b6d-a1b2c", True),
        ("ts-station-service-5d8f9c7b6d-d3e4f", True),
        ("ts-news-service-6c7d8e9f0a-x1y2z", False),
        ("ts-gateway-service-7c51d1775b-24193", False),
    ):
        dims = {"k8s.pod.name": pod}
        rows.append(
            _series(
                "dt.service.response.time", dims, 20_000.0, 400_000.0 if slow else 20_000.0, "MicroSecond"
            )
        )
        rows.append(_series("dt.kubernetes.container.cpu_usage", dims, 200.0, 200.0, "MilliCores"))
    (tenant / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


async def _run(folder: Path) -> Any:
    case = load_case(folder)
    opts = SimulatorOptions()
    async with DynatraceClient(simulator_settings(opts), transport=simulator_transport(case, opts)) as client:
        return await investigate(case.problem, client=client)


async def test_per_pod_series_under_the_spec_key_rank_their_workload(tmp_path: Path) -> None:
    report = await _run(_write_case(tmp_path))
    top = report.ranked_root_causes[0]
    # The station has no relationship to the affected gateway, so topology does not list it: the
    # pods' series make it a candidate by name (one candidate for both pods).
    assert top.name == "ts-station-service", report.ranked_root_causes
    assert not any("5d8f9c7b6d" in c.entity_id for c in report.ranked_root_causes)
    assert report.category == "network"
    assert not report.false_alarm
    queries = [c.query for c in report.citations if c.capability == "metrics"]
    assert any("dt.service.response.time" in q and "k8s.pod.name" in q for q in queries), queries
    assert report.stats.api_calls <= 60


async def test_without_a_key_listing_the_fixed_groups_still_find_the_spec_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_listing(*_: Any) -> None:
        return None

    monkeypatch.setattr(metrics_node, "_list_keys", no_listing)
    report = await _run(_write_case(tmp_path))
    queries = [c.query for c in report.citations if c.capability == "metrics"]
    assert any("dt.service.response.time" in q for q in queries), queries
    assert any("dt.service.request.response_time" in q for q in queries), queries


def test_listing_is_parsed_and_keys_are_selected_by_kind() -> None:
    infos = parse_listing(
        [
            {"metric.key": "dt.service.response.time", "unit": "MicroSecond", "dimensions": ["k8s.pod.name"]},
            {"metric.key": "dt.kubernetes.container.restarts"},
            {"metric.key": "custom.availability", "dimensions": ["dt.entity.custom_device"]},
            {"metric.key": "dt.billing.ddu"},  # no root-cause kind
            {"metric.key": 7},  # not a key
        ]
    )
    assert [i.key for i in infos] == [
        "dt.service.response.time",
        "dt.kubernetes.container.restarts",
        "custom.availability",
        "dt.billing.ddu",
    ]
    assert infos[1].dimensions is None and infos[0].unit == "MicroSecond"
    chosen = [i.key for i in select_keys(infos)]
    assert chosen == ["dt.service.response.time", "custom.availability", "dt.kubernetes.container.restarts"]
    many = [KeyInfo(f"custom.latency.k{i:02d}") for i in range(100)]
    assert len(select_keys(many)) == 40
    assert listing_query("2025-03-04T09:00:00Z", "2025-03-04T10:00:00Z").startswith("metrics from:")


def test_plans_split_by_the_dimensions_keys_have_and_stay_bounded() -> None:
    candidates = [
        {"entity_id": GATEWAY, "type": "SERVICE", "name": "ts-gateway-service"},
        {"entity_id": "HOST-00000000000000A1", "type": "HOST", "name": "node-1"},
    ]
    pods = [KeyInfo(f"k{i}.response_time", dimensions=("k8s.pod.name",)) for i in range(7)]
    svc = [KeyInfo("dt.service.response.time", dimensions=("dt.entity.service", "k8s.pod.name"))]
    unknown = [KeyInfo("dt.host.cpu.usage"), KeyInfo("dt.service.request.count")]
    plans = plan_queries([*pods, *svc, *unknown], candidates)
    by_pod = [p for p in plans if p.by == ("k8s.pod.name",)]
    assert [len(p.keys) for p in by_pod] == [5, 2] and all(p.named_only and not p.entity_ids for p in by_pod)
    (per_service,) = [p for p in plans if p.by == ("dt.entity.service", "k8s.pod.name")]
    assert per_service.entity_ids == (GATEWAY,) and not per_service.named_only
    (host,) = [p for p in plans if p.by == ("dt.entity.host",)]
    assert host.entity_ids == ("HOST-00000000000000A1",)
    assert any(p.keys == ("dt.service.request.count",) and p.entity_ids == (GATEWAY,) for p in plans)
    assert (
        len(plan_queries([KeyInfo(f"x{i}.latency", dimensions=(f"dt.entity.t{i}",)) for i in range(30)], []))
        == 10
    )
