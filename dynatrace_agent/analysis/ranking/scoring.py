"""Signal weights, shared thresholds and the arithmetic every signal pass uses.

Signals combine as independent pieces of evidence, ``score = 1 - Π(1 - weight·strength)``,
so no single weak signal dominates; keeping weights and the combination in one place keeps
every pass scoring on the same scale."""

from __future__ import annotations

import math

WEIGHTS: dict[str, float] = {
    "origin": 0.5,
    "path_cut": 0.6,
    "dependency": 0.5,
    "failure_rate": 0.25,
    "latency": 0.35,
    "network": 0.35,
    "path": 0.45,
    "resource": 0.4,
    "neighbour": 0.4,
    "logs": 0.25,
    "failure_metric": 0.3,
    "throughput": 0.3,
    "load": 0.45,
    "davis_evidence": 0.3,
    "propagation": 0.3,
    "suspect_response": 0.35,
    "change": 0.45,
    "davis": 0.12,
}


# Signals that say the entity itself misbehaves (a change or Davis's opinion does not).
DEVIATION_SIGNALS = tuple(k for k in WEIGHTS if k not in {"change", "davis"})


# Symptoms that travel upstream along calls: a caller shows them when a callee misbehaves.
PROPAGATING = ("latency", "failure_rate", "failure_metric", "logs", "davis_evidence")


# What a change of the entity itself can cause (more incoming traffic is not one of them).
CHANGE_EXPLAINS = tuple(k for k in DEVIATION_SIGNALS if k not in {"throughput", "load"})


FALSE_ALARM_THRESHOLD = 0.2


CHANGE_TRIGGER_THRESHOLD = 0.35


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """``value`` limited to ``low``..``high``."""
    return max(low, min(high, value))


def ratio_strength(before: float | None, after: float | None, *, min_abs: float, span: float = 2.0) -> float:
    """0..1 for how far ``after`` rose over ``before``: log2 of the ratio over ``span`` doublings."""
    if before is None or after is None or after - before < min_abs:
        return 0.0
    ratio = after / before if before > 0 else 16.0
    if ratio < 1.3:
        return 0.0
    return clamp(math.log2(ratio) / span)


def fmt(value: float | None, unit: str = "") -> str:
    """A number for a reason sentence: thousands separated, else three significant digits."""
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.3g}{unit}"


def combine(signals: dict[str, float]) -> float:
    """Signals combined as independent weighted evidence: 1 minus the product of what each leaves."""
    remaining = 1.0
    for name, strength in signals.items():
        remaining *= 1.0 - WEIGHTS.get(name, 0.0) * clamp(strength)
    return 1.0 - remaining
