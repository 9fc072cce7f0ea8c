"""Every generated case (public set and demo) conforms to incident-case format version 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.generators_base.caseio import (
    DEMO_DIR,
    ENTITY_ID,
    EVENT_ID,
    GRAIL_TABLES,
    ISO_Z,
    PROBLEM_ID,
    case_folders,
    iso_to_ns,
    read_json,
    table,
)

CATEGORIES = {
    "deployment",
    "configuration",
    "code",
    "resource",
    "network",
    "dependency",
    "traffic",
    "infrastructure",
    "none",
}
FOLDERS = case_folders()
CLASSIC_SESSION_FIELDS = frozenset(
    {
        "dt.entity.application",
        "application.name",
        "userExperienceScore",
        "userId",
        "internalUserId",
        "totalErrorCount",
        "userSessionId",
    }
)


@pytest.fixture(params=FOLDERS, ids=[f.name for f in FOLDERS])
def folder(request: pytest.FixtureRequest) -> Path:
    return request.param  # type: ignore[no-any-return]


def _entities(folder: Path) -> dict[str, dict[str, Any]]:
    ents = table(folder, "entities") or []
    return {e["entityId"]: e for e in ents}


def _main_problem(folder: Path) -> dict[str, Any]:
    case = read_json(folder / "case.json")
    matches = [
        p for p in table(folder, "problems") or [] if case["problem"] in (p["displayId"], p["problemId"])
    ]
    assert len(matches) == 1, f"{folder.name}: case.problem {case['problem']} must match exactly one problem"
    return matches[0]


def test_case_json(folder: Path) -> None:
    case = read_json(folder / "case.json")
    assert case["format"] == "dynatrace-agent/incident-case@1"
    expected_id = "demo-checkout-deployment" if folder == DEMO_DIR else folder.name
    assert case["id"] == expected_id
    for key in ("title", "description", "now", "problem"):
        assert isinstance(case[key], str) and case[key], key
    assert ISO_Z.match(case["now"])
    assert isinstance(case["tags"], list) and all(isinstance(t, str) for t in case["tags"])
    assert set(case["source"]) >= {"dataset", "licence", "reference"}
    exp = case["expected"]
    assert exp["category"] in CATEGORIES
    assert isinstance(exp["facts"], list) and exp["facts"]
    root = exp["root_cause"]
    entities = _entities(folder)
    assert root["entity_id"] in entities, "root cause must be an entity of the tenant"
    names = root["name"] if isinstance(root["name"], list) else [root["name"]]
    assert entities[root["entity_id"]]["displayName"] in names


def test_change_event(folder: Path) -> None:
    case = read_json(folder / "case.json")
    change = case["expected"]["change_event_id"]
    category = case["expected"]["category"]
    if category in ("deployment", "configuration"):
        assert change is not None, "deployment/configuration cases name their trigger"
    if change is None:
        return
    assert EVENT_ID.match(change)
    events = table(folder, "events")
    root = case["expected"]["root_cause"]["entity_id"]
    if events is not None:
        (record,) = [e for e in events if e["event.id"] == change]
        assert record["event.type"] in ("CUSTOM_DEPLOYMENT", "CUSTOM_CONFIGURATION")
        assert record["dt.source_entity"] == root
        decoys = [e for e in events if e["event.type"].startswith("CUSTOM_") and e["event.id"] != change]
        assert decoys, "every case with events carries decoy change events"
    else:
        evidence = _main_problem(folder)["evidenceDetails"]["details"]
        assert change in [d.get("eventId") for d in evidence], (
            "classic-only cases show the trigger as evidence"
        )


def test_entities(folder: Path) -> None:
    entities = _entities(folder)
    assert entities
    for eid, e in entities.items():
        assert ENTITY_ID.match(eid), eid
        assert e["type"] == eid.rsplit("-", 1)[0]
        assert e["displayName"]
        assert e["firstSeenTms"] <= e["lastSeenTms"]
        for tag in e["tags"]:
            assert set(tag) == {"context", "key", "value", "stringRepresentation"}
        for direction in ("fromRelationships", "toRelationships"):
            for rel_name, targets in e.get(direction, {}).items():
                for t in targets:
                    assert t["id"] in entities, f"{eid} {direction}.{rel_name} → unknown {t['id']}"
                    assert t["type"] == t["id"].rsplit("-", 1)[0]

    def rel(e: dict[str, Any], direction: str, name: str) -> set[str]:
        return {t["id"] for t in e.get(direction, {}).get(name, [])}

    for eid, e in entities.items():
        if e["type"] == "SERVICE":
            for callee in rel(e, "fromRelationships", "calls"):
                assert eid in rel(entities[callee], "toRelationships", "calls")
            for pg in rel(e, "fromRelationships", "runsOn"):
                assert entities[pg]["type"] == "PROCESS_GROUP"
                assert eid in rel(entities[pg], "toRelationships", "runsOn")
            for host in rel(e, "fromRelationships", "runsOnHost"):
                assert entities[host]["type"] == "HOST"
        if e["type"] == "PROCESS_GROUP":
            for host in rel(e, "fromRelationships", "runsOn"):
                assert eid in rel(entities[host], "toRelationships", "runsOn")
        if e["type"] == "HOST":
            for cluster in rel(e, "fromRelationships", "isNodeOf"):
                assert entities[cluster]["type"] == "KUBERNETES_CLUSTER"
        if e["type"] == "APPLICATION":
            assert rel(e, "fromRelationships", "calls"), "applications call their frontend services"


def _check_stub(stub: dict[str, Any], entities: dict[str, dict[str, Any]]) -> None:
    eid = stub["entityId"]["id"]
    assert eid in entities and stub["entityId"]["type"] == entities[eid]["type"]
    assert stub["name"] == entities[eid]["displayName"]


def test_problems_and_notifications(folder: Path) -> None:
    entities = _entities(folder)
    problems = table(folder, "problems") or []
    case = read_json(folder / "case.json")
    now_ms = iso_to_ns(case["now"]) // 1_000_000
    events = table(folder, "events")
    event_ids = {e["event.id"] for e in events} if events is not None else None
    for p in problems:
        for key in (
            "problemId",
            "displayId",
            "title",
            "status",
            "severityLevel",
            "impactLevel",
            "startTime",
            "endTime",
            "affectedEntities",
            "impactedEntities",
        ):
            assert key in p, key
        assert PROBLEM_ID.match(p["problemId"]) and p["displayId"].startswith("P-")
        assert (p["endTime"] == -1) == (p["status"] == "OPEN")
        assert p["startTime"] <= now_ms and (p["endTime"] == -1 or p["startTime"] < p["endTime"] <= now_ms)
        for stub in [*p["affectedEntities"], *p["impactedEntities"]]:
            _check_stub(stub, entities)
        if "rootCauseEntity" in p:
            _check_stub(p["rootCauseEntity"], entities)
        for d in p["evidenceDetails"]["details"]:
            _check_stub(d["entity"], entities)
            if d["evidenceType"] == "EVENT" and event_ids is not None and p is _main_problem(folder):
                assert d["eventId"] in event_ids
    assert len(problems) >= 2, "unrelated older problems are part of the noise"
    notes = table(folder, "notifications") or []
    main = _main_problem(folder)
    mine = [n for n in notes if n["PID"] == main["problemId"]]
    assert mine and mine[0]["State"] == "OPEN"
    assert [n["State"] for n in mine] == (["OPEN", "RESOLVED"] if main["status"] == "CLOSED" else ["OPEN"])
    for n in notes:
        assert n["ProblemID"] == next(p for p in problems if p["problemId"] == n["PID"])["displayId"][2:]
        assert n["ProblemImpact"] in ("APPLICATION", "SERVICE", "INFRASTRUCTURE", "ENVIRONMENT")
        for ie in n["ImpactedEntities"]:
            assert ie["entity"] in entities


def test_logs(folder: Path) -> None:
    logs = table(folder, "logs")
    if logs is None:
        return
    entities = _entities(folder)
    low, high = (4000, 6000) if folder == DEMO_DIR else (500, 3000)
    assert low <= len(logs) <= high
    previous = 0
    levels = set()
    for rec in logs:
        ns = iso_to_ns(rec["timestamp"])
        assert ns >= previous
        previous = ns
        assert rec["content"] and rec["loglevel"] in ("DEBUG", "INFO", "WARN", "ERROR")
        levels.add(rec["loglevel"])
        for key in ("dt.entity.service", "dt.entity.host", "dt.entity.process_group"):
            if key in rec:
                assert rec[key] in entities
    assert {"INFO", "WARN", "ERROR"} <= levels


def test_spans(folder: Path) -> None:
    spans = table(folder, "spans")
    if spans is None:
        return
    entities = _entities(folder)
    low, high = (4000, 6000) if folder == DEMO_DIR else (500, 3000)
    assert low <= len(spans) <= high
    by_id = {s["span.id"]: s for s in spans}
    roots: dict[str, int] = {}
    for s in spans:
        assert len(s["trace.id"]) == 32 and len(s["span.id"]) == 16
        int(s["trace.id"], 16), int(s["span.id"], 16)
        start, end = iso_to_ns(s["start_time"]), iso_to_ns(s["end_time"])
        assert len(s["start_time"]) == 30 and len(s["end_time"]) == 30, "spans carry 9 fraction digits"
        assert isinstance(s["duration"], int) and s["duration"] == end - start >= 0
        assert s["dt.entity.service"] in entities and s["span.kind"] in ("server", "client", "producer")
        if s["span.parent_id"] is None:
            roots[s["trace.id"]] = roots.get(s["trace.id"], 0) + 1
            assert s["request.is_root_span"] is True
        else:
            parent = by_id[s["span.parent_id"]]
            assert parent["trace.id"] == s["trace.id"]
            assert iso_to_ns(parent["start_time"]) <= start
    assert all(n == 1 for n in roots.values()), "exactly one root span per trace"
    assert set(roots) == {s["trace.id"] for s in spans}


def test_events_metrics_business(folder: Path) -> None:
    entities = _entities(folder)
    for e in table(folder, "events") or []:
        for key in ("timestamp", "event.id", "event.type", "event.name"):
            assert key in e
        assert ISO_Z.match(e["timestamp"]) and EVENT_ID.match(e["event.id"])
        assert e["dt.source_entity"] in entities
        assert any(k.startswith("dt.entity.") for k in e)
    for series in table(folder, "metrics") or []:
        assert series["metric.key"].startswith("dt.") and series["interval"] == "1m"
        assert ISO_Z.match(series["start"]) and len(series["values"]) == 90
        assert all(v is None or isinstance(v, float) for v in series["values"])
        for key, value in series["dimensions"].items():
            if key.startswith("dt.entity."):
                assert value in entities
    for b in table(folder, "bizevents") or []:
        assert b["event.kind"] == "BIZ_EVENT" and ISO_Z.match(b["timestamp"]) and b["event.type"]
    for s in table(folder, "user.sessions") or []:
        assert iso_to_ns(s["end_time"]) - iso_to_ns(s["start_time"]) == s["duration"]
        # the new RUM model only: classic USQL names do not exist in Grail (reference §10)
        assert not CLASSIC_SESSION_FIELDS & set(s), sorted(CLASSIC_SESSION_FIELDS & set(s))
        assert s["dt.rum.user_type"] in ("real_user", "synthetic") and s["frontend.name"]
        assert isinstance(s["error.count"], int) and s["dt.rum.instance.id"]
    for span in table(folder, "spans") or []:
        assert span["dt.service.name"], "spans carry the Dynatrace service name"
    for item in table(folder, "settings") or []:
        assert item["schemaId"] in (
            "builtin:anomaly-detection.metric-events",
            "builtin:davis.anomaly-detectors",
        )
        assert item["scope"] == "environment" and isinstance(item["value"], dict)
    for slo in table(folder, "slos") or []:
        assert ("customSli" in slo) != ("sliReference" in slo)
        assert slo["criteria"] and slo["name"]


def test_classic_only_cases_have_no_grail_data(folder: Path) -> None:
    case = read_json(folder / "case.json")
    if "oauth:none" not in case["tags"]:
        return
    for name in (*GRAIL_TABLES, "slos"):
        assert table(folder, name) is None, f"{name} cannot be read without OAuth"
