"""Turn a :class:`CaseSpec` into a case folder holding only the spec's required fields."""

from __future__ import annotations

import math
import random
from datetime import datetime
from pathlib import Path
from typing import Any

from dynatrace_agent.case import CaseWriter
from evals.generators.min import ids
from evals.generators.min.signals import Effect, Health
from evals.generators.min.spec import CaseSpec
from evals.generators.min.topology import Topology, build_topology

Record = dict[str, Any]


class CaseBuilder:
    """Builds every table of one case from its spec and a seeded random source."""

    def __init__(self, spec: CaseSpec, seed: int) -> None:
        self.spec = spec
        self.rng = random.Random(f"{seed}/{spec.case_id}")
        self.salt = f"{seed}/{spec.case_id}"
        self.topo: Topology = build_topology(spec.shape, spec.size, self.rng, spec.pinned, (spec.culprit,))
        if spec.culprit not in self.topo.names:
            raise ValueError(f"{spec.case_id}: culprit {spec.culprit!r} is not in the topology")
        self.health = Health(spec, self.topo, self.rng)
        self.now = ids.parse(spec.now)
        self.start = self.now - ids.minutes(spec.window_min)
        self.onset = self.now - ids.minutes(spec.onset_min)
        self.eid = {n: ids.entity_id("SERVICE", n, self.salt) for n in self.topo.names}
        self.pods = {
            n: [
                f"{n}-{self._hex(n, 'rs', 10)}-{self._hex(n, str(k), 5)}"
                for k in range(self.health.base[n].pods)
            ]
            for n in self.topo.names
        }
        self.problem_start = self.onset + ids.minutes(self.rng.uniform(2.5, 6.0))

    def _hex(self, name: str, what: str, width: int) -> str:
        return format(ids.number(f"{self.salt}/{name}/{what}", 12), "x")[-width:]

    def _ts(self, moment: datetime) -> str:
        return ids.iso(moment, self.spec.frac_digits)

    # -- entities and the problem -----------------------------------------------------------

    def entities(self) -> list[Record]:
        rows: list[Record] = []
        for name in self.topo.names:
            row: Record = {"entityId": self.eid[name], "type": "SERVICE", "displayName": name}
            callees = self.topo.children.get(name, [])
            if self.spec.calls and callees:
                row["fromRelationships"] = {
                    "calls": [{"id": self.eid[c], "type": "SERVICE"} for c in callees]
                }
            rows.append(row)
        return rows

    def affected(self) -> str:
        chain = self.topo.ancestors(self.spec.culprit)
        if self.spec.affected == "caller" and chain:
            return chain[0]
        if self.spec.affected == "entry":
            return self.topo.entry
        return self.spec.culprit

    def _stub(self, name: str) -> Record:
        return {"entityId": {"id": self.eid[name], "type": "SERVICE"}, "name": name}

    def problem_ids(self) -> tuple[str, str]:
        ms = ids.epoch_ms(self.problem_start)
        problem_id = f"{-ids.number(self.salt + '/pid', 19)}_{ms}V2"
        display = f"P-{self.now.strftime('%y%m')}{ids.number(self.salt + '/did', 3)}"
        return problem_id, display

    def problems(self) -> list[Record]:
        problem_id, display = self.problem_ids()
        target = self.affected()
        latency = self.spec.fault in ("cpu", "delay", "deploy", "throttle")
        row: Record = {
            "problemId": problem_id,
            "displayId": display,
            "title": "Response time degradation" if latency else "Failure rate increase",
            "status": "OPEN",
            "severityLevel": "PERFORMANCE" if latency else "ERROR",
            "impactLevel": "SERVICES",
            "startTime": ids.epoch_ms(self.problem_start),
            "endTime": -1,
            "affectedEntities": [self._stub(target)],
            "impactedEntities": [self._stub(target)],
        }
        if self.spec.root_cause_entity == "culprit":
            row["rootCauseEntity"] = self._stub(self.spec.culprit)
        elif self.spec.root_cause_entity == "symptom":
            row["rootCauseEntity"] = self._stub(self.topo.entry)
        # An older, closed problem on a bystander: the one under investigation is not alone.
        other = self.health.blip or self.topo.entry
        old_start = self.start + ids.minutes(self.health.blip_at + 1)
        old: Record = {
            "problemId": f"{-ids.number(self.salt + '/old', 19)}_{ids.epoch_ms(old_start)}V2",
            "displayId": f"P-{self.now.strftime('%y%m')}{ids.number(self.salt + '/old-did', 3)}",
            "title": "Response time degradation",
            "status": "CLOSED",
            "severityLevel": "PERFORMANCE",
            "impactLevel": "SERVICES",
            "startTime": ids.epoch_ms(old_start),
            "endTime": ids.epoch_ms(old_start + ids.minutes(7)),
            "affectedEntities": [self._stub(other)],
            "impactedEntities": [self._stub(other)],
        }
        return [old, row]

    # -- metrics ----------------------------------------------------------------------------

    def _dims(self, name: str, pod: str | None) -> Record:
        mode = self.spec.metric_dims
        dims: Record = {}
        if mode == "id":
            dims["dt.entity.service"] = self.eid[name]
        elif mode == "name":
            dims["service.name"] = name
        if pod is not None:
            dims["k8s.pod.name"] = pod
        return dims

    def metrics(self) -> list[Record]:
        step = 5 if self.spec.interval == "5m" else 1
        buckets = self.spec.window_min // step
        per_pod = self.spec.shape == "bench"
        rows: list[Record] = []
        for name in self.topo.names:
            base = self.health.base[name]
            pods: list[str | None] = (
                list(self.pods[name]) if per_pod or self.spec.metric_dims == "pod" else [None]
            )
            for p_index, pod in enumerate(pods):
                # In a per-pod fault only the first pod of the culprit is hit (CPU hog, tc delay).
                hit_pod = p_index == 0 or self.spec.fault not in ("cpu", "delay")
                lat: list[float | None] = []
                req: list[float | None] = []
                fail: list[float | None] = []
                cpu: list[float | None] = []
                mem: list[float | None] = []
                for b in range(buckets):
                    minute = b * step + step / 2
                    eff = self.health.effect(name, minute)
                    if not hit_pod and name == self.spec.culprit:
                        eff = Effect()
                    n = max(1.0, base.requests * step / len(pods) * self.rng.gauss(1.0, 0.08))
                    rate = min(1.0, base.fail_rate + eff.fail_rate)
                    gap = self.rng.random() < 0.012
                    lat.append(
                        None
                        if gap
                        else round(
                            (base.latency_ms + eff.latency_ms) * self.rng.lognormvariate(0, 0.07) * 1000, 1
                        )
                    )
                    req.append(None if gap else float(round(n)))
                    spread = math.sqrt(max(n * rate * (1 - rate), 0.0))
                    fail.append(
                        None if gap else float(min(round(n), max(0, round(self.rng.gauss(n * rate, spread)))))
                    )
                    cpu.append(
                        None
                        if gap
                        else round((base.cpu_millicores + eff.cpu_millicores) * self.rng.gauss(1.0, 0.06), 1)
                    )
                    mem.append(
                        None
                        if gap
                        else round(
                            base.memory_mb * 1048576 * (1 + 0.0004 * b * step) * self.rng.gauss(1.0, 0.01)
                        )
                    )
                dims = self._dims(name, pod)
                series = [
                    ("dt.service.response.time", "MicroSecond", lat),
                    ("dt.service.request.count", "Count", req),
                    ("dt.service.request.failure_count", "Count", fail),
                ]
                if self.spec.with_cpu and per_pod:
                    series.append(("dt.kubernetes.container.cpu_usage", "MilliCores", cpu))
                    series.append(("dt.kubernetes.container.memory_working_set", "Byte", mem))
                for key, unit, values in series:
                    row: Record = {
                        "metric.key": key,
                        "dimensions": dims,
                        "start": ids.iso(self.start, 0),
                        "interval": self.spec.interval,
                        "values": values,
                    }
                    if self.rng.random() < 0.5:
                        row["unit"] = unit
                    rows.append(row)
        return rows

    # -- spans ------------------------------------------------------------------------------

    def _span_name(self, name: str) -> str:
        short = name.removeprefix("ts-").removesuffix("-service").replace("-", "")
        verbs = ("query", "get", "create", "update", "check")
        verb = verbs[ids.number(self.salt + name, 3) % len(verbs)]
        if self.spec.shape == "bench":
            return f"{short.capitalize()}Controller.{verb}{short.capitalize()}"
        return f"{verb.upper() if verb == 'get' else 'POST'} /{short}"

    def spans(self) -> list[Record]:
        rows: list[Record] = []
        window_s = self.spec.window_min * 60
        for _ in range(self.spec.spans):
            begin = self.start + ids.minutes(self.rng.uniform(0, window_s - 30) / 60)
            trace = format(self.rng.getrandbits(128), "032x")
            through_culprit = self.rng.random() < 0.45
            self._span(rows, trace, None, self.topo.entry, begin, 0, through_culprit)
        rows.sort(key=lambda r: (r["start_time"], r["span.id"]))
        return rows

    def _span(
        self,
        rows: list[Record],
        trace: str,
        parent: str | None,
        name: str,
        begin: datetime,
        depth: int,
        through_culprit: bool,
    ) -> datetime:
        span_id = format(self.rng.getrandbits(64), "016x")
        minute = (begin - self.start).total_seconds() / 60
        own = self.health.base[name].latency_ms * self.rng.lognormvariate(0, 0.25)
        if name == self.spec.culprit:
            own += (
                self.health.culprit_effect.latency_ms * self.health.ramp(minute) * self.rng.uniform(0.7, 1.3)
            )
        cursor = begin + ids.minutes(own * 0.3 / 60000)
        callees = list(self.topo.children.get(name, []))
        path = [c for c in callees if c == self.spec.culprit or self.spec.culprit in self._descendants(c)]
        picked: list[str] = []
        if through_culprit and path:
            picked.append(path[0])
        if callees and depth < 5:
            for c in self.rng.sample(callees, k=min(len(callees), self.rng.choice((0, 1, 1, 2)))):
                if c not in picked:
                    picked.append(c)
        for child in picked:
            cursor = self._span(rows, trace, span_id, child, cursor, depth + 1, through_culprit)
        end = cursor + ids.minutes(own * 0.7 / 60000)
        rows.append(
            {
                "trace.id": trace,
                "span.id": span_id,
                "span.parent_id": parent,
                "span.name": self._span_name(name),
                "start_time": self._ts(begin),
                "end_time": self._ts(end),
                "duration": int((end - begin).total_seconds() * 1e9),
                "dt.entity.service": self.eid[name],
            }
        )
        return end

    def _descendants(self, name: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.topo.children.get(name, []))
        while stack:
            node = stack.pop()
            out.add(node)
            stack.extend(self.topo.children.get(node, []))
        return out

    # -- logs -------------------------------------------------------------------------------

    def _log(self, moment: datetime, name: str, level: str, content: str) -> Record:
        entity = self.eid[name] if self.spec.log_entity == "dt.entity.service" else name
        return {
            "timestamp": self._ts(moment),
            "content": content,
            "loglevel": level,
            self.spec.log_entity: entity,
        }

    def logs(self) -> list[Record]:
        if not self.spec.logs:
            return []
        rows: list[Record] = []
        window = self.spec.window_min
        for name in self.topo.names:
            for _ in range(self.rng.randint(2, 6)):
                at = self.start + ids.minutes(self.rng.uniform(0, window))
                rows.append(
                    self._log(at, name, "INFO", f"[{name}] handled request in {self.rng.randint(3, 80)} ms")
                )
        noisy = self.rng.sample(self.topo.names, k=min(3, len(self.topo.names)))
        for name in noisy:
            for _ in range(self.rng.randint(2, 5)):
                at = self.start + ids.minutes(self.rng.uniform(0, window))
                rows.append(
                    self._log(
                        at,
                        name,
                        self.rng.choice(("WARN", "ERROR")),
                        "Connection reset by peer while reading from redis:6379; retrying",
                    )
                )
        rows.extend(self._fault_logs())
        rows.sort(key=lambda r: (r["timestamp"], r["content"]))
        return rows

    def _fault_logs(self) -> list[Record]:
        culprit, fault = self.spec.culprit, self.spec.fault
        chain = self.topo.ancestors(culprit)
        caller = chain[0] if chain else self.topo.entry
        port = 10000 + ids.number(culprit, 4) % 9000
        url = f"http://{culprit}:{port}/api/v1/{culprit.removeprefix('ts-').removesuffix('-service')}"
        rows: list[Record] = []
        for _ in range(self.rng.randint(25, 45)):
            at = self.onset + ids.minutes(self.rng.uniform(0.2, self.spec.onset_min - 0.5))
            if fault == "exception":
                cls = "".join(p.capitalize() for p in culprit.removeprefix("ts-").split("-"))
                rows.append(
                    self._log(
                        at,
                        culprit,
                        "ERROR",
                        f"java.lang.NullPointerException: null\n\tat com.bench.{cls}Impl.process"
                        f"({cls}Impl.java:{self.rng.randint(90, 240)})",
                    )
                )
                if self.rng.random() < 0.6:
                    rows.append(
                        self._log(at, caller, "ERROR", f"Call to {url} failed: 500 Internal Server Error")
                    )
            elif fault == "wrong_return":
                rows.append(
                    self._log(
                        at,
                        caller,
                        "ERROR",
                        f"java.lang.IllegalStateException: unexpected value in response from {url}: -1.0",
                    )
                )
            elif fault == "delay" and self.rng.random() < 0.5:
                rows.append(
                    self._log(
                        at, caller, "WARN", f"Slow response from {url}: {self.rng.randint(900, 3000)} ms"
                    )
                )
            elif fault in ("deploy", "config", "throttle") and self.rng.random() < 0.5:
                rows.append(self._log(at, caller, "ERROR", f"Request to {culprit} failed after retries"))
        return rows

    # -- events -----------------------------------------------------------------------------

    def change_events(self) -> tuple[list[Record], str | None]:
        rows: list[Record] = []
        real: str | None = None
        if self.spec.change == "real":
            at = self.onset - ids.minutes(self.rng.uniform(0.5, 3.0))
            kind = "CUSTOM_CONFIGURATION" if self.spec.fault == "config" else "CUSTOM_DEPLOYMENT"
            real = f"{ids.number(self.salt + '/ev', 19)}_{ids.epoch_ms(at)}"
            label = (
                f"Configuration change on {self.spec.culprit}"
                if kind == "CUSTOM_CONFIGURATION"
                else f"Deploy {self.spec.culprit} v{self.rng.randint(1, 4)}.{self.rng.randint(0, 20)}"
                f".{self.rng.randint(0, 9)}"
            )
            rows.append(
                {
                    "timestamp": self._ts(at),
                    "event.id": real,
                    "event.type": kind,
                    "event.name": label,
                    "dt.entity.service": self.eid[self.spec.culprit],
                }
            )
        if self.spec.decoy_change:
            others = [n for n in self.topo.names if n != self.spec.culprit]
            decoy = self.rng.choice(others)
            at = self.onset - ids.minutes(self.rng.uniform(4, 12))
            rows.append(
                {
                    "timestamp": self._ts(at),
                    "event.id": f"{ids.number(self.salt + '/decoy', 19)}_{ids.epoch_ms(at)}",
                    "event.type": "CUSTOM_DEPLOYMENT",
                    "event.name": f"Deploy {decoy} v{self.rng.randint(1, 4)}.{self.rng.randint(0, 20)}.0",
                    "dt.entity.service": self.eid[decoy],
                }
            )
        rows.sort(key=lambda r: r["timestamp"])
        return rows, real

    # -- the folder ---------------------------------------------------------------------------

    def write(self, out: Path) -> Path:
        problems = self.problems()
        events, change_id = self.change_events()
        tables: dict[str, list[Record]] = {
            "entities": self.entities(),
            "problems": problems,
            "metrics": self.metrics(),
            "spans": self.spans(),
            "logs": self.logs(),
            "events": events,
        }
        tables = {name: rows for name, rows in tables.items() if rows}
        lines = [name for name in tables if name not in ("entities", "problems")]
        problem_id, display = self.problem_ids()
        meta = {
            "format": "dynatrace-agent/incident-case@1",
            "id": self.spec.case_id,
            "title": self.spec.title,
            "description": self.spec.description,
            "now": self.spec.now,
            "problem": problem_id if self.spec.problem_ref == "id" else display,
            "expected": {
                "root_cause": {"entity_id": self.eid[self.spec.culprit], "name": self.spec.culprit},
                "category": self.spec.category,
                "change_event_id": change_id,
                "facts": list(self.spec.facts),
            },
            "tags": [f"kind:{self.spec.category}", f"shape:{self.spec.shape}", f"fault:{self.spec.fault}"],
            "source": {
                "dataset": "synthetic (evals.generators.min)",
                "licence": "same as the project",
                "reference": None,
            },
        }
        writer = CaseWriter(out, compress_above=None, compresslevel=9, array_indent=1, overwrite=True)
        return writer.write(meta, tables, compress=lines if self.spec.gzip else ()).path
