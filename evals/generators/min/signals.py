"""Telemetry for one case: per-bucket service health, spans, logs, and the fault's footprint.

The fault acts on the culprit from ``onset`` on and reaches its callers attenuated per hop,
the way a slow or failing dependency shows up one level up. Noise is multiplicative and
every series has a few gaps; two bystanders misbehave (an earlier latency blip, a busy CPU)
so the culprit is never the only thing that moves.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from evals.generators.min.spec import CaseSpec
from evals.generators.min.topology import Topology


@dataclass(frozen=True)
class Baseline:
    """Healthy behaviour of one component."""

    latency_ms: float
    requests: float  # per minute
    fail_rate: float
    cpu_millicores: float
    memory_mb: float
    pods: int


@dataclass(frozen=True)
class Effect:
    """What the fault adds to a component's health at one moment."""

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    cpu_millicores: float = 0.0


class Health:
    """Healthy baselines plus the fault's effect, queried per component and minute."""

    def __init__(self, spec: CaseSpec, topo: Topology, rng: random.Random) -> None:
        self.spec = spec
        self.topo = topo
        self.base: dict[str, Baseline] = {}
        for name in topo.names:
            depth = topo.depth(name)
            self.base[name] = Baseline(
                latency_ms=rng.uniform(4, 40) * (1 + 0.4 * max(0, 3 - depth)),
                requests=rng.uniform(20, 400) / (1 + 0.5 * depth),
                fail_rate=rng.uniform(0.0, 0.006),
                cpu_millicores=rng.uniform(40, 400),
                memory_mb=rng.uniform(250, 1400),
                pods=1 if rng.random() < 0.7 else 2,
            )
        self.culprit_effect = self._culprit_effect(rng)
        others = [n for n in topo.names if n != spec.culprit and n not in topo.ancestors(spec.culprit)]
        self.blip = rng.choice(others) if others else None
        self.busy = rng.choice([n for n in others if n != self.blip] or others) if others else None
        self.blip_at = max(2.0, spec.window_min - spec.onset_min - rng.uniform(25, 45))

    def _culprit_effect(self, rng: random.Random) -> Effect:
        base = self.base[self.spec.culprit]
        fault = self.spec.fault
        if fault == "cpu":
            return Effect(
                latency_ms=base.latency_ms * rng.uniform(2.0, 4.0) + rng.uniform(80, 250),
                cpu_millicores=rng.uniform(700, 1100),
            )
        if fault == "delay":
            return Effect(latency_ms=rng.uniform(300, 1200))
        if fault == "exception":
            return Effect(fail_rate=rng.uniform(0.25, 0.6), latency_ms=base.latency_ms * 0.1)
        if fault == "deploy":
            return Effect(latency_ms=rng.uniform(500, 1500), fail_rate=rng.uniform(0.0, 0.03))
        if fault == "config":
            return Effect(fail_rate=rng.uniform(0.3, 0.7))
        if fault == "throttle":
            return Effect(latency_ms=rng.uniform(300, 900), fail_rate=rng.uniform(0.08, 0.2))
        return Effect()  # wrong_return: the culprit itself looks healthy

    def ramp(self, minute: float) -> float:
        """0 before onset, rising to 1 over two minutes."""
        since = minute - (self.spec.window_min - self.spec.onset_min)
        return 0.0 if since < 0 else min(1.0, 0.35 + since / 2.0)

    def effect(self, name: str, minute: float) -> Effect:
        """The fault's effect on ``name`` at ``minute`` since the window start."""
        level = self.ramp(minute)
        extra = self._bystander(name, minute)
        if level == 0.0:
            return extra
        culprit = self.spec.culprit
        hit = self.culprit_effect
        if name == culprit:
            return Effect(
                hit.latency_ms * level,
                hit.fail_rate * level,
                hit.cpu_millicores * level + extra.cpu_millicores,
            )
        chain = self.topo.ancestors(culprit)
        if name not in chain:
            return extra
        hop = chain.index(name) + 1
        if self.spec.fault == "wrong_return":
            return Effect(latency_ms=2.0 * level, fail_rate=0.3 * level * 0.65 ** (hop - 1))
        share = 0.9 * 0.85 ** (hop - 1)
        return Effect(hit.latency_ms * share * level, hit.fail_rate * 0.7**hop * level, extra.cpu_millicores)

    def _bystander(self, name: str, minute: float) -> Effect:
        if name == self.busy:
            return Effect(cpu_millicores=450.0 + 60.0 * math.sin(minute / 7.0))
        if name == self.blip and self.blip_at <= minute < self.blip_at + 6:
            return Effect(latency_ms=self.base[name].latency_ms * 2.5)
        return Effect()
