"""Fourth, independent case generator imitating a programmatic dataset converter.

It maps two kinds of research data (a train-ticket-like Java microservice fault benchmark
and an AWS pet-adoption RCA dataset) into the incident-case format with the arbitrary,
least-effort choices a converter author would make, so evaluation on it says something
about cases the ranking was never tuned on.
"""

from __future__ import annotations

from pathlib import Path

from evals.generators.conv.cases import generate

__all__ = ["DEFAULT_OUT", "DEFAULT_SEED", "write_all"]

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "cases_conv"
DEFAULT_SEED = 7


def write_all(out: Path = DEFAULT_OUT, seed: int | None = None) -> list[Path]:
    """Write all ten cases under ``out`` (``None``: the committed seed); same seed, same bytes."""
    return generate(out, DEFAULT_SEED if seed is None else seed)
