"""The built wheel: what users run (eval harness, recorder, importers, demo) and nothing else.

Builds the wheel from this tree, unpacks it into a folder (a pure-Python wheel installs by
unpacking) and runs ``dynatrace-agent eval`` and ``demo`` from there with ``python -S``, so
neither the editable install nor the source tree can stand in for a missing file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("dynatrace_agent-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def _python(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # -S: no .pth files, so the editable install (which points at this tree) is not on the path;
    # the dependencies come from this interpreter's site-packages, the project from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), deps]), "PYTHONSAFEPATH": "1"}
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _cli(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _python(installed, cwd, "-m", "dynatrace_agent", *args)


def test_the_wheel_ships_the_tools_and_no_case_data_or_generators(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "evals/harness.py",
        "evals/scoring.py",
        "dynatrace_agent/record.py",
        "dynatrace_agent/case.py",
        "dynatrace_agent/importers/nezha.py",
        "dynatrace_agent/importers/petshop.py",
        "dynatrace_agent/simulator/demo_case/case.json",
        "graphs/investigation/graph.py",
    ):
        assert shipped in names, shipped
    evals = [n for n in names if n.startswith("evals/")]
    assert evals and all(n.endswith(".py") for n in evals), "no case data or thresholds under evals/"
    assert not [n for n in evals if n.startswith(("evals/cases", "evals/generators", "evals/bench"))]
    tenant = [n for n in names if "/tenant/" in n]
    assert tenant and all(n.startswith("dynatrace_agent/simulator/demo_case/") for n in tenant)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "dynatrace-agent = dynatrace_agent.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_eval_and_demo_run_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    case = installed / "dynatrace_agent" / "simulator" / "demo_case"
    done = _cli(installed, tmp_path, "eval", "--cases", str(case), "--json", str(results))
    assert done.returncode == 0, done.stderr
    assert results.is_file() and "AC@1" in done.stdout
    demo = _cli(installed, tmp_path, "demo", "--quiet")
    assert demo.returncode == 0, demo.stderr
    assert "checkout" in demo.stdout.lower() and "Traceback" not in demo.stderr
    where = _python(
        installed, tmp_path, "-c", "import dynatrace_agent, evals.harness as h; print(h.__file__)"
    )
    assert where.returncode == 0 and Path(where.stdout.strip()).is_relative_to(installed), where
    missing = _python(installed, tmp_path, "-c", "import evals.generators")
    assert missing.returncode != 0 and "No module named 'evals.generators'" in missing.stderr
