"""Every producer of cases writes through ``CaseWriter``: none of them writes files itself.

The format (file names, JSON spelling, compression, the check by the loader) lives in
``dynatrace_agent/case.py`` alone; a generator or importer that wrote a file directly would
fork it again, so their modules may read files but not write any.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PRODUCERS = sorted(
    [
        *(REPO / "evals" / "generators").rglob("*.py"),
        *(REPO / "dynatrace_agent" / "importers").rglob("*.py"),
        REPO / "dynatrace_agent" / "record.py",
        REPO / "dynatrace_agent" / "simulator" / "generate.py",
    ]
)
#: Calls that write files or produce gzip members.
WRITING_CALLS = {"write_text", "write_bytes", "dump", "compress", "GzipFile", "copytree", "copyfile"}


def _writes(file: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in WRITING_CALLS:
            found.append(f"{name}() at line {node.lineno}")
        if name == "open":
            at = 0 if isinstance(func, ast.Attribute) else 1  # Path.open(mode) / open(file, mode)
            modes = [a.value for a in node.args[at : at + 1] if isinstance(a, ast.Constant)]
            modes += [
                k.value.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)
            ]
            if any(isinstance(m, str) and set(m) & set("wax") for m in modes):
                found.append(f"open(mode={modes[0]!r}) at line {node.lineno}")
    return found


def test_the_producers_are_found() -> None:
    names = {p.name for p in PRODUCERS}
    assert {"record.py", "generate.py", "nezha.py", "petshop.py", "common.py"} <= names
    assert len([p for p in PRODUCERS if "generators" in p.parts]) > 30


@pytest.mark.parametrize("file", PRODUCERS, ids=lambda p: str(p.relative_to(REPO)))
def test_producers_write_only_through_the_case_writer(file: Path) -> None:
    assert _writes(file) == [], f"{file.relative_to(REPO)} writes files itself; use CaseWriter"


def test_the_check_sees_a_direct_write(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'import gzip\nopen("x", "wb")\nPath("y").write_text("z")\ngzip.compress(b"")\n'
        'Path("r").open()\nPath("w").open("a")\nopen("r.txt")\n'
    )
    found = sorted(w.split("(")[0] for w in _writes(sample))
    assert found == ["compress", "open", "open", "write_text"]
