"""The committed cases are exactly what the generator writes, and the generator is seeded."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from evals.casegen import build_case, write_cases, write_demo
from evals.casegen.__main__ import main
from evals.casegen.scenarios import SCENARIOS
from tests.casegen.caseio import CASES_DIR, DEMO_DIR


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_committed_public_cases_match_regeneration(tmp_path: Path) -> None:
    write_cases(tmp_path)
    for case_id in SCENARIOS:
        fresh, committed = _tree(tmp_path / case_id), _tree(CASES_DIR / case_id)
        assert fresh.keys() == committed.keys(), f"{case_id}: file set differs; run python -m evals.casegen"
        for name in fresh:
            assert fresh[name] == committed[name], f"{case_id}/{name} is stale; run python -m evals.casegen"


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


def test_cli_only_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--only", "managed-db-disk-full"]) == 0
    assert (tmp_path / "managed-db-disk-full" / "case.json").is_file()
    assert len(list(tmp_path.iterdir())) == 1
    assert main(["--list"]) == 0
    assert "demo-checkout-deployment" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--only", "nope"])
    with pytest.raises(SystemExit):
        main([])
