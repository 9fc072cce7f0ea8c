"""The converter-style cases load, regenerate byte for byte, and their truth is consistent."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dynatrace_agent.case import load_case
from evals.generators.conv.cases import BENCH, PET, generate

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "evals" / "cases_conv"


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("conv")
    generate(out, seed=7)
    return out


def test_ten_cases_with_distinct_ids(generated: Path) -> None:
    ids = sorted(p.name for p in generated.iterdir())
    assert len(ids) == len(BENCH) + len(PET) == 10
    assert len(set(ids)) == 10


def test_other_seed_changes_data(generated: Path, tmp_path: Path) -> None:
    generate(tmp_path, seed=8)
    assert _digest(tmp_path) != _digest(generated)


def test_committed_cases_match_generator(generated: Path) -> None:
    # also the determinism check: the committed bytes came from another process and run
    if not COMMITTED.is_dir():
        pytest.skip("evals/cases_conv not generated yet")
    assert _digest(COMMITTED) == _digest(generated)


@pytest.mark.parametrize("spec_id", [b.case_id for b in BENCH] + [p.case_id for p in PET])
def test_case_loads_and_truth_is_consistent(generated: Path, spec_id: str) -> None:
    case = load_case(generated / spec_id)
    assert case.expected is not None
    entities = {e["entityId"]: e for e in case.entities}
    root_id = case.expected.root_cause_entity_id
    assert root_id in entities
    assert entities[root_id]["displayName"] in case.expected.root_cause_names
    assert case.expected.matches_root_cause(root_id, None)
    # the problem named in case.json exists, and never hands out the answer
    problem = next(p for p in case.problems if case.problem in (p["problemId"], p["displayId"]))
    assert "rootCauseEntity" not in problem
    for stub in problem["affectedEntities"] + problem["impactedEntities"]:
        assert stub["entityId"]["id"] in entities
    # every metric series and span points at a known entity or name
    names = {e["displayName"] for e in case.entities}
    pods = {e.get("properties", {}).get("k8s.pod.name") for e in case.entities}
    for row in case.metrics:
        (value,) = row["dimensions"].values()
        assert value in entities or value in names or value in pods
    for span in case.tables.get("spans", []):
        assert span["dt.entity.service"] in entities
        assert span["duration"] > 0
    # the change event, when there is one, exists and sits on the culprit before the problem
    change = case.expected.change_event_id
    events = {e["event.id"]: e for e in case.tables.get("events", [])}
    if change is None:
        assert spec_id.startswith("conv-tt-")
    else:
        event = events[change]
        on = (
            event.get("dt.source_entity")
            or event.get("dt.entity.service")
            or event.get("dt.entity.custom_device")
        )
        assert on == root_id
        assert event["event.type"] in ("CUSTOM_DEPLOYMENT", "CUSTOM_CONFIGURATION")
        assert len(events) >= 2  # decoys present


def test_culprit_signal_present(generated: Path) -> None:
    """Bench culprits appear in spans during the fault; pet culprits have a change event."""
    for spec in BENCH:
        case = load_case(generated / spec.case_id)
        ids = {e["displayName"]: e["entityId"] for e in case.entities}
        spans = [s for s in case.tables["spans"] if s["dt.entity.service"] == ids[spec.culprit]]
        assert len(spans) >= 20, spec.case_id
