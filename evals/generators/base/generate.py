"""Build and write cases by id: the entry points ``__main__`` and the tests use."""

from __future__ import annotations

from pathlib import Path

from dynatrace_agent.case import CaseWriter
from evals.generators.base.rng import CaseRandom, derive_seed
from evals.generators.base.scenario import CaseData, render
from evals.generators.base.scenarios import DEMO, SCENARIOS

DEFAULT_SEED = 20250311
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "cases"
DEMO_OUT = Path(__file__).resolve().parents[3] / "dynatrace_agent" / "simulator" / "demo_case"

#: Tables whose JSON lines exceed this many bytes are written gzip-compressed.
GZIP_THRESHOLD_BYTES = 200_000


def _writer(out: Path) -> CaseWriter:
    """This set's spelling of the format: pretty-printed arrays, large tables gzipped at level 9."""
    return CaseWriter(
        out,
        compress_above=None,
        compress_above_bytes=GZIP_THRESHOLD_BYTES,
        compresslevel=9,
        array_indent=1,
        overwrite=True,
    )


def _write(data: CaseData, folder: Path) -> None:
    _writer(folder.parent).write_at(folder, data.case, {**data.json_tables, **data.jsonl_tables})


def build_case(case_id: str, seed: int = DEFAULT_SEED) -> CaseData:
    """Render one case (public set or demo) from its scenario, seeded by ``seed`` and the id."""
    builders = {**SCENARIOS, **DEMO}
    if case_id not in builders:
        known = ", ".join(sorted(builders))
        raise KeyError(f"unknown case id {case_id!r}; known ids: {known}")
    rng = CaseRandom(derive_seed(seed, case_id))
    return render(builders[case_id](rng), rng)


def write_all(out: Path = DEFAULT_OUT, seed: int | None = None) -> list[Path]:
    """Write the public set under ``out`` (``None``: the committed seed); returns the folders."""
    return write_cases(out, DEFAULT_SEED if seed is None else seed)


def write_demo_set(out: Path = DEMO_OUT, seed: int | None = None) -> list[Path]:
    """Write the bundled demo into ``out`` (the folder is the case), as a one-case set."""
    return [write_demo(out, DEFAULT_SEED if seed is None else seed)]


def write_cases(out: Path, seed: int = DEFAULT_SEED, only: list[str] | None = None) -> list[Path]:
    """Write every public case (or ``only`` those) as ``out/<case-id>/``; returns the folders."""
    ids = only or sorted(SCENARIOS)
    folders = []
    for case_id in ids:
        folder = out / case_id
        _write(build_case(case_id, seed), folder)
        folders.append(folder)
    return folders


def write_demo(folder: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write the bundled demo incident into ``folder`` (the folder *is* the case)."""
    (case_id,) = DEMO
    _write(build_case(case_id, seed), folder)
    return folder
