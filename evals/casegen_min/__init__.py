"""A third, independent generator of incident cases that use only the spec's required fields.

It mimics what a converter of public research datasets would produce: a Java microservice
benchmark (per-pod metrics each minute, spans, logs) and an AWS pet-adoption app (5-minute
latency/requests/failures per component, the call graph, the change behind each issue).
"""

from __future__ import annotations

from pathlib import Path

from evals.casegen_min.build import CaseBuilder
from evals.casegen_min.cases import CASES

__all__ = ["CASES", "DEFAULT_OUT", "DEFAULT_SEED", "write_all"]

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "cases_min"
DEFAULT_SEED = 7


def write_all(out: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write every case under ``out``; the same seed always gives byte-identical files."""
    out.mkdir(parents=True, exist_ok=True)
    return [CaseBuilder(spec, seed).write(out) for spec in CASES]
