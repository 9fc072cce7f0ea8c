"""Fifth, independent incident-case generator imitating converted public fault-injection datasets.

``python -m evals.generators five --out evals/cases_five [--seed N]`` writes eight cases
(four train-ticket-like Kubernetes faults, four pet-adoption-on-AWS changes), byte for byte
the same for the same seed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.generators.five import pet_cases, tt_cases
from evals.generators.five.build import Tenant

__all__ = ["CASES", "DEFAULT_OUT", "DEFAULT_SEED", "write_all"]

DEFAULT_SEED = 5
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "cases_five"

CASES: list[Callable[[int], tuple[Tenant, dict[str, Any]]]] = [
    tt_cases.cpu_contention,
    tt_cases.network_delay,
    tt_cases.leaf_exception,
    tt_cases.wrong_return,
    pet_cases.two_hops,
    pet_cases.decoy_on_alerted,
    pet_cases.latency_injection,
    pet_cases.memory_limit,
]


def write_all(out: Path = DEFAULT_OUT, seed: int | None = None) -> list[Path]:
    """(Re)write every case under ``out`` and return the case folders (``None``: the committed seed)."""
    seed = DEFAULT_SEED if seed is None else seed
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for make in CASES:
        tenant, meta = make(seed)
        root = out / meta["id"]
        gz = ("logs", "spans") if meta["id"] == "tt-exception-assurance" else ()
        tenant.write(root, meta, gz)
        written.append(root)
    return written
