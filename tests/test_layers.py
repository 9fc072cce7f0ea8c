"""The import layers (library ← graphs ← evals, no cycles) hold, as ``lint-imports`` checks them.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``); CI runs ``lint-imports``
too. Running it here makes a back-edge fail the test suite on a developer's machine, imports
inside functions included (which a look at ``sys.modules`` after start-up could not see).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    found = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(found).exists():
        pytest.fail("lint-imports is missing: pip install -e '.[dev]' (import-linter is a dev dependency)")
    return found


def test_the_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout and "Layers" in done.stdout


def test_a_back_edge_inside_a_function_breaks_the_layers(tmp_path: Path) -> None:
    """The contract sees a lazy import of the graph from the library (what the old guard missed)."""
    for package in ("dynatrace_agent", "graphs", "evals", "prompts"):  # the sources only, no case data
        shutil.copytree(ROOT / package, tmp_path / package, ignore=_not_python)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    probe = tmp_path / "dynatrace_agent" / "_layer_probe.py"
    probe.write_text("def f() -> None:\n    from graphs.investigation import run  # noqa: F401\n")
    done = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert "dynatrace_agent._layer_probe -> graphs.investigation.run" in done.stdout


def _not_python(folder: str, names: list[str]) -> set[str]:
    """Everything but Python sources and their folders (case sets hold no module: left out)."""
    files = {n for n in names if not n.endswith(".py") and not Path(folder, n).is_dir()}
    return files | {n for n in names if n == "__pycache__" or n.startswith("cases")}
