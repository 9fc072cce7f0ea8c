"""A second, independent incident-case generator with shapes ``evals/generators/base`` never makes.

Eight seeded cases (``python -m evals.generators alt``) written to ``evals/cases_alt``: an AWS
app observed through 5-minute metrics only (A–C) and a Java microservice benchmark on
Kubernetes (D–H), each with noise and decoys. They exist to show where the ranking is tuned
to the first generator's shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evals.generators.alt.aws import case_a, case_b, case_c
from evals.generators.alt.common import CaseBundle, write_case
from evals.generators.alt.k8s_cases import case_d, case_e, case_f, case_g, case_h

__all__ = ["BUILDERS", "DEFAULT_OUT", "build_all", "write_all"]

BUILDERS: tuple[Callable[[int | None], CaseBundle], ...] = (
    case_a,
    case_b,
    case_c,
    case_d,
    case_e,
    case_f,
    case_g,
    case_h,
)
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "cases_alt"


def build_all(seed: int | None = None) -> list[CaseBundle]:
    """Every case, built in memory (deterministic: same seed, same bytes; ``None`` = committed set)."""
    return [build(seed) for build in BUILDERS]


def write_all(out: Path = DEFAULT_OUT, seed: int | None = None) -> list[Path]:
    """Write every case folder under ``out``; returns the folders."""
    out.mkdir(parents=True, exist_ok=True)
    return [write_case(out, bundle) for bundle in build_all(seed)]
