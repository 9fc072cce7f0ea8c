"""End to end on a small generated case: traces without failure flags, errors only in logs.

Many tracers never mark a span failed; the error log line's trace and span ids still say where
the failure happened. The investigation must find the deepest service that logged the error,
not the caller that relays it, nor a sibling that complains louder without trace context -- here
with logs attached to Kubernetes
workloads only (no service id on the log records), as many ingestion paths deliver them.
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
    "side": "SERVICE-00000000000000E3",
}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _trace(n: int, at: datetime, failing: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    trace = f"{n:032x}"
    spans: list[dict[str, Any]] = []
    chain = [("front", None), ("mid", "front"), ("deep", "mid")]
    for i, (svc, parent) in enumerate(chain):
        spans.append(
            {
                "trace.id": trace,
                "span.id": f"{n:08x}{i:08x}",
                "span.parent_id": None if parent is None else f"{n:08x}{i - 1:08x}",
                "span.name": f"GET /{svc}",
                "span.kind": "server",
                "start_time": _iso(at),
                "end_time": _iso(at + timedelta(milliseconds=30 - 5 * i)),
                "duration": (30 - 5 * i) * 1_000_000,
                "dt.entity.service": IDS[svc],
                "dt.service.name": svc,
            }
        )
    spans.append(
        {
            **spans[0],
            "span.id": f"{n:08x}{9:08x}",
            "span.parent_id": spans[0]["span.id"],
            "span.name": "GET /side",
            "dt.entity.service": IDS["side"],
            "dt.service.name": "side",
        }
    )
    logs: list[dict[str, Any]] = []
    if failing:
        for svc, idx, text in (
            ("deep", 2, "NullPointerException in PriceCalculator"),
            ("mid", 1, "upstream call failed: HTTP 500"),
            ("mid", 1, "request aborted after upstream error"),
        ):
            logs.append(
                {
                    "timestamp": _iso(at),
                    "content": text,
                    "loglevel": "ERROR",
                    "status": "ERROR",
                    "trace_id": trace,
                    "span_id": f"{n:08x}{idx:08x}",
                    "dt.entity.service": IDS[svc],
                    "k8s.workload.name": svc,
                }
            )
        # A louder, unrelated complaint from a sibling: a background job, no trace context.
        for k in range(4):
            logs.append(
                {
                    "timestamp": _iso(at + timedelta(seconds=k)),
                    "content": f"cache refresh failed ({k})",
                    "loglevel": "ERROR",
                    "status": "ERROR",
                    "k8s.workload.name": "side",
                }
            )
    return spans, logs


def _case(out: Path) -> Path:
    spans: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    for i in range(240):  # an hour of baseline and 20 minutes of incident, one request a 20 s
        at = START - timedelta(minutes=60) + timedelta(seconds=20 * i)
        failing = at >= START and i % 2 == 0
        s, lg = _trace(i, at, failing)
        spans += s
        logs += lg
    entities = [
        {
            "entityId": IDS["front"],
            "type": "SERVICE",
            "displayName": "front",
            "fromRelationships": {"calls": [IDS["mid"], IDS["side"]]},
        },
        {
            "entityId": IDS["mid"],
            "type": "SERVICE",
            "displayName": "mid",
            "fromRelationships": {"calls": [IDS["deep"]]},
            "toRelationships": {"calls": [IDS["front"]]},
        },
        {
            "entityId": IDS["deep"],
            "type": "SERVICE",
            "displayName": "deep",
            "toRelationships": {"calls": [IDS["mid"]]},
        },
        {
            "entityId": IDS["side"],
            "type": "SERVICE",
            "displayName": "side",
            "toRelationships": {"calls": [IDS["front"]]},
        },
    ]
    entity = {"entityId": {"id": IDS["front"], "type": "SERVICE"}, "name": "front"}
    problem = {
        "problemId": "1234567890_1741083600000V2",
        "displayId": "P-1",
        "title": "Failure rate increase",
        "status": "OPEN",
        "severityLevel": "ERROR",
        "impactLevel": "SERVICES",
        "startTime": int((START + timedelta(minutes=1)).timestamp() * 1000),
        "endTime": -1,
        "affectedEntities": [entity],
        "impactedEntities": [entity],
    }
    meta = {
        "id": "logged-failures",
        "now": _iso(START + timedelta(minutes=20)),
        "problem": "P-1",
        "expected": {
            "root_cause": {"entity_id": IDS["deep"], "name": "deep"},
            "category": "code",
            "change_event_id": None,
        },
        "tags": [],
    }
    CaseWriter(out).write(meta, {"entities": entities, "problems": [problem], "spans": spans, "logs": logs})
    return out / "logged-failures"


async def test_the_deepest_service_that_logged_the_error_is_the_root(tmp_path: Path) -> None:
    run = await run_case(_case(tmp_path))
    assert run.row["ok"], run.row["error"]
    assert run.row["ranked_root_causes"][0]["name"] == "deep"
    assert run.row["rank"] == 1


async def test_without_grail_no_side_query_is_left_dangling(caplog: Any) -> None:
    """A tenant without OAuth fails the traces branch cleanly: no orphaned task errors."""
    import gc
    import logging

    case = Path(__file__).parents[2] / "evals" / "cases" / "classic-only-no-oauth"
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        run = await run_case(case)
        gc.collect()
    assert run.row["ok"], run.row["error"]
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
