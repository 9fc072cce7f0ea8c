"""A third, independent generator of incident cases that use only the spec's required fields.

It mimics what a converter of public research datasets would produce: a Java microservice
benchmark (per-pod metrics each minute, spans, logs) and an AWS pet-adoption app (5-minute
latency/requests/failures per component, the call graph, the change behind each issue).
"""

from __future__ import annotations

from pathlib import Path

from evals.generators.min.build import CaseBuilder
from evals.generators.min.cases import CASES

__all__ = ["CASES", "DEFAULT_OUT", "DEFAULT_SEED", "write_all"]

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "cases_min"
DEFAULT_SEED = 7


def write_all(out: Path = DEFAULT_OUT, seed: int | None = None) -> list[Path]:
    """Write every case under ``out``; the same seed (``None``: the committed one) gives the same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    return [CaseBuilder(spec, DEFAULT_SEED if seed is None else seed).write(out) for spec in CASES]
