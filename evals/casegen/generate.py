"""Build and write cases by id: the entry points ``__main__`` and the tests use."""

from __future__ import annotations

from pathlib import Path

from evals.casegen.rng import CaseRandom, derive_seed
from evals.casegen.scenario import CaseData, render
from evals.casegen.scenarios import DEMO, SCENARIOS
from evals.casegen.writer import write_case

DEFAULT_SEED = 20250311


def build_case(case_id: str, seed: int = DEFAULT_SEED) -> CaseData:
    """Render one case (public set or demo) from its scenario, seeded by ``seed`` and the id."""
    builders = {**SCENARIOS, **DEMO}
    if case_id not in builders:
        known = ", ".join(sorted(builders))
        raise KeyError(f"unknown case id {case_id!r}; known ids: {known}")
    rng = CaseRandom(derive_seed(seed, case_id))
    return render(builders[case_id](rng), rng)


def write_cases(out: Path, seed: int = DEFAULT_SEED, only: list[str] | None = None) -> list[Path]:
    """Write every public case (or ``only`` those) as ``out/<case-id>/``; returns the folders."""
    ids = only or sorted(SCENARIOS)
    folders = []
    for case_id in ids:
        folder = out / case_id
        write_case(build_case(case_id, seed), folder)
        folders.append(folder)
    return folders


def write_demo(folder: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write the bundled demo incident into ``folder`` (the folder *is* the case)."""
    (case_id,) = DEMO
    write_case(build_case(case_id, seed), folder)
    return folder
