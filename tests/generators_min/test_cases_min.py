"""The minimal cases load, carry only the spec's required fields, agree with their truth,
and regenerate byte for byte."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.case import CATEGORIES, IncidentCase, load_case
from dynatrace_agent.values import parse_timestamp
from evals.generators.min import CASES, DEFAULT_OUT, DEFAULT_SEED, write_all
from evals.generators.min.build import CaseBuilder

CASE_DIRS = sorted(p for p in DEFAULT_OUT.iterdir() if p.is_dir()) if DEFAULT_OUT.is_dir() else []

# Required fields per table (spec: "Fields every case provides"), plus what the brief allows.
ENTITY_KEYS = {"entityId", "type", "displayName", "fromRelationships"}
PROBLEM_KEYS = {
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
    "rootCauseEntity",
}
SPAN_KEYS = {
    "trace.id",
    "span.id",
    "span.parent_id",
    "span.name",
    "start_time",
    "end_time",
    "duration",
    "dt.entity.service",
}
LOG_BASE = {"timestamp", "content", "loglevel"}
EVENT_KEYS = {"timestamp", "event.id", "event.type", "event.name", "dt.entity.service"}
SERIES_KEYS = {"metric.key", "dimensions", "start", "interval", "values", "unit"}


def test_ten_cases_are_checked_in() -> None:
    assert len(CASE_DIRS) == len(CASES) == 10, "run `python -m evals.generators min` to write evals/cases_min"


def test_total_size_stays_small() -> None:
    total = sum(p.stat().st_size for p in DEFAULT_OUT.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024


@pytest.fixture(scope="module", params=CASE_DIRS, ids=lambda p: p.name)
def case(request: pytest.FixtureRequest) -> IncidentCase:
    folder: Path = request.param
    return load_case(folder)


def test_only_required_fields(case: IncidentCase) -> None:
    for entity in case.entities:
        assert set(entity) <= ENTITY_KEYS
        assert set(entity.get("fromRelationships", {})) <= {"calls"}
    for problem in case.problems:
        assert set(problem) <= PROBLEM_KEYS
    for span in case.tables["spans"]:
        assert set(span) == SPAN_KEYS
    for log in case.tables["logs"]:
        extra = set(log) - LOG_BASE
        assert set(log) >= LOG_BASE and len(extra) == 1 and extra <= {"dt.entity.service", "service.name"}
    for event in case.tables["events"]:
        assert set(event) == EVENT_KEYS
    for series in case.metrics:
        assert set(series) <= SERIES_KEYS and SERIES_KEYS - {"unit"} <= set(series)
    assert not case.tables["bizevents"] and not case.tables["user.sessions"]


def _problem(case: IncidentCase) -> dict[str, Any]:
    hits = [p for p in case.problems if case.problem in (p["problemId"], p["displayId"])]
    assert len(hits) == 1, f"{case.id}: problem {case.problem!r} must match exactly one problem"
    return hits[0]


def _by_id(case: IncidentCase) -> dict[str, dict[str, Any]]:
    return {e["entityId"]: e for e in case.entities}


def test_truth_names_a_real_entity_and_a_valid_category(case: IncidentCase) -> None:
    assert case.expected is not None
    assert case.expected.category in CATEGORIES
    entity = _by_id(case).get(case.expected.root_cause_entity_id or "")
    assert entity is not None and entity["displayName"] in case.expected.root_cause_names


def test_problem_affects_the_culprit_or_one_of_its_callers(case: IncidentCase) -> None:
    assert case.expected is not None
    culprit = case.expected.root_cause_entity_id
    callers: dict[str, str] = {}
    spec = next(s for s in CASES if s.case_id == case.id)
    for entity in case.entities:
        for callee in entity.get("fromRelationships", {}).get("calls", []):
            callers[callee["id"]] = entity["entityId"]
    affected = _problem(case)["affectedEntities"][0]["entityId"]["id"]
    if spec.calls:
        chain, node = [], culprit
        while node in callers:
            node = callers[node]
            chain.append(node)
        assert affected == culprit or affected in chain
    started = _problem(case)["startTime"]
    assert started <= int(case.now.timestamp() * 1000)


def test_change_event_truth_matches_the_events(case: IncidentCase) -> None:
    assert case.expected is not None
    events = {e["event.id"]: e for e in case.tables["events"]}
    change = case.expected.change_event_id
    if change is None:
        culprit = case.expected.root_cause_entity_id
        assert all(e["dt.entity.service"] != culprit for e in events.values())
        return
    assert events[change]["dt.entity.service"] == case.expected.root_cause_entity_id
    moment = parse_timestamp(events[change]["timestamp"])
    assert moment is not None and moment.timestamp() * 1000 < _problem(case)["startTime"]


def _owner(case: IncidentCase, dims: dict[str, str]) -> str | None:
    names = {e["entityId"]: e["displayName"] for e in case.entities}
    if "dt.entity.service" in dims:
        return names.get(dims["dt.entity.service"])
    if "service.name" in dims:
        return dims["service.name"]
    pod = dims.get("k8s.pod.name", "")
    return next((n for n in sorted(names.values(), key=len, reverse=True) if pod.startswith(n + "-")), None)


def test_the_culprit_moves_most_in_its_own_signal(case: IncidentCase) -> None:
    """Truth is in the data: some series of the culprit shifts at onset far beyond its noise."""
    assert case.expected is not None
    culprit = case.expected.root_cause_names[0]
    spec = next(s for s in CASES if s.case_id == case.id)
    step = 5 if spec.interval == "5m" else 1
    split = (spec.window_min - spec.onset_min) // step + 1
    best: dict[str, float] = {}
    for series in case.metrics:
        owner = _owner(case, series["dimensions"])
        assert owner is not None, f"{case.id}: series without an identifiable owner"
        values = [v for v in series["values"] if v is not None]
        before, after = series["values"][: split - 1], series["values"][split:]
        b = [v for v in before if v is not None]
        a = [v for v in after if v is not None]
        assert values and len(b) > 3 and len(a) > 1
        shift = abs(statistics.fmean(a) - statistics.fmean(b)) / (
            statistics.pstdev(b) + 1.0 + 0.05 * abs(statistics.fmean(b))
        )
        best[owner] = max(best.get(owner, 0.0), shift)
    if spec.fault == "wrong_return":  # the culprit looks healthy; its caller fails
        assert best[culprit] < 3
        return
    assert best[culprit] > 5
    callers = set(CaseBuilder(spec, DEFAULT_SEED).topo.ancestors(culprit))
    assert best[culprit] >= max(v for k, v in best.items() if k != culprit and k not in callers) * 1.5


def test_spans_form_trees_and_reference_known_entities(case: IncidentCase) -> None:
    spans = case.tables["spans"]
    known = {e["entityId"] for e in case.entities}
    ids = {s["span.id"] for s in spans}
    for span in spans:
        assert span["dt.entity.service"] in known
        assert span["span.parent_id"] is None or span["span.parent_id"] in ids
        assert span["duration"] > 0


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    write_all(tmp_path)
    for folder in CASE_DIRS:
        for file in folder.rglob("*"):
            if file.is_file():
                twin = tmp_path / file.relative_to(DEFAULT_OUT)
                assert twin.read_bytes() == file.read_bytes(), (
                    f"{file} differs: rerun python -m evals.generators min"
                )


def test_another_seed_changes_the_data(tmp_path: Path) -> None:
    write_all(tmp_path, seed=99)
    meta = json.loads((tmp_path / CASES[0].case_id / "case.json").read_text())
    ours = json.loads((DEFAULT_OUT / CASES[0].case_id / "case.json").read_text())
    assert meta["expected"]["root_cause"]["name"] == ours["expected"]["root_cause"]["name"]
    assert meta["expected"]["root_cause"]["entity_id"] != ours["expected"]["root_cause"]["entity_id"]
