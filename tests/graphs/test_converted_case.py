"""A case shaped like a programmatic conversion of a research dataset runs end to end.

Custom devices only, calls recorded only on the callee (``toRelationships.calls``), metric
series keyed by a bare ``name`` under single-word keys (``latency``, ``availability``), one
listed key that no query can name, and a configuration change on the culprit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent.case import load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from graphs.investigation.nodes.metric_plan import KeyInfo, split_usable
from graphs.investigation.run import investigate

START = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
SITE, HISTORY, FOOD, DB = (
    "CUSTOM_DEVICE-00000000000000A1",
    "CUSTOM_DEVICE-00000000000000A2",
    "CUSTOM_DEVICE-00000000000000A3",
    "CUSTOM_DEVICE-00000000000000A4",
)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _series(key: str, name: str, base: float, incident: float) -> dict[str, Any]:
    values = [base * (1.0 + 0.02 * ((i % 5) - 2)) for i in range(60)] + [incident] * 30
    return {
        "metric.key": key,
        "dimensions": {"name": name},
        "start": _iso(START - timedelta(minutes=60)),
        "interval": "1m",
        "values": values,
    }


def _device(ident: str, name: str, callers: list[str]) -> dict[str, Any]:
    entity: dict[str, Any] = {"entityId": ident, "type": "CUSTOM_DEVICE", "displayName": name}
    if callers:
        entity["toRelationships"] = {"calls": [{"id": c, "type": "CUSTOM_DEVICE"} for c in callers]}
    return entity


def _write_case(root: Path) -> Path:
    folder = root / "converted"
    tenant = folder / "tenant"
    tenant.mkdir(parents=True)
    (folder / "case.json").write_text(
        json.dumps(
            {
                "format": "dynatrace-agent/incident-case@1",
                "id": "converted",
                "title": "pethistory configuration slows the site",
                "now": _iso(START + timedelta(minutes=30)),
                "problem": "P-1",
                "expected": {
                    "root_cause": {"entity_id": HISTORY, "name": "pethistory"},
                    "category": "configuration",
                    "change_event_id": "E-HISTORY",
                },
            }
        )
    )
    # Only the callees record the calls: the site calls history and food, history calls the db.
    entities = [
        _device(SITE, "PetSite", []),
        _device(HISTORY, "pethistory", [SITE]),
        _device(FOOD, "petfood", [SITE]),
        _device(DB, "rds-pethistory", [HISTORY]),
    ]
    (tenant / "entities.json").write_text(json.dumps(entities))
    ref = {"entityId": {"id": SITE, "type": "CUSTOM_DEVICE"}, "name": "PetSite"}
    problem = {
        "problemId": "-1_1741082400000V2",
        "displayId": "P-1",
        "title": "Response time degradation",
        "status": "OPEN",
        "severityLevel": "PERFORMANCE",
        "impactLevel": "APPLICATION",
        "startTime": int(START.timestamp() * 1000),
        "endTime": -1,
        "affectedEntities": [ref],
        "impactedEntities": [ref],
    }
    (tenant / "problems.json").write_text(json.dumps([problem]))
    rows = [
        _series("latency", "PetSite", 200.0, 420.0),
        _series("latency", "pethistory", 50.0, 600.0),
        _series("latency", "petfood", 40.0, 40.0),
        _series("latency", "rds-pethistory", 5.0, 5.0),
        _series("requests", "PetSite", 700.0, 700.0),
        _series("availability", "pethistory", 99.9, 99.9),
        # A key no query can name (a space): skipped on its own, the others still asked for.
        _series("p99 latency", "petfood", 40.0, 40.0),
    ]
    (tenant / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    events = [
        {
            "timestamp": _iso(START - timedelta(minutes=10)),
            "event.id": "E-HISTORY",
            "event.type": "CUSTOM_CONFIGURATION",
            "event.name": "configuration change of pethistory",
            "dt.entity.custom_device": HISTORY,
        },
        {
            "timestamp": _iso(START - timedelta(minutes=15)),
            "event.id": "E-FOOD",
            "event.type": "CUSTOM_CONFIGURATION",
            "event.name": "configuration change of petfood",
            "dt.entity.custom_device": FOOD,
        },
    ]
    (tenant / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return folder


async def test_converted_case_finds_the_callee_recorded_only_on_its_side(tmp_path: Path) -> None:
    case = load_case(_write_case(tmp_path))
    opts = SimulatorOptions()
    async with DynatraceClient(simulator_settings(opts), transport=simulator_transport(case, opts)) as client:
        report = await investigate(case.problem, client=client)
    ranked = report.ranked_root_causes
    assert ranked[0].entity_id == HISTORY
    assert report.category == "configuration"
    assert not report.false_alarm
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    markdown = report.to_markdown()
    assert "p99 latency" in markdown  # the skipped key is reported, not silently dropped
    assert report.stats.api_calls <= 60


def test_unusable_keys_are_split_off_one_by_one() -> None:
    infos = [KeyInfo("latency"), KeyInfo("p99 latency"), KeyInfo("cpu"), KeyInfo("builtin:x.y:avg")]
    usable, rejected = split_usable(infos)
    assert [i.key for i in usable] == ["latency", "cpu"]
    assert rejected == ["p99 latency", "builtin:x.y:avg"]
