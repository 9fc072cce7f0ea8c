"""CaseWriter: the one way cases are written, checked by the loader before they appear."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.case import (
    CaseFormatError,
    CaseWriter,
    IncidentCase,
    demo_case_path,
    gzip_bytes,
    load_case,
)

REPO = Path(__file__).resolve().parents[1]

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


def _same_case(a: IncidentCase, b: IncidentCase) -> None:
    for name in ("id", "title", "description", "now", "problem", "expected", "tags", "source", "meta"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.tenant_tables() == b.tenant_tables()


@pytest.mark.parametrize(
    "layout",
    [
        {},
        {"array_indent": 1, "compress_above": None, "compress_above_bytes": 10_000, "compresslevel": 9},
        {"compress_above": 0, "compresslevel": 1},
    ],
    ids=["default", "generator-style", "all-compressed"],
)
def test_every_spelling_round_trips_through_load_case(tmp_path: Path, layout: dict[str, Any]) -> None:
    demo = load_case(demo_case_path())
    written = CaseWriter(tmp_path, **layout).write(demo.meta, demo.tenant_tables())
    assert written.path == tmp_path / demo.id
    _same_case(written, demo)
    _same_case(load_case(written.path), demo)


def test_committed_case_of_each_set_round_trips(tmp_path: Path) -> None:
    """One case per committed set, rewritten with the default spelling, reads back identical."""
    sets = sorted(p for p in (REPO / "evals").glob("cases*") if p.is_dir())
    assert len(sets) >= 5
    for case_set in sets:
        source = load_case(sorted(p for p in case_set.iterdir() if (p / "case.json").is_file())[0])
        _same_case(CaseWriter(tmp_path / case_set.name).write(source.meta, source.tenant_tables()), source)


def test_named_tables_are_compressed_whatever_their_size(tmp_path: Path) -> None:
    tenant = {"entities": [{"entityId": "SERVICE-1"}], "events": [{"event.type": "X"}], "logs": []}
    writer = CaseWriter(tmp_path, compress_above=None)
    case = writer.write(META, tenant, compress=["entities", "events"])
    files = sorted(p.name for p in (case.path / "tenant").iterdir())
    assert files == ["entities.json.gz", "events.jsonl.gz", "logs.jsonl"]
    assert (case.path / "tenant" / "logs.jsonl").read_bytes() == b""
    with pytest.raises(CaseFormatError, match="unknown tenant tables: trace; known: entities"):
        writer.write(META, {}, compress=["trace"])


def test_byte_thresholds_apply_to_json_lines_only(tmp_path: Path) -> None:
    entities = [{"entityId": f"SERVICE-{i}", "displayName": "x" * 50} for i in range(50)]
    logs = [{"content": "y" * 50} for _ in range(50)]
    writer = CaseWriter(tmp_path, compress_above=None, compress_above_bytes=1000, array_indent=1)
    case = writer.write(META, {"entities": entities, "logs": logs, "spans": [{"span.id": "1"}]})
    assert sorted(p.name for p in (case.path / "tenant").iterdir()) == [
        "entities.json",
        "logs.jsonl.gz",
        "spans.jsonl",
    ]
    assert (case.path / "tenant" / "entities.json").read_text() == json.dumps(entities, indent=1) + "\n"


def test_output_is_reproducible_byte_for_byte(tmp_path: Path) -> None:
    demo = load_case(demo_case_path())
    first = CaseWriter(tmp_path / "a", compress_above=100).write(demo.meta, demo.tenant_tables())
    second = CaseWriter(tmp_path / "b", compress_above=100).write(demo.meta, demo.tenant_tables())
    tree = [p.relative_to(first.path) for p in sorted(first.path.rglob("*")) if p.is_file()]
    assert any(p.suffix == ".gz" for p in tree)
    for rel in tree:
        assert (first.path / rel).read_bytes() == (second.path / rel).read_bytes(), rel


def test_gzip_bytes_has_a_fixed_header_and_decompresses() -> None:
    data = b"line\n" * 1000
    for level, extra in ((1, 4), (6, 0), (9, 2)):
        member = gzip_bytes(data, level)
        assert member[:8] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00"  # no name, mtime 0
        assert member[8] == extra and member[9] == 0xFF
        assert gzip.decompress(member) == data
    with gzip.GzipFile(filename="", mode="wb", fileobj=(buffer := io.BytesIO()), mtime=0) as handle:
        handle.write(data)
    assert gzip_bytes(data, 9) == buffer.getvalue()


def test_bad_compression_level_is_refused() -> None:
    with pytest.raises(ValueError, match="compresslevel must be 1-9"):
        CaseWriter(compresslevel=0)
