"""The fifth generator's cases load, regenerate byte for byte, and agree with their truth."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from dynatrace_agent.case import CATEGORIES, load_case
from evals.generators.five import CASES, DEFAULT_OUT, DEFAULT_SEED, write_all

CASE_DIRS = sorted(p for p in DEFAULT_OUT.iterdir() if p.is_dir()) if DEFAULT_OUT.is_dir() else []


def test_eight_cases_checked_in() -> None:
    assert len(CASE_DIRS) == len(CASES) == 8


def test_regenerates_byte_for_byte(tmp_path: Path) -> None:
    write_all(tmp_path, DEFAULT_SEED)
    for case in CASE_DIRS:
        cmp = filecmp.dircmp(case / "tenant", tmp_path / case.name / "tenant")
        assert not cmp.diff_files and not cmp.left_only and not cmp.right_only, case.name
        assert (case / "case.json").read_bytes() == (tmp_path / case.name / "case.json").read_bytes()


def test_seed_changes_output(tmp_path: Path) -> None:
    write_all(tmp_path, DEFAULT_SEED + 1)
    assert (tmp_path / CASE_DIRS[0].name / "tenant" / "metrics.jsonl").read_bytes() != (
        CASE_DIRS[0] / "tenant" / "metrics.jsonl"
    ).read_bytes()


@pytest.mark.parametrize("path", CASE_DIRS, ids=lambda p: p.name)
def test_truth_consistent(path: Path) -> None:
    case = load_case(path)
    exp = case.expected
    assert exp is not None and exp.category in CATEGORIES
    ids = {e["entityId"]: e for e in case.entities}
    assert exp.root_cause_entity_id in ids
    assert ids[exp.root_cause_entity_id]["displayName"] in exp.root_cause_names
    prob = next(p for p in case.problems if case.problem in (p["problemId"], p["displayId"]))
    assert prob["startTime"] <= case.now.timestamp() * 1000
    affected = [a["entityId"]["id"] for a in prob["affectedEntities"]]
    assert exp.root_cause_entity_id not in affected, "the culprit is never the alerted entity here"
    events = {e["event.id"]: e for e in case.tables["events"]}
    if exp.change_event_id is not None:
        assert exp.root_cause_entity_id in events[exp.change_event_id]["affected_entity_ids"]
        assert len(events) >= 2, "a decoy change accompanies the real one"
    series = [
        s
        for s in case.metrics
        if exp.root_cause_entity_id in s["dimensions"].values()
        or any(str(v).startswith(exp.root_cause_names[0]) for v in s["dimensions"].values())
    ]
    assert series, "the culprit has metrics of its own"
