"""Metric series at one-minute resolution (``metrics.jsonl``), with noise and gaps.

Service series come from the fault model's expected values per minute; host series from
the host's baseline, the load of the services it runs, and host effects. A null value now
and then is a scrape gap, as real series have.
"""

from __future__ import annotations

from typing import Any

from evals.generators.base.clock import NS_PER_MIN, iso
from evals.generators.base.dynamics import Dynamics
from evals.generators.base.rng import CaseRandom
from evals.generators.base.tenant import Tenant

GAP_RATE = 0.012


class MetricWriter:
    """Renders every series of a case."""

    def __init__(
        self,
        tenant: Tenant,
        dynamics: Dynamics,
        rng: CaseRandom,
        start_ns: int,
        before_min: int,
        after_min: int,
    ) -> None:
        self.tenant = tenant
        self.dyn = dynamics
        self.rng = rng
        self.start_ns = start_ns
        self.minutes = list(range(-before_min, after_min))

    def _series(
        self, key: str, dims: dict[str, str], unit: str, values: list[float | None]
    ) -> dict[str, Any]:
        gapped: list[float | None] = []
        for v in values:
            gapped.append(None if v is None or self.rng.random() < GAP_RATE else round(v, 2))
        return {
            "metric.key": key,
            "dimensions": dims,
            "start": iso(self.start_ns + self.minutes[0] * NS_PER_MIN, 0),
            "interval": "1m",
            "unit": unit,
            "values": gapped,
        }

    def generate(self, *, packets: bool, process_cpu: bool, throttling: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        views = [self.dyn.minute(m) for m in self.minutes]
        baseline_count: dict[str, float] = {}
        for s in self.tenant.services.values():
            counts = [v.service_count(s.key) for v in views]
            if not any(counts):
                continue
            baseline_count[s.key] = sum(counts[:30]) / 30 or 1.0
            dims = {"dt.entity.service": s.id}
            rt: list[float | None] = []
            cnt: list[float | None] = []
            fails: list[float | None] = []
            for v, c in zip(views, counts, strict=True):
                lat = v.service_latency(s.key)
                n = float(self.rng.poisson(c))
                rt.append(None if lat is None or n == 0 else self.rng.around(lat * 1.12, 0.07) * 1000.0)
                cnt.append(n)
                fails.append(float(min(n, self.rng.poisson(v.service_failures(s.key)))))
            out.append(self._series("dt.service.request.response_time", dims, "MicroSecond", rt))
            out.append(self._series("dt.service.request.count", dims, "Count", cnt))
            out.append(self._series("dt.service.request.failure_count", dims, "Count", fails))
        for h in self.tenant.hosts.values():
            dims = {"dt.entity.host": h.id}
            cpu: list[float | None] = []
            mem: list[float | None] = []
            disk: list[float | None] = []
            drops: list[float | None] = []
            disk_level = h.disk
            for m, v in zip(self.minutes, views, strict=True):
                d = self.dyn.host_deltas(h.key, m + 0.5)
                load = 0.0
                for s in self.tenant.services.values():
                    if h.key in s.hosts and s.key in baseline_count:
                        ratio = v.service_count(s.key) / baseline_count[s.key]
                        load += max(-5.0, min(40.0, (ratio - 1.0) * 9.0 / len(s.hosts)))
                cpu.append(_clamp(self.rng.jitter(h.cpu, 0.08) + load + d["cpu"]))
                mem.append(_clamp(self.rng.jitter(h.memory, 0.015) + d["memory"]))
                disk_level += 0.002 * self.rng.random()
                disk.append(_clamp(disk_level + d["disk"]))
                drops.append(
                    max(0.0, float(self.rng.poisson(0.4)) + d["packets"] * self.rng.jitter(1.0, 0.2))
                )
            out.append(self._series("dt.host.cpu.usage", dims, "Percent", cpu))
            out.append(self._series("dt.host.memory.usage", dims, "Percent", mem))
            out.append(self._series("dt.host.disk.used.percent", dims, "Percent", disk))
            if packets:
                out.append(self._series("dt.host.net.nic.packets.dropped", dims, "PerMinute", drops))
        if process_cpu:
            for p in self.tenant.process_groups.values():
                vals: list[float | None] = []
                for m in self.minutes:
                    d = self.dyn.host_deltas(p.key, m + 0.5)
                    vals.append(_clamp(self.rng.jitter(p.cpu, 0.12) + d["process_cpu"]))
                out.append(
                    self._series("dt.process.cpu.usage", {"dt.entity.process_group": p.id}, "Percent", vals)
                )
        if throttling:
            for s in self.tenant.services.values():
                for pod, host in s.pods:
                    vals = []
                    for m in self.minutes:
                        d = self.dyn.host_deltas(host, m + 0.5)
                        own = self.dyn.host_deltas(s.key, m + 0.5)
                        vals.append(max(0.0, self.rng.around(2.0, 0.5) + d["throttled"] + own["throttled"]))
                    dims = {
                        "k8s.pod.name": pod,
                        "k8s.namespace.name": s.namespace or "default",
                        "dt.entity.service": s.id,
                    }
                    out.append(
                        self._series("dt.kubernetes.container.cpu_throttled", dims, "MilliCores", vals)
                    )
        return out


def _clamp(v: float) -> float:
    return max(0.0, min(100.0, v))
