"""Seeded randomness with the helpers the generators share.

Everything a case contains comes from one :class:`CaseRandom` seeded from the global seed
and the case id (through SHA-256, never Python's salted ``hash``), so regeneration is
byte-for-byte deterministic.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_UPPER_HEX = "0123456789ABCDEF"
_LOWER_HEX = "0123456789abcdef"


def derive_seed(seed: int, label: str) -> int:
    """A stable 64-bit seed for ``label`` under the global ``seed``."""
    digest = hashlib.sha256(f"{seed}:{label}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class CaseRandom(random.Random):
    """``random.Random`` plus id and distribution helpers used across the generators."""

    def upper_hex(self, n: int) -> str:
        return "".join(self.choice(_UPPER_HEX) for _ in range(n))

    def lower_hex(self, n: int) -> str:
        return "".join(self.choice(_LOWER_HEX) for _ in range(n))

    def digits(self, n: int) -> str:
        return str(self.randint(1, 9)) + "".join(str(self.randint(0, 9)) for _ in range(n - 1))

    def uuid(self) -> str:
        h = self.lower_hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[self.randint(0, 3)]}{h[17:20]}-{h[20:]}"

    def around(self, mean: float, spread: float = 0.3) -> float:
        """A log-normal sample whose median is ``mean`` (latencies, sizes)."""
        if mean <= 0:
            return 0.0
        return mean * math.exp(self.gauss(0.0, spread))

    def jitter(self, value: float, rel: float = 0.05) -> float:
        return value * (1.0 + self.gauss(0.0, rel))

    def poisson(self, lam: float) -> int:
        """Poisson sample (Knuth for small rates, normal approximation for large ones)."""
        if lam <= 0:
            return 0
        if lam > 40:
            return max(0, round(self.gauss(lam, math.sqrt(lam))))
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.random()
            if p <= limit:
                return k
            k += 1

    def pick(self, items: Sequence[T]) -> T:
        return items[self.randrange(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return self.choices(items, weights=weights, k=1)[0]
