"""End to end on small generated cases: rules learnt from real incidents, through the real graph.

* An exception inside a service that logs nothing and marks no span failed: only its routine
  log line stops, while its endpoint is still called; its caller logs the errors.
* A configuration change on an entity no call relationship leads to: its own response time
  stepped at the change and faded before the problem opened on the front service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent.case import CaseWriter
from evals.harness import run_case

START = datetime(2025, 3, 4, 10, 20, tzinfo=UTC)
IDS = {
    "front": "SERVICE-00000000000000F0",
    "mid": "SERVICE-00000000000000A1",
    "deep": "SERVICE-00000000000000D2",
    "hidden": "SERVICE-00000000000000B7",
}
PGS = {name: "PROCESS_GROUP-" + sid.split("-")[1] for name, sid in IDS.items()}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _entities() -> list[dict[str, Any]]:
    calls = {"front": ["mid"], "mid": ["deep"], "deep": [], "hidden": []}
    callers = {"mid": ["front"], "deep": ["mid"]}
    return [
        {
            "entityId": IDS[name],
            "type": "SERVICE",
            "displayName": name,
            "fromRelationships": {"calls": [IDS[c] for c in calls[name]], "runsOn": [PGS[name]]},
            "toRelationships": {"calls": [IDS[c] for c in callers.get(name, [])]},
        }
        for name in IDS
    ]


def _problem(title: str, minutes_after: int) -> dict[str, Any]:
    entity = {"entityId": {"id": IDS["front"], "type": "SERVICE"}, "name": "front"}
    return {
        "problemId": "1234567890_1741083600000V2",
        "displayId": "P-1",
        "title": title,
        "status": "OPEN",
        "severityLevel": "ERROR",
        "impactLevel": "SERVICES",
        "startTime": int((START + timedelta(minutes=minutes_after)).timestamp() * 1000),
        "endTime": -1,
        "affectedEntities": [entity],
        "impactedEntities": [entity],
    }


def _meta(case_id: str, root: str, category: str) -> dict[str, Any]:
    return {
        "id": case_id,
        "now": _iso(START + timedelta(minutes=3)),
        "problem": "P-1",
        "expected": {
            "root_cause": {"entity_id": IDS[root], "name": root},
            "category": category,
            "change_event_id": None,
        },
        "tags": [],
    }


def _cut_path_case(out: Path) -> Path:
    spans: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    for n in range(13 * 60 // 2):  # from 10 minutes before to 3 after the start, one request a 2 s
        at = START - timedelta(minutes=10) + timedelta(seconds=2 * n)
        broken = at >= START - timedelta(minutes=1)
        trace = f"{n + 1:032x}"
        for i, svc in enumerate(("front", "mid", "deep")):
            span_id = f"{n + 1:08x}{i + 1:08x}"
            spans.append(
                {
                    "trace.id": trace,
                    "span.id": span_id,
                    "span.parent_id": None if i == 0 else f"{n + 1:08x}{i:08x}",
                    "span.name": f"GET /{svc}",
                    "span.kind": "server",
                    "start_time": _iso(at),
                    "end_time": _iso(at + timedelta(milliseconds=30 - 5 * i)),
                    "duration": (30 - 5 * i) * 1_000_000,
                    "dt.entity.service": IDS[svc],
                    "dt.service.name": svc,
                }
            )
            lines = [f"[handle][request received] id {n}"]
            if svc == "deep" and not broken:
                lines.append(f"[handle][price computed] value {n * 7}")  # the line the exception skips
            if svc == "mid" and broken:
                lines.append("upstream answer unusable: no price in response")
            for text in lines:
                logs.append(
                    {
                        "timestamp": _iso(at),
                        "content": f"INFO  c.e.{svc.title()}Handler#{len(text)} {text}"
                        if "unusable" not in text
                        else f"ERROR c.e.MidHandler#88 {text}",
                        "loglevel": "ERROR" if "unusable" in text else "INFO",
                        "trace_id": trace,
                        "span_id": span_id,
                        "dt.entity.process_group": PGS[svc],
                        "k8s.workload.name": svc,
                    }
                )
    CaseWriter(out).write(
        _meta("cut-path", "deep", "code"),
        {
            "entities": _entities(),
            "problems": [_problem("Failure rate increase", 0)],
            "spans": spans,
            "logs": logs,
        },
    )
    return out / "cut-path"


async def test_a_routine_line_that_stops_blames_the_service_not_the_caller_that_logs_errors(
    tmp_path: Path,
) -> None:
    run = await run_case(_cut_path_case(tmp_path))
    assert run.row["ok"], run.row["error"]
    top = run.row["ranked_root_causes"][0]
    assert top["name"] == "deep"
    assert run.row["category"] == "code"


def _series(name: str, key: str, values: list[float], unit: str) -> dict[str, Any]:
    return {
        "metric.key": key,
        "dimensions": {"dt.entity.service": IDS[name]},
        "start": _iso(START - timedelta(minutes=90)),
        "interval": "5m",
        "unit": unit,
        "values": values,
    }


def _hidden_change_case(out: Path) -> Path:
    steady = [5700.0, 5650.0, 5800.0, 5720.0, 5690.0, 5760.0, 5710.0, 5680.0, 5740.0, 5700.0]
    points = 90 // 5 + 3
    # hidden: steady, a step in the two buckets after the change (10 min before the start), then back
    hidden = [
        *steady,
        5730.0,
        5710.0,
        5690.0,
        5700.0,
        5720.0,
        5680.0,
        15700.0,
        19500.0,
        7100.0,
        5900.0,
        5800.0,
    ]
    front = [40_000.0 + (i % 3) * 500 for i in range(points - 3)] + [52_000.0, 53_000.0, 52_500.0]
    mid = [20_000.0 + (i % 2) * 400 for i in range(points)]
    metrics = [
        _series("hidden", "dt.service.request.response_time", hidden[:points], "MicroSecond"),
        _series("front", "dt.service.request.response_time", front, "MicroSecond"),
        _series("mid", "dt.service.request.response_time", mid, "MicroSecond"),
    ]
    at = START - timedelta(minutes=10)
    events = [
        {
            "timestamp": _iso(at),
            "event.id": "4242424242424242_" + str(int(at.timestamp() * 1000)),
            "event.kind": "DAVIS_EVENT",
            "event.type": "CUSTOM_CONFIGURATION",
            "event.name": "search delay parameter set to 500",
            "event.start": _iso(at),
            "event.end": _iso(at + timedelta(seconds=5)),
            "dt.source_entity": IDS["hidden"],
            "dt.entity.service": IDS["hidden"],
            "affected_entity_ids": [IDS["hidden"]],
        },
        {  # a decoy: a deployment on a service whose metrics never moved
            "timestamp": _iso(at - timedelta(minutes=5)),
            "event.id": "4343434343434343_" + str(int((at - timedelta(minutes=5)).timestamp() * 1000)),
            "event.kind": "DAVIS_EVENT",
            "event.type": "CUSTOM_DEPLOYMENT",
            "event.name": "mid 2.3.1",
            "event.start": _iso(at - timedelta(minutes=5)),
            "event.end": _iso(at - timedelta(minutes=4)),
            "dt.source_entity": IDS["mid"],
            "dt.entity.service": IDS["mid"],
            "affected_entity_ids": [IDS["mid"]],
        },
    ]
    meta = _meta("hidden-change", "hidden", "configuration")
    meta["now"] = _iso(START + timedelta(minutes=15))
    CaseWriter(out).write(
        meta,
        {
            "entities": _entities(),
            "problems": [_problem("Response time degradation", 0)],
            "metrics": metrics,
            "events": events,
        },
    )
    return out / "hidden-change"


async def test_a_change_off_the_call_graph_is_judged_by_its_own_metrics(tmp_path: Path) -> None:
    run = await run_case(_hidden_change_case(tmp_path))
    assert run.row["ok"], run.row["error"]
    top = run.row["ranked_root_causes"][0]
    assert top["name"] == "hidden"


CHAIN = [f"SERVICE-00000000000000{i:02X}" for i in range(0x40, 0x48)]  # front, s1 .. s7


def _deep_chain_case(out: Path) -> Path:
    """front → s1 → … → s7; s7 slowed and every caller waits on it; s7 is 7 hops down."""
    entities = []
    for i, ident in enumerate(CHAIN):
        entities.append(
            {
                "entityId": ident,
                "type": "SERVICE",
                "displayName": f"s{i}" if i else "front",
                "fromRelationships": {"calls": [CHAIN[i + 1]] if i + 1 < len(CHAIN) else []},
                "toRelationships": {"calls": [CHAIN[i - 1]] if i else []},
            }
        )
    points = 90 // 5 + 4
    metrics = []
    for i, ident in enumerate(CHAIN):
        base = 10_000.0 * (len(CHAIN) - i)
        values = [base + (k % 3) * 100 for k in range(points - 4)] + [base + 400_000.0] * 4
        metrics.append(
            {
                "metric.key": "dt.service.request.response_time",
                "dimensions": {"dt.entity.service": ident},
                "start": _iso(START - timedelta(minutes=90)),
                "interval": "5m",
                "unit": "MicroSecond",
                "values": values,
            }
        )
    entity = {"entityId": {"id": CHAIN[0], "type": "SERVICE"}, "name": "front"}
    problem = {
        **_problem("Response time degradation", 0),
        "affectedEntities": [entity],
        "impactedEntities": [entity],
    }
    meta = {
        "id": "deep-chain",
        "now": _iso(START + timedelta(minutes=20)),
        "problem": "P-1",
        "expected": {
            "root_cause": {"entity_id": CHAIN[-1], "name": "s7"},
            "category": "code",
            "change_event_id": None,
        },
        "tags": [],
    }
    CaseWriter(out).write(meta, {"entities": entities, "problems": [problem], "metrics": metrics})
    return out / "deep-chain"


async def test_the_anomaly_is_followed_down_the_call_graph_until_it_stops(tmp_path: Path) -> None:
    run = await run_case(_deep_chain_case(tmp_path))
    assert run.row["ok"], run.row["error"]
    assert run.row["ranked_root_causes"][0]["name"] == "s7"
