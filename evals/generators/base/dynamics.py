"""The fault model: how every endpoint, edge and host behaves at any minute of the window.

One model feeds every signal. Metrics and business events use its *expected* values per
minute (:meth:`Dynamics.minute`); spans sample it request by request. A failure or a
slowdown at a deep service therefore shows up, consistently, as failed and slower calls at
every caller that does not fall back, exactly as a cascade does in a real tenant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from evals.generators.base.model import Effect, Entry
from evals.generators.base.tenant import Tenant

PROPAGATE = 0.9
"""Chance a caller fails when a callee it cannot fall back from has failed."""
LATENCY_SPREAD = 0.35
"""Log-normal spread of per-request self time."""


@dataclass(frozen=True)
class OwnState:
    """A service's own behaviour at one moment (without its callees)."""

    latency_ms: float
    error_rate: float
    status_code: int
    exception_type: str | None
    exception_message: str | None


@dataclass
class MinuteView:
    """Expected behaviour during one minute (relative minute ``rel`` from incident start)."""

    rel: int
    latency: dict[tuple[str, str], float] = field(default_factory=dict)
    fail: dict[tuple[str, str], float] = field(default_factory=dict)
    rpm: dict[tuple[str, str], float] = field(default_factory=dict)
    own_fail: dict[tuple[str, str], float] = field(default_factory=dict)
    blame: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def service_count(self, service: str) -> float:
        return sum(v for (s, _), v in self.rpm.items() if s == service)

    def service_failures(self, service: str) -> float:
        return sum(v * self.fail[k] for k, v in self.rpm.items() if k[0] == service)

    def service_latency(self, service: str) -> float | None:
        total = self.service_count(service)
        if total <= 0:
            return None
        return sum(v * self.latency[k] for k, v in self.rpm.items() if k[0] == service) / total


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


class Dynamics:
    """Evaluates effects against the tenant's baseline; pure functions of time."""

    def __init__(self, tenant: Tenant, effects: tuple[Effect, ...], entries: tuple[Entry, ...]) -> None:
        self.tenant = tenant
        self.effects = effects
        self.entries = entries
        self._minutes: dict[int, MinuteView] = {}
        self._drift = {k: tenant.rng.uniform(0, 2 * math.pi) for k in tenant.services}

    @staticmethod
    def intensity(effect: Effect, rel: float) -> float:
        """0 before ``start``, ramps to 1 over ``ramp`` minutes, back to 0 after ``end``."""
        if rel < effect.start:
            return 0.0
        level = 1.0 if effect.ramp <= 0 else min(1.0, (rel - effect.start) / effect.ramp)
        if effect.end is not None and rel >= effect.end:
            level *= max(0.0, 1.0 - (rel - effect.end) / max(effect.ramp, 0.5))
        return level

    def _effects_on(self, key: str, rel: float) -> list[tuple[Effect, float]]:
        out = []
        for e in self.effects:
            if e.target == key:
                level = self.intensity(e, rel)
                if level > 0:
                    out.append((e, level))
        return out

    def intensity_any(self, key: str, rel: float) -> bool:
        """Whether any effect on ``key`` is active at ``rel``."""
        return bool(self._effects_on(key, rel))

    def own(self, service: str, rel: float) -> OwnState:
        s = self.tenant.services[service]
        drift = 1.0 + 0.06 * math.sin(rel / 23.0 + self._drift[service])
        latency = s.latency_ms * drift
        error = s.error_rate
        status, exc_type, exc_msg = 500, None, None
        for e, level in self._effects_on(service, rel):
            if e.callers or e.network_latency_ms or e.network_error_rate:
                continue
            latency = latency * (1.0 + (e.latency_factor - 1.0) * level) + e.added_latency_ms * level
            error = 1.0 - (1.0 - error) * (1.0 - e.error_rate * level)
            if e.error_rate > 0:
                status, exc_type, exc_msg = e.status_code, e.exception_type, e.exception_message
        return OwnState(latency, min(error, 1.0), status, exc_type, exc_msg)

    def edge(self, caller: str, callee: str, rel: float) -> tuple[float, float]:
        """Extra network milliseconds and failure rate on calls ``caller`` → ``callee``."""
        extra, error = 0.0, 0.0
        for e, level in self._effects_on(callee, rel):
            if not (e.network_latency_ms or e.network_error_rate):
                continue
            if e.callers and caller not in e.callers:
                continue
            extra += e.network_latency_ms * level
            error = 1.0 - (1.0 - error) * (1.0 - e.network_error_rate * level)
        return extra, error

    def traffic(self, entry: Entry, rel: float) -> float:
        factor = 1.0
        for key in [entry.service, *[a.key for a in self.tenant.applications.values() if entry in a.entries]]:
            for e, level in self._effects_on(key, rel):
                factor *= 1.0 + (e.traffic_factor - 1.0) * level
        return factor

    def host_deltas(self, key: str, rel: float) -> dict[str, float]:
        out = {"cpu": 0.0, "memory": 0.0, "disk": 0.0, "packets": 0.0, "process_cpu": 0.0, "throttled": 0.0}
        for e, level in self._effects_on(key, rel):
            out["cpu"] += e.host_cpu * level
            out["memory"] += e.host_memory * level
            out["disk"] += e.host_disk * level
            out["packets"] += e.packets_dropped * level
            out["process_cpu"] += e.process_cpu * level
            out["throttled"] += e.cpu_throttled * level
        return out

    # ---- expected values per minute ---------------------------------------------------
    def minute(self, rel: int) -> MinuteView:
        if rel in self._minutes:
            return self._minutes[rel]
        view = MinuteView(rel)
        t = rel + 0.5

        def walk(service: str, endpoint: str) -> tuple[float, float]:
            key = (service, endpoint)
            if key in view.latency:
                return view.latency[key], view.fail[key]
            own = self.own(service, t)
            ep = self.tenant.services[service].endpoints[endpoint]
            latency = own.latency_ms * ep.latency_factor
            ok = 1.0 - own.error_rate
            worst, worst_fail = None, 0.0
            for c in ep.calls:
                child_latency, child_fail = walk(c.service, c.endpoint)
                net_ms, net_err = self.edge(service, c.service, t)
                call_latency = child_latency + net_ms + 0.6
                call_fail = 1.0 - (1.0 - child_fail) * (1.0 - net_err)
                if c.timeout_ms is not None and call_latency > 0:
                    p_timeout = 1.0 - _phi(math.log(c.timeout_ms / call_latency) / LATENCY_SPREAD)
                    call_fail = 1.0 - (1.0 - call_fail) * (1.0 - p_timeout)
                    call_latency = min(call_latency, c.timeout_ms)
                latency += c.prob * call_latency
                if not c.fallback:
                    ok *= 1.0 - c.prob * call_fail * PROPAGATE
                    if c.prob * call_fail > worst_fail:
                        worst, worst_fail = c.service, c.prob * call_fail
            view.own_fail[key] = own.error_rate
            view.blame[key] = worst
            view.latency[key] = latency
            view.fail[key] = 1.0 - ok
            return latency, 1.0 - ok

        def spread(service: str, endpoint: str, rpm: float) -> None:
            key = (service, endpoint)
            view.rpm[key] = view.rpm.get(key, 0.0) + rpm
            for c in self.tenant.services[service].endpoints[endpoint].calls:
                spread(c.service, c.endpoint, rpm * c.prob)

        for entry in self.entries:
            walk(entry.service, entry.endpoint)
            spread(entry.service, entry.endpoint, entry.per_minute * self.traffic(entry, t))
        for s in self.tenant.services.values():
            for ep_name in s.endpoints:
                walk(s.key, ep_name)
        self._minutes[rel] = view
        return view
