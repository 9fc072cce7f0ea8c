"""Train-ticket style microservice benchmark cases, as a converter would map them.

The raw benchmark has per-pod metrics per minute, Jaeger-like spans and container logs
for about forty `ts-*-service` pods with one injected fault. The converter keeps the raw
metric names, hashes service names into entity ids and turns the alert that fired (mostly
at the gateway) into the problem record; nothing marks the culprit except the data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evals.generators.conv.common import (
    CaseMeta,
    Tenant,
    entity_stub,
    epoch_ms,
    hashed_id,
    iso,
    link_calls,
    minutes,
    series,
)

GATEWAY = "ts-ui-dashboard"

# caller -> [(callee, calls per request, probability the request needs it)]
CALLS: dict[str, list[tuple[str, int, float]]] = {
    GATEWAY: [
        ("ts-auth-service", 1, 0.25),
        ("ts-user-service", 1, 0.2),
        ("ts-travel-service", 1, 0.5),
        ("ts-travel2-service", 1, 0.25),
        ("ts-preserve-service", 1, 0.3),
        ("ts-order-service", 1, 0.3),
        ("ts-cancel-service", 1, 0.1),
        ("ts-route-plan-service", 1, 0.15),
        ("ts-food-service", 1, 0.15),
        ("ts-consign-service", 1, 0.1),
        ("ts-execute-service", 1, 0.1),
        ("ts-contacts-service", 1, 0.2),
        ("ts-inside-payment-service", 1, 0.15),
        ("ts-rebook-service", 1, 0.05),
        ("ts-admin-basic-info-service", 1, 0.05),
        ("ts-station-service", 1, 0.1),
        ("ts-notification-service", 1, 0.05),
    ],
    "ts-auth-service": [("ts-verification-code-service", 1, 0.6)],
    "ts-travel-service": [
        ("ts-basic-service", 2, 0.9),
        ("ts-seat-service", 2, 0.8),
        ("ts-route-service", 1, 0.6),
        ("ts-train-service", 1, 0.6),
        ("ts-order-service", 1, 0.5),
    ],
    "ts-travel2-service": [
        ("ts-basic-service", 2, 0.9),
        ("ts-seat-service", 1, 0.7),
        ("ts-route-service", 1, 0.5),
        ("ts-train-service", 1, 0.5),
        ("ts-order-other-service", 1, 0.5),
    ],
    "ts-basic-service": [
        ("ts-station-service", 2, 0.9),
        ("ts-train-service", 1, 0.8),
        ("ts-route-service", 1, 0.8),
        ("ts-price-service", 1, 0.8),
    ],
    "ts-seat-service": [
        ("ts-order-service", 1, 0.6),
        ("ts-order-other-service", 1, 0.3),
        ("ts-config-service", 1, 0.7),
    ],
    "ts-preserve-service": [
        ("ts-travel-service", 1, 0.9),
        ("ts-contacts-service", 1, 0.8),
        ("ts-seat-service", 1, 0.8),
        ("ts-order-service", 1, 0.9),
        ("ts-security-service", 1, 0.8),
        ("ts-food-service", 1, 0.3),
        ("ts-assurance-service", 1, 0.3),
        ("ts-consign-service", 1, 0.2),
        ("ts-user-service", 1, 0.6),
        ("ts-station-service", 1, 0.6),
        ("ts-notification-service", 1, 0.5),
    ],
    "ts-security-service": [("ts-order-service", 1, 0.9), ("ts-order-other-service", 1, 0.9)],
    "ts-food-service": [
        ("ts-food-map-service", 1, 0.9),
        ("ts-travel-service", 1, 0.4),
        ("ts-station-service", 1, 0.7),
    ],
    "ts-cancel-service": [
        ("ts-order-service", 1, 0.9),
        ("ts-order-other-service", 1, 0.4),
        ("ts-inside-payment-service", 1, 0.7),
        ("ts-user-service", 1, 0.5),
        ("ts-notification-service", 1, 0.5),
    ],
    "ts-inside-payment-service": [("ts-payment-service", 1, 0.8), ("ts-order-service", 1, 0.8)],
    "ts-route-plan-service": [
        ("ts-travel-service", 1, 0.8),
        ("ts-travel2-service", 1, 0.6),
        ("ts-route-service", 1, 0.8),
        ("ts-station-service", 1, 0.8),
    ],
    "ts-consign-service": [("ts-consign-price-service", 1, 0.9)],
    "ts-rebook-service": [
        ("ts-seat-service", 1, 0.8),
        ("ts-travel-service", 1, 0.8),
        ("ts-order-service", 1, 0.8),
        ("ts-inside-payment-service", 1, 0.5),
    ],
    "ts-execute-service": [("ts-order-service", 1, 0.9), ("ts-order-other-service", 1, 0.5)],
    "ts-admin-basic-info-service": [("ts-basic-service", 1, 0.5), ("ts-station-service", 1, 0.5)],
    "ts-order-service": [("ts-station-service", 1, 0.2)],
}
EXTRA = [
    "ts-ticketinfo-service",
    "ts-news-service",
    "ts-voucher-service",
    "ts-avatar-service",
    "ts-delivery-service",
    "ts-wait-order-service",
    "ts-gateway-service",
]


def services() -> list[str]:
    names = {GATEWAY, *EXTRA}
    for caller, callees in CALLS.items():
        names.add(caller)
        names.update(c for c, _, _ in callees)
    return sorted(names)


def ancestors(target: str) -> set[str]:
    found: set[str] = set()
    frontier = [target]
    while frontier:
        node = frontier.pop()
        for caller, callees in CALLS.items():
            if any(c == node for c, _, _ in callees) and caller not in found:
                found.add(caller)
                frontier.append(caller)
    return found


@dataclass(frozen=True)
class BenchSpec:
    """One case and the converter choices used for it."""

    case_id: str
    culprit: str
    fault: str  # exception | wrong_return | delay | cpu
    now: datetime
    rel_style: str = "from"  # from | to | both
    metric_dims: str = "entity"  # entity | name | pod
    metric_keys: str = "short"  # short | prom
    span_fail: str = "flag"  # flag | status
    log_style: str = "lower"  # lower | status | none
    alert_on: tuple[str, ...] = (GATEWAY,)
    impacted_extra: tuple[str, ...] = ()
    status: str = "OPEN"
    noise: str = "ts-notification-service"
    wrong_caller: str = ""
    gz: tuple[str, ...] = ()
    traces: int = 140


def pod_name(rng: random.Random, service: str) -> str:
    chars = "bcdfghjklmnpqrstvwxz2456789"
    head = "".join(rng.choice(chars) for _ in range(9))
    tail = "".join(rng.choice(chars) for _ in range(5))
    return f"{service}-{head}-{tail}"


class _Model:
    """Steady-state latency per service, with and without the fault, from the call graph."""

    def __init__(self, spec: BenchSpec, self_ms: dict[str, float]) -> None:
        self.spec = spec
        self.self_ms = self_ms

    def own(self, svc: str, faulty: bool) -> float:
        base = self.self_ms[svc]
        if not faulty or svc != self.spec.culprit:
            return base
        return {"delay": base + 420.0, "cpu": base * 5.0, "exception": base * 0.7}.get(self.spec.fault, base)

    def latency(self, svc: str, faulty: bool) -> float:
        total = self.own(svc, faulty)
        if svc == GATEWAY:
            return total + sum(p * self.latency(c, faulty) for c, n, p in CALLS[svc]) / 3.0
        return total + sum(n * p * self.latency(c, faulty) for c, n, p in CALLS.get(svc, []))

    def fail_rate(self, svc: str, faulty: bool) -> float:
        if not faulty:
            return 0.002
        spec = self.spec
        if spec.fault == "exception" and svc == spec.culprit:
            return 0.55
        if spec.fault == "wrong_return" and svc == spec.wrong_caller:
            return 0.45
        src = spec.culprit if spec.fault == "exception" else spec.wrong_caller
        if spec.fault in ("exception", "wrong_return") and svc in ancestors(src):
            return 0.25 if svc == GATEWAY else 0.4
        return 0.002


def build(spec: BenchSpec, seed: int) -> tuple[CaseMeta, Tenant]:
    rng = random.Random(f"{seed}:{spec.case_id}")
    names = services()
    t0 = spec.now - minutes(24)  # fault injection
    t_end = spec.now - minutes(4) if spec.status == "CLOSED" else spec.now
    start = spec.now - minutes(60)
    salt = spec.case_id[:5]
    ents: dict[str, dict[str, Any]] = {}
    pods = {s: pod_name(rng, s) for s in names}
    for s in names:
        ents[s] = {
            "entityId": hashed_id("SERVICE", s, salt),
            "type": "SERVICE",
            "displayName": s,
            "properties": {"serviceType": "WEB_REQUEST_SERVICE", "k8s.pod.name": pods[s]},
            "tags": [{"context": "CONTEXTLESS", "key": "app", "value": "train-ticket"}],
        }
    edges = [(a, c) for a, cs in CALLS.items() for c, _, _ in cs]
    link_calls(ents, edges, spec.rel_style)
    tenant = Tenant(entities=[ents[s] for s in names])

    self_ms = {s: rng.uniform(3.0, 18.0) for s in names}
    model = _Model(spec, self_ms)
    _metrics(spec, rng, tenant, ents, pods, model, start, t0, t_end)
    _spans(spec, rng, tenant, ents, pods, start, t0, t_end)
    _logs(spec, rng, tenant, ents, pods, start, t0, t_end)

    culprit = ents[spec.culprit]
    perf = spec.fault in ("delay", "cpu")
    pstart = t0 + minutes(rng.randint(2, 5))
    pid_num = rng.randrange(10**17, 10**18)
    display = f"P-{spec.now:%y%m}{rng.randint(100, 999)}"
    affected = [entity_stub(ents[s]) for s in spec.alert_on]
    problem = {
        "problemId": f"{pid_num}_{epoch_ms(pstart)}V2",
        "displayId": display,
        "title": "Response time degradation" if perf else "Failure rate increase",
        "status": spec.status,
        "severityLevel": "PERFORMANCE" if perf else "ERROR",
        "impactLevel": "SERVICES",
        "startTime": epoch_ms(pstart),
        "endTime": epoch_ms(t_end) if spec.status == "CLOSED" else -1,
        "affectedEntities": affected,
        "impactedEntities": affected + [entity_stub(ents[s]) for s in spec.impacted_extra],
        "entityTags": [],
        "managementZones": [],
    }
    tenant.problems.append(problem)
    category = {"exception": "code", "wrong_return": "code", "delay": "network", "cpu": "resource"}
    fault_text = {
        "exception": "an exception injected into its code",
        "wrong_return": "a method made to return a wrong value",
        "delay": "network delay injected on its pod",
        "cpu": "CPU contention (stress) on its pod",
    }[spec.fault]
    meta = CaseMeta(
        case_id=spec.case_id,
        title=f"{spec.fault.replace('_', ' ')} in {spec.culprit}",
        description=(
            f"Converted benchmark run: {spec.culprit} suffers {fault_text} from {t0:%H:%M} UTC; "
            f"the alert fired on {', '.join(spec.alert_on)}."
        ),
        now=spec.now,
        problem=display if rng.random() < 0.5 else str(problem["problemId"]),
        root_id=culprit["entityId"],
        root_name=[spec.culprit, pods[spec.culprit]],
        category=category[spec.fault],
        change_event_id=None,
        facts=[f"{spec.culprit} is the injected fault location", f"fault: {fault_text}"],
        tags=[f"fault:{spec.fault}", "dataset:train-ticket-like", f"metrics:{spec.metric_keys}"],
        dataset="train-ticket fault-injection benchmark (converted stand-in)",
    )
    return meta, tenant


def _dims(spec: BenchSpec, ent: dict[str, Any], pod: str) -> dict[str, str]:
    if spec.metric_dims == "entity":
        return {"dt.entity.service": ent["entityId"]}
    if spec.metric_dims == "name":
        return {"service.name": ent["displayName"]}
    return {"k8s.pod.name": pod}


def _metrics(
    spec: BenchSpec,
    rng: random.Random,
    tenant: Tenant,
    ents: dict[str, dict[str, Any]],
    pods: dict[str, str],
    model: _Model,
    start: datetime,
    t0: datetime,
    t_end: datetime,
) -> None:
    n = 60
    fault_idx = [t0 <= start + minutes(i) < t_end for i in range(n)]
    for s in services():
        dims = _dims(spec, ents[s], pods[s])
        lat_ok, lat_bad = model.latency(s, False), model.latency(s, True)
        fr_ok, fr_bad = model.fail_rate(s, False), model.fail_rate(s, True)
        reqs_base = rng.uniform(20, 300) if s != GATEWAY else 900.0
        cpu_base = rng.uniform(0.05, 0.4)
        mem_base = rng.uniform(300, 900) * 2**20
        net_base = reqs_base * rng.uniform(800, 3000)
        lat, reqs, err, cpu, mem, rx, tx = [], [], [], [], [], [], []
        for i in range(n):
            bad = fault_idx[i]
            jitter = 1.0 + rng.gauss(0, 0.08)
            latency = (lat_bad if bad else lat_ok) * jitter
            r = reqs_base * (1.0 + rng.gauss(0, 0.06))
            c = cpu_base * (1.0 + rng.gauss(0, 0.1))
            if bad and s == spec.culprit and spec.fault == "cpu":
                c = rng.uniform(1.6, 2.0)
            if bad and s == spec.culprit and spec.fault == "delay":
                r *= 0.8
            if s == spec.noise and 30 <= i < 41:  # unrelated batch job: loud but innocent
                latency *= 3.5
                c *= 4.0
            if bad and s in ancestors(spec.culprit) and spec.fault in ("delay", "cpu"):
                c *= 1.2  # more threads waiting
            lat.append(latency)
            reqs.append(r)
            err.append(r * (fr_bad if bad else fr_ok) * (1.0 + rng.gauss(0, 0.15)))
            cpu.append(c)
            mem.append(mem_base * (1.0 + 0.002 * i + rng.gauss(0, 0.01)))
            rx.append(
                net_base
                * (0.75 if bad and s == spec.culprit and spec.fault == "delay" else 1.0)
                * (1.0 + rng.gauss(0, 0.07))
            )
            tx.append(rx[-1] * rng.uniform(0.9, 1.3))
        if spec.metric_keys == "short":
            rows = [
                ("latency", lat, "MilliSecond"),
                ("requests", reqs, "Count"),
                ("errors", err, "Count"),
                ("cpu", cpu, "Cores"),
                ("memory", mem, "Byte"),
            ]
        else:
            cum = 0.0
            cpu_total = []
            for c in cpu:
                cum += c * 60.0
                cpu_total.append(cum)
            rows = [
                ("latency_p50", lat, "MilliSecond"),
                ("latency_p90", [v * rng.uniform(1.8, 2.4) for v in lat], "MilliSecond"),
                ("container_cpu_usage_seconds_total", cpu_total, "Second"),
                ("container_memory_working_set_bytes", mem, "Byte"),
                ("pod.network.receive_bytes", rx, "Byte"),
                ("pod.network.transmit_bytes", tx, "Byte"),
            ]
        for key, vals, unit in rows:
            row = series(key, dims, start, "1m", list(vals))
            row["unit"] = unit
            tenant.metrics.append(row)


def _spans(
    spec: BenchSpec,
    rng: random.Random,
    tenant: Tenant,
    ents: dict[str, dict[str, Any]],
    pods: dict[str, str],
    start: datetime,
    t0: datetime,
    t_end: datetime,
) -> None:
    path_to = ancestors(spec.culprit) | {spec.culprit}
    self_ns = {s: int(rng.uniform(2e6, 1.5e7)) for s in services()}

    budget = [0]
    targeted = [False]

    def visit(
        svc: str, parent: str | None, trace: str, at: int, bad: bool, depth: int, caller: str | None
    ) -> tuple[int, bool]:
        budget[0] -= 1
        span_id = f"{rng.getrandbits(64):016x}"
        own = int(self_ns[svc] * rng.lognormvariate(0, 0.25))
        failed = False
        if bad and svc == spec.culprit:
            if spec.fault == "delay":
                own += int(rng.uniform(3.5e8, 5e8))
            elif spec.fault == "cpu":
                own = int(own * rng.uniform(3, 7))
            elif spec.fault == "exception" and rng.random() < 0.6:
                failed = True
        cursor = at + own // 2
        child_failed = False
        if depth < 4:
            for callee, count, prob in CALLS.get(svc, []):
                must = targeted[0] and callee in path_to and rng.random() < 0.7
                if budget[0] <= 0 or (not must and rng.random() > prob * 0.25):
                    continue
                for _ in range(count if rng.random() < 0.5 else 1):
                    dur, cf = visit(callee, span_id, trace, cursor, bad, depth + 1, svc)
                    cursor += dur + 200_000
                    if cf:
                        child_failed = True
                    if (
                        bad
                        and spec.fault == "wrong_return"
                        and callee == spec.culprit
                        and svc == spec.wrong_caller
                        and rng.random() < 0.55
                    ):
                        failed = True
        if child_failed and rng.random() < 0.9:
            failed = True
        end = cursor + own // 2
        rec: dict[str, Any] = {
            "trace.id": trace,
            "span.id": span_id,
            "span.parent_id": parent,
            "span.name": f"{'GET' if rng.random() < 0.6 else 'POST'} /api/v1/{svc[3:-8] or 'ui'}",
            "start_time": iso(datetime.fromtimestamp(at / 1e9, tz=start.tzinfo)),
            "end_time": iso(datetime.fromtimestamp(end / 1e9, tz=start.tzinfo)),
            "duration": end - at,
            "dt.entity.service": ents[svc]["entityId"],
            "dt.service.name": svc,
            "service.name": svc,
            "k8s.pod.name": pods[svc],
        }
        if spec.span_fail == "flag":
            rec["request.is_failed"] = failed
        else:
            rec["http.response.status_code"] = 500 if failed else 200
        tenant.spans.append(rec)
        return end - at, failed

    base_ns = int(start.timestamp() * 1e9)
    for k in range(spec.traces):
        at = base_ns + int(rng.uniform(0, 3600) * 1e9)
        when = datetime.fromtimestamp(at / 1e9, tz=start.tzinfo)
        bad = t0 <= when < t_end
        budget[0] = 9
        targeted[0] = rng.random() < 0.5
        visit(GATEWAY, None, f"{rng.getrandbits(128):032x}", at, bad, 0, None)
        del k
    tenant.spans.sort(key=lambda r: (r["start_time"], r["span.id"]))


def _log(
    spec: BenchSpec,
    ents: dict[str, dict[str, Any]],
    pods: dict[str, str],
    svc: str,
    when: datetime,
    level: str,
    content: str,
) -> dict[str, Any]:
    rec: dict[str, Any] = {"timestamp": iso(when), "content": content}
    if spec.log_style == "lower":
        rec["loglevel"] = level.lower()
        rec["dt.entity.service"] = ents[svc]["entityId"]
    else:
        rec["status"] = level
        rec["service.name"] = svc
    rec["k8s.pod.name"] = pods[svc]
    return rec


def _logs(
    spec: BenchSpec,
    rng: random.Random,
    tenant: Tenant,
    ents: dict[str, dict[str, Any]],
    pods: dict[str, str],
    start: datetime,
    t0: datetime,
    t_end: datetime,
) -> None:
    if spec.log_style == "none":
        return
    chatty = [
        GATEWAY,
        "ts-travel-service",
        "ts-order-service",
        "ts-preserve-service",
        "ts-basic-service",
        "ts-seat-service",
        spec.noise,
        spec.culprit,
    ]
    for i in range(0, 60, 3):
        for svc in chatty:
            when = start + minutes(i + rng.random() * 3)
            tenant.logs.append(
                _log(
                    spec, ents, pods, svc, when, "INFO", f"[{svc}] request handled in {rng.randint(3, 60)} ms"
                )
            )
    for i in range(30, 41, 2):  # innocent noise: the batch job complains loudly
        tenant.logs.append(
            _log(
                spec,
                ents,
                pods,
                spec.noise,
                start + minutes(i),
                "WARN",
                "mail queue backlog above threshold, retrying later",
            )
        )
    tenant.logs.append(
        _log(
            spec,
            ents,
            pods,
            "ts-auth-service",
            start + minutes(12),
            "ERROR",
            "Invalid token for user 4d2a... (expired)",
        )
    )
    span = (t_end - t0).total_seconds() / 60.0
    callers = sorted(ancestors(spec.culprit) - {GATEWAY})
    for j in range(18):
        when = t0 + minutes(rng.uniform(0, span))
        if spec.fault == "exception":
            if j % 2 == 0:
                svc, lvl = spec.culprit, "ERROR"
                msg = (
                    f"java.lang.RuntimeException: injected failure in "
                    f"com.trainticket.{spec.culprit[3:-8]}.service.Impl.process"
                )
            else:
                svc, lvl = rng.choice(callers or [GATEWAY]), "ERROR"
                msg = f"org.springframework.web.client.HttpServerErrorException: 500 from {spec.culprit}"
        elif spec.fault == "wrong_return":
            svc, lvl = spec.wrong_caller, "ERROR"
            msg = (
                "java.lang.NullPointerException: unexpected response field is null "
                "at com.trainticket.service.Impl.query"
            )
        elif spec.fault == "delay":
            if j % 3:
                continue
            svc, lvl = rng.choice(callers or [GATEWAY]), "WARN"
            msg = "request took longer than 1000 ms"
        else:
            if j % 4:
                continue
            svc, lvl = rng.choice(callers or [GATEWAY]), "WARN"
            msg = "slow downstream response"
        tenant.logs.append(_log(spec, ents, pods, svc, when, lvl, msg))
    tenant.logs.sort(key=lambda r: r["timestamp"])
