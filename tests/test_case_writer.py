"""CaseWriter: the one way cases are written, checked by the loader before they appear."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynatrace_agent.case import CaseFormatError, CaseWriter, load_case

META = {
    "id": "written-case",
    "title": "t",
    "now": "2025-03-04T10:40:00Z",
    "problem": "P-1",
    "expected": {
        "root_cause": {"entity_id": "SERVICE-1", "name": "a"},
        "category": "code",
        "change_event_id": None,
    },
    "tags": ["source:test"],
}


def test_round_trip_and_compression(tmp_path: Path) -> None:
    logs = [
        {"timestamp": "2025-03-04T10:21:07Z", "content": f"line {i}", "loglevel": "INFO"} for i in range(5)
    ]
    writer = CaseWriter(tmp_path, compress_above=3)
    case = writer.write(
        META, {"entities": [{"entityId": "SERVICE-1", "type": "SERVICE", "displayName": "a"}], "logs": logs}
    )
    assert case.id == "written-case"
    assert (tmp_path / "written-case" / "tenant" / "logs.jsonl.gz").is_file()
    again = load_case(tmp_path / "written-case")
    assert again.tables["logs"] == logs and again.entities[0]["displayName"] == "a"


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    CaseWriter(tmp_path).write(META, {})
    with pytest.raises(CaseFormatError, match="already exists"):
        CaseWriter(tmp_path).write(META, {})
    CaseWriter(tmp_path, overwrite=True).write(META, {})


def test_a_case_the_loader_refuses_is_never_published(tmp_path: Path) -> None:
    bad = [{"problemId": "p", "startTime": "yesterday"}]
    with pytest.raises(CaseFormatError, match="epoch milliseconds"):
        CaseWriter(tmp_path).write(META, {"problems": bad})
    assert list(tmp_path.iterdir()) == []


def test_unknown_tables_and_bad_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CaseFormatError, match="unknown tenant tables"):
        CaseWriter(tmp_path).write(META, {"traces": []})
    with pytest.raises(CaseFormatError, match="cannot name a folder"):
        CaseWriter(tmp_path).write({**META, "id": "../escape"}, {})
