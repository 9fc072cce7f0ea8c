"""``python -m evals.generators``: one command for every case set, generators kept independent."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.generators.__main__ import SETS, main

REPO = Path(__file__).resolve().parents[2]
GENERATORS = REPO / "evals" / "generators"


def test_every_generator_package_is_registered() -> None:
    packages = sorted(p.name for p in GENERATORS.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted({"alt", "base", "conv", "five", "min"})
    assert set(SETS) == {*packages, "demo"}


@pytest.mark.parametrize("package", ["alt", "base", "conv", "five", "min"])
def test_generators_do_not_import_each_other(package: str) -> None:
    """Independence is their purpose: a shared helper would let one generator's shapes leak."""
    for file in (GENERATORS / package).rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                if name.startswith("evals."):
                    assert name.startswith(f"evals.generators.{package}"), f"{file}: imports {name}"


def test_list_names_every_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(SETS)


def test_a_set_is_written_where_asked_with_the_seed_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the smallest set: this is about the command (where, which seed), not about the generator
    committed = SETS["min"].default_out
    count = len([c for c in committed.iterdir() if (c / "case.json").exists()])
    assert main(["min", "--out", str(tmp_path / "a"), "--seed", "3"]) == 0
    assert main(["min", "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().out.count("wrote ") == 2 * count
    for case in sorted((tmp_path / "b").iterdir()):
        same_seed = case / "tenant" / "entities.json"
        assert same_seed.read_bytes() == (committed / case.name / "tenant" / "entities.json").read_bytes()
        fresh = json.loads((tmp_path / "a" / case.name / "case.json").read_text())
        ours = json.loads((committed / case.name / "case.json").read_text())
        # another seed draws other ids and values, never another truth
        assert fresh["expected"]["root_cause"]["name"] == ours["expected"]["root_cause"]["name"]
        assert fresh["expected"].get("category") == ours["expected"].get("category")
    series = sorted((tmp_path / "a").glob("*/tenant/metrics.jsonl*"))
    assert series and any(
        f.read_bytes() != (committed / f.relative_to(tmp_path / "a")).read_bytes() for f in series
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "name a SET"),
        (["nope"], "invalid choice"),
        (["all", "--out", "x"], "with 'all' every set goes to its committed folder"),
    ],
)
def test_bad_invocations_are_clear_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_runs_as_a_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evals.generators", "demo", "--out", str(tmp_path / "demo")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo" / "case.json").is_file() and "wrote" in done.stdout
