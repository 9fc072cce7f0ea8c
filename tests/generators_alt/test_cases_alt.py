"""The alternative cases load, are internally consistent, and regenerate byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynatrace_agent.case import load_case
from evals.generators.alt import DEFAULT_OUT, write_all

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
CASE_DIRS = sorted(p for p in DEFAULT_OUT.iterdir() if p.is_dir()) if DEFAULT_OUT.is_dir() else []


def test_eight_cases_are_checked_in() -> None:
    assert len(CASE_DIRS) == 8, "run `python -m evals.generators alt` to write evals/cases_alt"


@pytest.mark.parametrize("folder", CASE_DIRS, ids=lambda p: p.name)
def test_case_loads_and_is_consistent(folder: Path) -> None:
    case = load_case(folder)
    assert case.id == folder.name
    assert case.expected is not None
    ids = {e["entityId"] for e in case.entities}
    assert case.expected.root_cause_entity_id in ids
    assert case.expected.root_cause_names, "a name to match by when ids differ"
    assert case.expected.category in CATEGORIES
    problems = {p["displayId"] for p in case.problems}
    assert case.problem in problems
    problem = next(p for p in case.problems if p["displayId"] == case.problem)
    for ref in [*problem["affectedEntities"], *problem["impactedEntities"]]:
        assert ref["entityId"]["id"] in ids
    if case.expected.change_event_id is not None:
        assert case.expected.change_event_id in {e["event.id"] for e in case.tables["events"]}
    assert len(case.tables["logs"]) <= 3000
    assert len(case.tables["spans"]) <= 3000
    assert case.metrics, "every case has metric series"
    parents = {s["span.id"] for s in case.tables["spans"]}
    assert all(s["span.parent_id"] is None or s["span.parent_id"] in parents for s in case.tables["spans"])


def test_truth_is_not_what_davis_names() -> None:
    """Every case that carries a Davis root cause names a symptom, so copying it cannot score."""
    for folder in CASE_DIRS:
        case = load_case(folder)
        assert case.expected is not None
        for p in case.problems:
            hint = p.get("rootCauseEntity")
            if hint is not None:
                assert hint["entityId"]["id"] != case.expected.root_cause_entity_id


def test_total_size_is_small() -> None:
    total = sum(f.stat().st_size for f in DEFAULT_OUT.rglob("*") if f.is_file())
    assert total < 5 * 1024 * 1024


def test_regenerates_byte_for_byte(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    assert sorted(p.name for p in written) == [p.name for p in CASE_DIRS]
    for folder in written:
        fresh = sorted(f.relative_to(folder) for f in folder.rglob("*") if f.is_file())
        stored = sorted(
            f.relative_to(DEFAULT_OUT / folder.name)
            for f in (DEFAULT_OUT / folder.name).rglob("*")
            if f.is_file()
        )
        assert fresh == stored, folder.name
        for rel in fresh:
            assert (folder / rel).read_bytes() == (DEFAULT_OUT / folder.name / rel).read_bytes(), (
                f"{folder.name}/{rel} differs"
            )
