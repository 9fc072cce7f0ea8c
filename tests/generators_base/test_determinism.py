"""The committed cases are exactly what the generator writes, and the generator is seeded."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from evals.generators.base import build_case, write_cases, write_demo
from evals.generators.base.scenarios import SCENARIOS
from tests.generators_base.caseio import CASES_DIR, DEMO_DIR


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_committed_public_cases_match_regeneration(tmp_path: Path) -> None:
    write_cases(tmp_path)
    for case_id in SCENARIOS:
        fresh, committed = _tree(tmp_path / case_id), _tree(CASES_DIR / case_id)
        assert fresh.keys() == committed.keys(), (
            f"{case_id}: file set differs; run python -m evals.generators base"
        )
        for name in fresh:
            assert fresh[name] == committed[name], (
                f"{case_id}/{name} is stale; run python -m evals.generators base"
            )


def test_committed_demo_matches_regeneration(tmp_path: Path) -> None:
    write_demo(tmp_path / "demo")
    assert _tree(tmp_path / "demo") == _tree(DEMO_DIR)


def test_gzip_output_has_no_timestamp_or_name() -> None:
    data = (DEMO_DIR / "tenant" / "logs.jsonl.gz").read_bytes()
    assert data[4:8] == b"\x00\x00\x00\x00", "gzip mtime must be 0 for reproducible output"
    assert data[3] & 0x08 == 0, "gzip header must not carry a file name"
    assert gzip.decompress(data).count(b"\n") > 1000


def test_another_seed_gives_other_data_same_truth() -> None:
    a = build_case("false-alarm-latency-blip", seed=1)
    b = build_case("false-alarm-latency-blip", seed=2)
    assert a.jsonl_tables["logs"] != b.jsonl_tables["logs"]
    assert a.case["expected"]["category"] == b.case["expected"]["category"] == "none"


def test_unknown_case_id_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown case id 'nope'; known ids: "):
        build_case("nope")


def test_only_writes_the_named_cases(tmp_path: Path) -> None:
    assert write_cases(tmp_path, only=["managed-db-disk-full"]) == [tmp_path / "managed-db-disk-full"]
    assert [p.name for p in tmp_path.iterdir()] == ["managed-db-disk-full"]
