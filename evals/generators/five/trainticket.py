"""Train-ticket-like cases: ~17 ``ts-*-service``s on Kubernetes with one injected fault.

Latency and errors are computed from a call graph (calls per request on each edge), so a
fault shows where it really would: CPU contention adds to the culprit's own time and is
multiplied up through fan-in; network delay is added on the wire, visible only client-side;
exceptions and wrong return values propagate as failures to callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from evals.generators.five.build import Tenant, event_id, iso, minutes, ms, problem_id

#: caller -> [(callee, calls per request)]
EDGES: dict[str, list[tuple[str, float]]] = {
    "ts-ui-dashboard": [
        ("ts-travel-service", 1),
        ("ts-preserve-service", 0.4),
        ("ts-order-service", 0.5),
        ("ts-auth-service", 0.3),
    ],
    "ts-preserve-service": [
        ("ts-order-service", 2),
        ("ts-travel-service", 1),
        ("ts-assurance-service", 1),
        ("ts-contacts-service", 1),
        ("ts-food-service", 1),
        ("ts-security-service", 1),
        ("ts-seat-service", 1),
    ],
    "ts-travel-service": [
        ("ts-route-service", 1),
        ("ts-train-service", 1),
        ("ts-basic-service", 2),
        ("ts-seat-service", 1),
    ],
    "ts-basic-service": [("ts-station-service", 2), ("ts-price-service", 1), ("ts-route-service", 1)],
    "ts-seat-service": [("ts-order-service", 1), ("ts-config-service", 1)],
    "ts-security-service": [("ts-order-service", 1)],
    "ts-order-service": [("ts-station-service", 0.5)],
}
OWN_MS = {
    "ts-ui-dashboard": 4.0,
    "ts-preserve-service": 12.0,
    "ts-travel-service": 9.0,
    "ts-basic-service": 6.0,
    "ts-seat-service": 7.0,
    "ts-security-service": 5.0,
    "ts-order-service": 11.0,
    "ts-route-service": 8.0,
    "ts-train-service": 4.0,
    "ts-station-service": 3.0,
    "ts-price-service": 4.0,
    "ts-config-service": 2.5,
    "ts-auth-service": 15.0,
    "ts-assurance-service": 5.0,
    "ts-contacts-service": 4.5,
    "ts-food-service": 9.0,
    "ts-notification-service": 3.0,
}
SERVICES = list(OWN_MS)
CALLERS: dict[str, list[tuple[str, float]]] = {}
for _caller, _outs in EDGES.items():
    for _callee, _n in _outs:
        CALLERS.setdefault(_callee, []).append((_caller, _n))


@dataclass
class Fault:
    """One injected fault: ``kind`` in cpu / netem / exception / wrong_return."""

    kind: str
    culprit: str
    size: float
    at: int


@dataclass
class Model:
    """Per-minute latency (ms), request and failure counts of every service."""

    rate: float
    fault: Fault
    rt: dict[str, list[float]] = field(default_factory=dict)
    client_rt: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    req: dict[str, list[float]] = field(default_factory=dict)
    fail: dict[str, list[float]] = field(default_factory=dict)


def _order() -> list[str]:
    """Services callees-first, so a caller's time is computed after its callees'."""
    seen: list[str] = []

    def visit(s: str) -> None:
        if s in seen:
            return
        for callee, _ in EDGES.get(s, []):
            visit(callee)
        seen.append(s)

    for s in SERVICES:
        visit(s)
    return seen


def simulate(t: Tenant, fault: Fault, n: int, rate: float) -> Model:
    m = Model(rate=rate, fault=fault)
    order = _order()
    for s in SERVICES:
        m.rt[s], m.req[s], m.fail[s] = [], [], []
    for caller, outs in EDGES.items():
        for callee, _ in outs:
            m.client_rt[(caller, callee)] = []
    for i in range(n):
        on = i >= fault.at
        ramp = 0.0 if not on else min(1.0, 0.5 + 0.25 * (i - fault.at))
        rt: dict[str, float] = {}
        err: dict[str, float] = {}
        for s in order:
            own = OWN_MS[s] * (1 + t.rng.gauss(0, 0.06))
            if fault.kind == "cpu" and s == fault.culprit:
                own += fault.size * ramp * (1 + t.rng.gauss(0, 0.15))
            total, e = own, 0.0
            if fault.kind == "exception" and s == fault.culprit:
                e = fault.size * ramp
            for callee, k in EDGES.get(s, []):
                wire = 0.6 + abs(t.rng.gauss(0, 0.1))
                if fault.kind == "netem" and callee == fault.culprit:
                    wire += fault.size * ramp * (1 + t.rng.gauss(0, 0.05))
                c = rt[callee] + wire
                m.client_rt[(s, callee)].append(round(c, 2))
                total += k * c
                down = err[callee]
                if fault.kind == "wrong_return" and callee == fault.culprit:
                    down = fault.size * ramp
                e = 1 - (1 - e) * (1 - min(1.0, k * down))
            rt[s] = total
            err[s] = e
        reqs = {s: 0.0 for s in SERVICES}
        reqs["ts-ui-dashboard"] = rate * (1 + t.rng.gauss(0, 0.04))
        reqs["ts-notification-service"] = rate * 0.05
        for s in reversed(order):
            for callee, k in EDGES.get(s, []):
                reqs[callee] += reqs[s] * k
        for s in SERVICES:
            m.rt[s].append(round(rt[s], 2))
            m.req[s].append(round(reqs[s]))
            base_err = 0.0015 if s == "ts-auth-service" else 0.0002
            m.fail[s].append(round(reqs[s] * (err[s] + base_err * abs(t.rng.gauss(1, 0.5)))))
    return m


@dataclass
class Variant:
    """The converter's choices for one case."""

    side: str  # relationship side: from / to / both
    pods_as_entities: bool
    rt_key: str
    rt_unit_us: bool
    pod_cpu_key: str
    pod_dims_with_service: bool
    with_spans: bool
    with_logs: bool
    name_style: str  # "ts" (ts-order-service) or "short" (order-service)
    gz: tuple[str, ...] = ()


def pod_name(t: Tenant, svc: str) -> str:
    h = t.hex_id("pod" + svc, 16).lower()
    alnum = "".join(c for c in h if c.isalnum())
    return f"{svc}-{alnum[:9]}-{alnum[9:14]}"


def display(svc: str, v: Variant) -> str:
    return svc if v.name_style == "ts" else svc.removeprefix("ts-")


def build_entities(t: Tenant, v: Variant, first: datetime) -> tuple[dict[str, str], dict[str, str]]:
    sids: dict[str, str] = {}
    pods: dict[str, str] = {}
    cluster = t.entity("KUBERNETES_CLUSTER", "train-ticket-cluster", firstSeenTms=ms(first) - 86400000 * 9)
    for s in SERVICES:
        props: dict[str, Any] = {
            "serviceType": "WEB_REQUEST",
            "softwareTechnologies": ["JAVA", "SPRING_BOOT", "TOMCAT"],
        }
        if v.name_style == "short":
            props["webServiceName"] = s
        sids[s] = t.entity(
            "SERVICE",
            display(s, v),
            properties=props,
            tags=[
                {
                    "context": "KUBERNETES",
                    "key": "app",
                    "value": s,
                    "stringRepresentation": f"[Kubernetes]app:{s}",
                }
            ],
            managementZones=[{"id": "4411", "name": "train-ticket"}],
            firstSeenTms=ms(first) - 86400000 * 7,
            lastSeenTms=ms(first) + 3600000,
        )
        pod = pod_name(t, s)
        if v.pods_as_entities:
            pods[s] = t.entity(
                "CLOUD_APPLICATION_INSTANCE",
                pod,
                properties={"namespaceName": "train-ticket", "workloadName": s},
            )
            t.relate(sids[s], "runsOn", pods[s], "both")
            t.relate(pods[s], "isInstanceOf", cluster, "from")
        else:
            pods[s] = pod
    for caller, outs in EDGES.items():
        for callee, _ in outs:
            t.relate(sids[caller], "calls", sids[callee], v.side)
    return sids, pods


def emit_metrics(
    t: Tenant, v: Variant, m: Model, sids: dict[str, str], pods: dict[str, str], start: datetime, n: int
) -> None:
    scale = 1000.0 if v.rt_unit_us else 1.0
    unit = "MicroSecond" if v.rt_unit_us else "MilliSecond"
    for s in SERVICES:
        dims = {"dt.entity.service": sids[s]}
        rt = [round(x * scale, 1) for x in m.rt[s]]
        if t.rng.random() < 0.3:
            rt[t.rng.randrange(n)] = None  # type: ignore[call-overload]
        t.series(v.rt_key, dims, start, "1m", list(rt), unit)
        t.series("dt.service.request.count", dims, start, "1m", list(m.req[s]), "Count")
        t.series("dt.service.request.failure_count", dims, start, "1m", list(m.fail[s]), "Count")
    for s in SERVICES:
        pod = (
            pods[s]
            if not v.pods_as_entities
            else next(e["displayName"] for e in t.entities if e["entityId"] == pods[s])
        )
        pdims = {"k8s.pod.name": pod, "k8s.namespace.name": "train-ticket"}
        if v.pod_dims_with_service:
            pdims["dt.entity.service"] = sids[s]
        if v.pods_as_entities:
            pdims["dt.entity.cloud_application_instance"] = pods[s]
        base_cpu = 80 + 12 * OWN_MS[s]
        cpu = [
            base_cpu * (m.req[s][i] / max(1.0, m.req[s][0])) * (1 + t.rng.gauss(0, 0.08)) for i in range(n)
        ]
        f = m.fault
        if f.kind == "cpu" and s == f.culprit:
            cpu = [c + (780 if i >= f.at else 0) * (1 + t.rng.gauss(0, 0.04)) for i, c in enumerate(cpu)]
        t.series(v.pod_cpu_key, pdims, start, "1m", [round(c, 1) for c in cpu], "MilliCores")
        mem = t.noisy(410e6 + 9e6 * OWN_MS[s], n, 0.01)
        t.series("dt.kubernetes.container.memory_working_set", pdims, start, "1m", mem, "Byte")
        rx = [r * 2100 * (1 + t.rng.gauss(0, 0.05)) for r in m.req[s]]
        t.series("dt.kubernetes.pod.network.rx_bytes", pdims, start, "1m", [round(x) for x in rx], "Byte")
        t.series(
            "dt.kubernetes.pod.network.tx_packets", pdims, start, "1m", [round(x / 900) for x in rx], "Count"
        )
        p90 = [round(x * 1.7 * (1 + t.rng.gauss(0, 0.05)), 1) for x in m.rt[s]]
        t.series("k8s.pod.latency.p90", pdims, start, "1m", list(p90), "MilliSecond")


def emit_spans(
    t: Tenant, v: Variant, m: Model, sids: dict[str, str], start: datetime, n: int, traces: int
) -> None:
    f = m.fault
    for k in range(traces):
        i = min(n - 1, int((k + t.rng.random()) * n / traces))
        t0 = minutes(start, i, 1) + timedelta(seconds=t.rng.uniform(0, 55))
        tid = t.hex_id(f"trace{k}", 32).lower()
        budget = [22]

        def span(
            svc: str,
            parent: str | None,
            at: datetime,
            idx: int,
            depth: int,
            k: int = k,
            tid: str = tid,
            budget: list[int] = budget,
        ) -> tuple[float, bool]:
            sid = t.hex_id(f"span{k}/{svc}/{depth}/{budget[0]}", 16).lower()
            budget[0] -= 1
            own = OWN_MS[svc] * (1 + t.rng.gauss(0, 0.1))
            if f.kind == "cpu" and svc == f.culprit and idx >= f.at:
                own += f.size * (1 + t.rng.gauss(0, 0.2))
            failed = f.kind == "exception" and svc == f.culprit and idx >= f.at and t.rng.random() < f.size
            cursor = at + timedelta(milliseconds=own / 2)
            total = own
            for callee, mult in EDGES.get(svc, []):
                if budget[0] <= 0 or (mult < 1 and t.rng.random() > mult):
                    continue
                wire = 0.6 + (f.size if f.kind == "netem" and callee == f.culprit and idx >= f.at else 0.0)
                cid = t.hex_id(f"client{k}/{svc}/{callee}/{budget[0]}", 16).lower()
                child_at = cursor + timedelta(milliseconds=wire / 2)
                child_ms, child_failed = span(callee, cid, child_at, idx, depth + 1)
                if (
                    f.kind == "wrong_return"
                    and callee == f.culprit
                    and idx >= f.at
                    and t.rng.random() < f.size
                ):
                    child_failed = True
                c_ms = child_ms + wire
                t.record(
                    "spans",
                    _span(
                        tid,
                        cid,
                        sid,
                        f"GET /api/v1/{callee.removeprefix('ts-').removesuffix('-service')}",
                        cursor,
                        c_ms,
                        sids[svc],
                        display(svc, v),
                        "client",
                        child_failed,
                        callee,
                    ),
                )
                cursor += timedelta(milliseconds=c_ms)
                total += c_ms
                failed = failed or child_failed
            rec = _span(
                tid,
                sid,
                parent,
                f"{svc.removeprefix('ts-')} request",
                at,
                total,
                sids[svc],
                display(svc, v),
                "server",
                failed,
                None,
            )
            if parent is None:
                rec["request.is_root_span"] = True
            rec["k8s.pod.name"] = pod_name(t, svc)
            t.record("spans", rec)
            return total, failed

        span("ts-ui-dashboard", None, t0, i, 0)


def _span(
    tid: str,
    sid: str,
    parent: str | None,
    name: str,
    at: datetime,
    dur_ms: float,
    svc_id: str,
    svc_name: str,
    kind: str,
    failed: bool,
    peer: str | None,
) -> dict[str, Any]:
    end = at + timedelta(milliseconds=dur_ms)
    rec: dict[str, Any] = {
        "trace.id": tid,
        "span.id": sid,
        "span.parent_id": parent,
        "span.name": name,
        "start_time": iso(at),
        "end_time": iso(end),
        "duration": int(dur_ms * 1e6),
        "dt.entity.service": svc_id,
        "dt.service.name": svc_name,
        "service.name": svc_name,
        "span.kind": kind,
        "request.is_failed": failed,
    }
    if peer is not None:
        rec["server.address"] = peer
        rec["http.response.status_code"] = 500 if failed else 200
    return rec


def emit_background_logs(t: Tenant, v: Variant, sids: dict[str, str], start: datetime, n: int) -> None:
    for i in range(0, n, 3):
        s = SERVICES[(i * 7) % len(SERVICES)]
        t.record(
            "logs",
            {
                "timestamp": iso(minutes(start, i, 1) + timedelta(seconds=7)),
                "content": f"[{s}] handled request batch size={t.rng.randint(20, 80)}",
                "loglevel": "INFO",
                "status": "INFO",
                "dt.entity.service": sids[s],
                "service.name": display(s, v),
                "k8s.pod.name": pod_name(t, s),
                "k8s.namespace.name": "train-ticket",
            },
        )
        if i % 6 == 0:
            t.record(
                "logs",
                {
                    "timestamp": iso(minutes(start, i, 1) + timedelta(seconds=31)),
                    "content": "io.jsonwebtoken.ExpiredJwtException: JWT expired at 2025-01-01T00:00:00Z",
                    "loglevel": "ERROR",
                    "status": "ERROR",
                    "dt.entity.service": sids["ts-auth-service"],
                    "service.name": display("ts-auth-service", v),
                    "k8s.pod.name": pod_name(t, "ts-auth-service"),
                },
            )


def problem(
    t: Tenant,
    sid: str,
    others: list[str],
    title: str,
    severity: str,
    start: datetime,
    root: str | None,
    evidence: list[dict[str, Any]],
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "problemId": problem_id(t, start),
        "displayId": f"P-{start:%y%m}{int(t.hex_id('disp', 6), 16) % 100000:05d}",
        "title": title,
        "status": "OPEN",
        "severityLevel": severity,
        "impactLevel": "SERVICES",
        "startTime": ms(start),
        "endTime": -1,
        "affectedEntities": [t.stub(sid)],
        "impactedEntities": [t.stub(x) for x in [sid, *others]],
        "managementZones": [{"id": "4411", "name": "train-ticket"}],
        "k8s.namespace.name": ["train-ticket"],
    }
    if root is not None:
        p["rootCauseEntity"] = t.stub(root)
    if evidence:
        p["evidenceDetails"] = {"totalCount": len(evidence), "details": evidence}
    t.problems.append(p)
    return p


def metric_evidence(
    t: Tenant, sid: str, metric: str, unit: str, before: float, after: float, at: datetime
) -> dict[str, Any]:
    return {
        "evidenceType": "METRIC",
        "displayName": metric,
        "entity": t.stub(sid),
        "rootCauseRelevant": True,
        "startTime": ms(at),
        "metricId": metric,
        "unit": unit,
        "valueBeforeChangePoint": before,
        "valueAfterChangePoint": after,
        "endTime": -1,
    }


def change_event(
    t: Tenant, label: str, at: datetime, sid: str, etype: str, name: str, extra: dict[str, Any]
) -> str:
    eid = event_id(t, label, at)
    rec: dict[str, Any] = {
        "timestamp": iso(at),
        "event.id": eid,
        "event.type": etype,
        "event.name": name,
        "event.kind": "DAVIS_EVENT",
        "event.status": "CLOSED",
        "event.start": iso(at),
        "event.end": iso(at + timedelta(seconds=40)),
        "dt.source_entity": sid,
        "affected_entity_ids": [sid],
    }
    rec.update(extra)
    t.record("events", rec)
    return eid
