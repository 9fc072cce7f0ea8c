"""A Java microservice benchmark (train-ticket-like) on Kubernetes: the shared world of cases D–H.

Shapes the original generator never makes: long synchronous call chains with a client span
for every outgoing call (so wire time is visible), per-pod container metrics keyed only by
Kubernetes dimensions (no ``dt.entity.service``), Spring Boot logs with stack traces, and
faults that act on one pod (network delay, CPU stress) or on returned data (wrong value).

Every minute a population of traces is simulated through the call trees; the per-minute
service metrics are aggregated from that whole population and only a small sample of the
traces is kept as spans, as a sampling tenant would.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from evals.generators.alt.common import (
    Json,
    Topology,
    epoch_ms,
    event_id,
    hex_id,
    iso,
    iso_ns,
    jitter,
    series,
    tag,
)

NAMESPACE = "train-ticket"
CLUSTER = "tt-bench-aks"
ZONE: Json = {"id": "7734310995710528721", "name": "train-ticket"}
MINUTE = timedelta(minutes=1)
SIMULATED_PER_MINUTE = 20
KEEP_SHARE = 0.11
TRAFFIC_SCALE = 30  # real requests per simulated request

#: service → (self time in ms, node index, CPU millicores per real request/min, CPU limit millicores)
SERVICES: dict[str, tuple[float, int, float, float]] = {
    "ts-ui-dashboard": (3, 0, 0.35, 1000),
    "ts-travel-service": (12, 0, 0.9, 1000),
    "ts-basic-service": (8, 1, 0.7, 1000),
    "ts-station-service": (4, 2, 0.4, 500),
    "ts-route-service": (5, 3, 0.5, 500),
    "ts-price-service": (4, 2, 0.4, 500),
    "ts-seat-service": (10, 0, 0.8, 1000),
    "ts-order-service": (9, 1, 0.8, 1000),
    "ts-config-service": (3, 3, 0.3, 500),
    "ts-preserve-service": (20, 1, 1.2, 1000),
    "ts-security-service": (6, 2, 0.4, 500),
    "ts-contacts-service": (5, 3, 0.4, 500),
    "ts-assurance-service": (4, 2, 0.3, 500),
    "ts-user-service": (5, 3, 0.4, 500),
    "ts-auth-service": (30, 1, 1.5, 1000),
    "ts-food-service": (15, 3, 0.6, 500),
    "ts-train-service": (4, 2, 0.3, 500),
}
DATABASES = {
    "ts-order-service": "ts-order-mysql",
    "ts-station-service": "ts-station-mongo",
    "ts-user-service": "ts-user-mongo",
}
NODES = (
    "aks-nodepool1-31870452-vmss000000",
    "aks-nodepool1-31870452-vmss000001",
    "aks-nodepool1-31870452-vmss000002",
    "aks-nodepool1-31870452-vmss000003",
)


def pod_name(service: str) -> str:
    """A stable ReplicaSet-style pod name."""
    h = hashlib.sha256(service.encode()).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    rs = "".join(alphabet[int(h[i : i + 2], 16) % len(alphabet)] for i in range(0, 20, 2))
    return f"{service}-{rs[:9]}-{rs[5:10]}"


@dataclass(frozen=True)
class Op:
    """One request a service serves, and the calls it makes, in order."""

    service: str
    method: str
    route: str
    children: tuple[Op, ...] = ()


def _op(service: str, method: str, route: str, *children: Op) -> Op:
    return Op(service, method, route, tuple(children))


PRICE = _op("ts-price-service", "GET", "/api/v1/priceservice/prices/{routeId}/{trainType}")
TEMPLATES: tuple[tuple[float, Op], ...] = (
    (
        4.0,
        _op(
            "ts-ui-dashboard",
            "POST",
            "/api/v1/travelservice/trips/left",
            _op(
                "ts-travel-service",
                "POST",
                "/api/v1/travelservice/trips/left",
                _op(
                    "ts-basic-service",
                    "POST",
                    "/api/v1/basicservice/basic/travels",
                    _op("ts-station-service", "GET", "/api/v1/stationservice/stations/id/{stationNameForId}"),
                    _op("ts-route-service", "GET", "/api/v1/routeservice/routes/{routeId}"),
                    PRICE,
                ),
                _op(
                    "ts-seat-service",
                    "POST",
                    "/api/v1/seatservice/seats/left_tickets",
                    _op("ts-order-service", "POST", "/api/v1/orderservice/order/tickets"),
                    _op("ts-config-service", "GET", "/api/v1/configservice/configs/{configName}"),
                ),
            ),
        ),
    ),
    (
        1.0,
        _op(
            "ts-ui-dashboard",
            "POST",
            "/api/v1/preserveservice/preserve",
            _op(
                "ts-preserve-service",
                "POST",
                "/api/v1/preserveservice/preserve",
                _op(
                    "ts-security-service",
                    "GET",
                    "/api/v1/securityservice/securityConfigs/{accountId}",
                    _op(
                        "ts-order-service",
                        "GET",
                        "/api/v1/orderservice/order/security/{checkDate}/{accountId}",
                    ),
                ),
                _op("ts-contacts-service", "GET", "/api/v1/contactservice/contacts/{id}"),
                _op(
                    "ts-travel-service",
                    "POST",
                    "/api/v1/travelservice/trip_detail",
                    _op(
                        "ts-basic-service",
                        "POST",
                        "/api/v1/basicservice/basic/travel",
                        _op("ts-route-service", "GET", "/api/v1/routeservice/routes/{routeId}"),
                        PRICE,
                    ),
                ),
                _op("ts-order-service", "POST", "/api/v1/orderservice/order"),
                _op("ts-assurance-service", "GET", "/api/v1/assuranceservice/assurances/types"),
                _op("ts-user-service", "GET", "/api/v1/userservice/users/id/{userId}"),
            ),
        ),
    ),
    (
        2.0,
        _op(
            "ts-ui-dashboard",
            "POST",
            "/api/v1/orderservice/order/refresh",
            _op(
                "ts-order-service",
                "POST",
                "/api/v1/orderservice/order/refresh",
                _op("ts-station-service", "POST", "/api/v1/stationservice/stations/namelist"),
            ),
        ),
    ),
    (
        1.0,
        _op(
            "ts-ui-dashboard",
            "POST",
            "/api/v1/users/login",
            _op(
                "ts-auth-service",
                "POST",
                "/api/v1/users/login",
                _op("ts-user-service", "GET", "/api/v1/userservice/users/{userName}"),
            ),
        ),
    ),
    (
        1.0,
        _op(
            "ts-ui-dashboard",
            "GET",
            "/api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}",
            _op(
                "ts-food-service",
                "GET",
                "/api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}",
                _op("ts-station-service", "GET", "/api/v1/stationservice/stations/id/{stationNameForId}"),
            ),
        ),
    ),
    (
        1.0,
        _op(
            "ts-ui-dashboard",
            "GET",
            "/api/v1/trainservice/trains",
            _op("ts-train-service", "GET", "/api/v1/trainservice/trains"),
        ),
    ),
)


class Fault:
    """What an injected fault does; the base class is a healthy system."""

    def __init__(self, start: datetime, end: datetime | None) -> None:
        self.start = start
        self.end = end

    def active(self, ts: datetime) -> bool:
        return ts >= self.start and (self.end is None or ts < self.end)

    def self_factor(self, service: str, ts: datetime, rng: random.Random) -> float:
        return 1.0

    def net_delay_ms(self, callee: str, ts: datetime, rng: random.Random) -> float:
        return 0.0

    def fails(self, op: Op, ts: datetime, rng: random.Random) -> str | None:
        """A reason when the service itself fails this request."""
        return None

    def wrong_answer(self, op: Op, ts: datetime, rng: random.Random) -> bool:
        """Whether the service answers successfully but with wrong data."""
        return False

    def cpu_extra(self, service: str, ts: datetime) -> float:
        return 0.0


@dataclass
class SpanOut:
    """One simulated server span and what happened in it."""

    op: Op
    start: datetime
    duration_ms: float
    failed: bool
    reason: str | None  # own failure reason, or None when relayed / ok
    relayed_from: str | None
    wrong_from: str | None
    span_id: str
    parent_client: str | None
    children: list[tuple[Json, SpanOut]] = field(default_factory=list)


class Simulator:
    """Runs requests through the call trees under a fault."""

    def __init__(self, rng: random.Random, fault: Fault) -> None:
        self.rng = rng
        self.fault = fault

    def serve(self, op: Op, start: datetime, parent_client: str | None) -> SpanOut:
        rng, ts = self.rng, start
        base, *_ = SERVICES[op.service]
        own = jitter(rng, base, 0.35) * self.fault.self_factor(op.service, ts, rng)
        span = SpanOut(op, start, 0.0, False, None, None, None, hex_id(rng, 8), parent_client)
        cursor = start + timedelta(milliseconds=own * 0.3)
        reason = self.fault.fails(op, ts, rng)
        if reason is None:
            for child in op.children:
                net = jitter(rng, 0.8, 0.3) + self.fault.net_delay_ms(child.service, cursor, rng)
                client_id = hex_id(rng, 8)
                served = self.serve(child, cursor + timedelta(milliseconds=net / 2), client_id)
                client_ms = served.duration_ms + net
                client = {
                    "id": client_id,
                    "start": cursor,
                    "ms": client_ms,
                    "op": child,
                    "failed": served.failed,
                }
                span.children.append((client, served))
                cursor += timedelta(milliseconds=client_ms)
                if served.failed:
                    span.failed, span.relayed_from = True, child.service
                    break
                if self.fault.wrong_answer(child, cursor, rng):
                    span.failed, span.wrong_from = True, child.service
                    break
        else:
            span.failed, span.reason = True, reason
        end = cursor + timedelta(milliseconds=own * 0.7)
        span.duration_ms = (end - start).total_seconds() * 1000
        return span

    def minute(self, ts: datetime) -> list[SpanOut]:
        """The simulated root requests of one minute."""
        weights = [w for w, _ in TEMPLATES]
        roots = []
        for _ in range(SIMULATED_PER_MINUTE):
            _, op = self.rng.choices(TEMPLATES, weights=weights)[0]
            at = ts + timedelta(seconds=self.rng.uniform(0, 59.5))
            roots.append(self.serve(op, at, None))
        return roots


def walk(root: SpanOut) -> list[SpanOut]:
    out = [root]
    for _, child in root.children:
        out += walk(child)
    return out


@dataclass
class World:
    """The benchmark's entities, keyed by service name."""

    topo: Topology
    service: dict[str, str]
    workload: dict[str, str]
    pod_entity: dict[str, str]
    process_group: dict[str, str]
    host: list[str]
    cluster: str


def build_world(now: datetime) -> World:
    topo = Topology(now - timedelta(days=1), now, ZONE, [tag("app", "train-ticket"), tag("env", "bench")])
    cluster = topo.add("KUBERNETES_CLUSTER", CLUSTER, properties={"kubernetesDistribution": "AKS"})
    hosts = []
    for i, node_name in enumerate(NODES):
        h = topo.add(
            "HOST",
            node_name,
            properties={
                "osType": "LINUX",
                "cpuCores": 8,
                "physicalMemory": 34359738368,
                "ipAddress": [f"10.224.0.{4 + i}"],
                "monitoringMode": "FULL_STACK",
                "cloudType": "AZURE",
            },
        )
        topo.link(h, "isNodeOf", cluster)
        hosts.append(h)
    ns = topo.add("CLOUD_APPLICATION_NAMESPACE", NAMESPACE)
    topo.link(ns, "isNamespaceOfCluster", cluster)
    world = World(topo, {}, {}, {}, {}, hosts, cluster)
    for svc, (_, node, _, _) in SERVICES.items():
        tech = ["NGINX"] if svc == "ts-ui-dashboard" else ["Java", "Spring Boot", "Apache Tomcat"]
        wl = topo.add(
            "CLOUD_APPLICATION", svc, properties={"workloadType": "DEPLOYMENT", "namespaceName": NAMESPACE}
        )
        topo.link(wl, "isNamespaceOf", ns)
        pi = topo.add(
            "CLOUD_APPLICATION_INSTANCE",
            pod_name(svc),
            properties={"podPhase": "RUNNING", "namespaceName": NAMESPACE},
            age_days=2,
        )
        topo.link(pi, "isCgiOfCa", wl)
        topo.link(pi, "isPodOnNode", hosts[node])
        pg = topo.add("PROCESS_GROUP", f"{svc} ({NAMESPACE})", properties={"softwareTechnologies": tech})
        topo.link(pg, "runsOn", hosts[node])
        topo.link(pg, "isPgOfCa", wl)
        sv = topo.add(
            "SERVICE",
            svc,
            properties={
                "serviceType": "WEB_REQUEST",
                "serviceTechnologyTypes": tech,
                "webServiceName": svc,
                "k8sWorkload": svc,
            },
        )
        topo.link(sv, "runsOn", pg)
        topo.link(sv, "runsOnHost", hosts[node])
        world.service[svc], world.workload[svc], world.pod_entity[svc], world.process_group[svc] = (
            sv,
            wl,
            pi,
            pg,
        )
    seen: set[tuple[str, str]] = set()

    def link_calls(op: Op) -> None:
        for child in op.children:
            if (op.service, child.service) not in seen:
                seen.add((op.service, child.service))
                topo.link(world.service[op.service], "calls", world.service[child.service])
            link_calls(child)

    for _, root in TEMPLATES:
        link_calls(root)
    for svc, db in DATABASES.items():
        d = topo.add(
            "SERVICE",
            db,
            properties={
                "serviceType": "DATABASE_SERVICE",
                "databaseVendor": "MYSQL" if "mysql" in db else "MONGODB",
            },
        )
        topo.link(world.service[svc], "calls", d)
    return world


def _server_span(world: World, s: SpanOut, trace_id: str, root: bool, exc: tuple[str, str] | None) -> Json:
    svc = s.op.service
    status = 500 if s.failed else 200
    record: Json = {
        "trace.id": trace_id,
        "span.id": s.span_id,
        "span.parent_id": s.parent_client,
        "span.name": f"{s.op.method} {s.op.route}",
        "span.kind": "server",
        "start_time": iso_ns(s.start),
        "end_time": iso_ns(s.start + timedelta(milliseconds=s.duration_ms)),
        "duration": int(s.duration_ms * 1_000_000),
        "dt.entity.service": world.service[svc],
        "dt.service.name": svc,
        "service.name": svc,
        "dt.entity.process_group": world.process_group[svc],
        "k8s.pod.name": pod_name(svc),
        "k8s.namespace.name": NAMESPACE,
        "k8s.workload.name": svc,
        "http.request.method": s.op.method,
        "http.route": s.op.route,
        "http.response.status_code": status,
        "request.is_root_span": True,
        "request.is_failed": s.failed,
        "span.status_code": "error" if s.failed else "unset",
        "endpoint.name": f"{s.op.method} {s.op.route}",
    }
    if root:
        record["span.parent_id"] = None
    if exc is not None:
        record["span.events"] = [
            {"span_event.name": "exception", "exception.type": exc[0], "exception.message": exc[1]}
        ]
    return record


def _client_span(world: World, caller: SpanOut, client: Json, trace_id: str) -> Json:
    op: Op = client["op"]
    start: datetime = client["start"]
    ms: float = client["ms"]
    return {
        "trace.id": trace_id,
        "span.id": client["id"],
        "span.parent_id": caller.span_id,
        "span.name": f"{op.method} {op.route}",
        "span.kind": "client",
        "start_time": iso_ns(start),
        "end_time": iso_ns(start + timedelta(milliseconds=ms)),
        "duration": int(ms * 1_000_000),
        "dt.entity.service": world.service[caller.op.service],
        "dt.service.name": caller.op.service,
        "service.name": caller.op.service,
        "k8s.pod.name": pod_name(caller.op.service),
        "k8s.namespace.name": NAMESPACE,
        "http.request.method": op.method,
        "server.address": op.service,
        "server.port": 8080,
        "url.full": f"http://{op.service}:8080{op.route}",
        "http.response.status_code": 500 if client["failed"] else 200,
        "span.status_code": "error" if client["failed"] else "unset",
    }


class Narrator:
    """The log lines a case's services write; cases override what the fault makes them say."""

    exception: tuple[str, str] | None = None

    def own_failure(self, s: SpanOut) -> tuple[str, str] | None:
        """The failing service's own log line (None when it cannot log, e.g. it is down)."""
        return "ERROR", f"[{s.op.route}] request failed: {s.reason}"

    def relay(self, s: SpanOut) -> tuple[str, str]:
        callee = s.relayed_from or "?"
        short = callee.removeprefix("ts-").removesuffix("-service")
        if s.op.service == "ts-ui-dashboard":
            return (
                "WARN",
                "upstream returned 500 while reading response header from upstream, "
                f'request: "{s.op.method} {s.op.route} HTTP/1.1", upstream: "http://{s.op.service}"',
            )
        return "ERROR", (
            f"[{s.op.route}] Call {short} service failed: 500 Internal Server Error "
            f'on {s.op.method} http://{callee}:8080 : "{{"status":500,"error":"Internal Server Error"}}"'
        )

    def wrong(self, s: SpanOut) -> tuple[str, str]:
        return "ERROR", f"[{s.op.route}] invalid data from {s.wrong_from}"

    def info(self, s: SpanOut, rng: random.Random) -> str | None:
        return None


INFO_LINES = {
    "ts-travel-service": "[queryInfo][Query trips left][start: Shang Hai, end: Su Zhou, date: 2025-06-19]",
    "ts-basic-service": "[queryForTravel][Query for travel][trip id: G1234, route id: "
    "92708982-77af-4318-be25-57ccb0ff69ad]",
    "ts-station-service": "[queryForId][Find station id][stationName: shanghai]",
    "ts-route-service": "[getRouteById][Get route by id][RouteId: 92708982-77af-4318-be25-57ccb0ff69ad]",
    "ts-price-service": "[findByRouteIdAndTrainType][Find price config][routeId: "
    "92708982-77af-4318-be25-57ccb0ff69ad, trainType: GaoTieOne, basicPriceRate: 0.38]",
    "ts-seat-service": "[getLeftTicketOfInterval][Get left ticket of interval][TravelId: G1234]",
    "ts-order-service": "[getSoldTickets][Get sold tickets][travelDate: 2025-06-19, trainNumber: G1234, "
    "seats: 83]",
    "ts-config-service": "[retrieve][Retrieve config][configName: DirectTicketAllocationProportion]",
    "ts-preserve-service": "[preserve][Step 1][Check Security][accountId: "
    "4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f]",
    "ts-security-service": "[check][Check Security Config][CheckDate: 2025-06-19]",
    "ts-contacts-service": "[findContactsById][Get contacts by id][id: 9f1ac0b7-94b9-4c1b-a2ab-2a8dc3a5b5d6]",
    "ts-assurance-service": "[getAllAssuranceType][Get all assurance types]",
    "ts-user-service": "[getUserByUserId][Get user by id][userId: 4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f]",
    "ts-auth-service": "[getToken][Login success][username: fdse_microservice]",
    "ts-food-service": "[getAllFood][Get all food][tripId: D1345]",
    "ts-train-service": "[query][Query all train types]",
}
BACKGROUND = (
    "HikariPool-1 - Pool stats (total=10, active={a}, idle={i}, waiting=0)",
    "Resolving eureka endpoints via configuration",
    "Scheduled task [refreshCache] completed in {ms} ms",
)


def _log(
    world: World, ts: datetime, svc: str, level: str, content: str, trace: tuple[str, str] | None, named: bool
) -> Json:
    node = NODES[SERVICES[svc][1]]
    record: Json = {
        "timestamp": iso(ts),
        "content": content,
        "loglevel": level,
        "status": {"ERROR": "ERROR", "WARN": "WARN"}.get(level, "INFO"),
        "k8s.pod.name": pod_name(svc),
        "k8s.namespace.name": NAMESPACE,
        "k8s.container.name": svc,
        "k8s.workload.name": svc,
        "host.name": node,
        "service.name": svc,
        "log.source": f"/var/log/pods/{NAMESPACE}_{pod_name(svc)}/{svc}/0.log",
    }
    if named:
        record["dt.entity.service"] = world.service[svc]
        record["dt.entity.host"] = world.host[SERVICES[svc][1]]
    if trace is not None:
        record["trace_id"], record["span_id"] = trace
    return record


@dataclass
class Generated:
    spans: list[Json]
    logs: list[Json]
    per_minute: dict[str, list[tuple[float, float, float]]]  # svc → (count, mean µs, failures) per minute


def run_traffic(
    world: World,
    rng: random.Random,
    fault: Fault,
    narrator: Narrator,
    start: datetime,
    end: datetime,
    *,
    named: bool = True,
    keep_spans: bool = True,
) -> Generated:
    """Simulate every minute; aggregate the population into metrics, keep a sample as spans and logs."""
    sim = Simulator(rng, fault)
    spans: list[Json] = []
    logs: list[Json] = []
    per_minute: dict[str, list[tuple[float, float, float]]] = {s: [] for s in SERVICES}
    ts = start
    while ts < end:
        roots = sim.minute(ts)
        agg: dict[str, list[SpanOut]] = {s: [] for s in SERVICES}
        for root in roots:
            for s in walk(root):
                agg[s.op.service].append(s)
            if rng.random() < KEEP_SHARE:
                trace_id = hex_id(rng, 16)
                _emit(world, root, trace_id, True, narrator, rng, spans if keep_spans else None, logs, named)
        for svc, items in agg.items():
            count = len(items) * TRAFFIC_SCALE
            mean = sum(s.duration_ms for s in items) / len(items) * 1000 if items else None
            fails = sum(1 for s in items if s.failed) * TRAFFIC_SCALE
            per_minute[svc].append((float(count), mean if mean is not None else float("nan"), float(fails)))
        for svc in SERVICES:
            if rng.random() < 0.4:
                line = rng.choice(BACKGROUND).format(
                    a=rng.randint(0, 3), i=rng.randint(6, 10), ms=rng.randint(3, 90)
                )
                logs.append(
                    _log(world, ts + timedelta(seconds=rng.uniform(0, 59)), svc, "INFO", line, None, named)
                )
        if rng.random() < 0.55:
            logs.append(
                _log(
                    world,
                    ts + timedelta(seconds=rng.uniform(0, 59)),
                    "ts-food-service",
                    "ERROR",
                    "[getAllFood][Get the Get Food Request Failed!][tripId: Z1236, reason: trip not found "
                    "in food map]",
                    None,
                    named,
                )
            )
        if rng.random() < 0.3:
            logs.append(
                _log(
                    world,
                    ts + timedelta(seconds=rng.uniform(0, 59)),
                    "ts-auth-service",
                    "WARN",
                    "[verifyCode][Verification code expired][username: fdse_microservice]",
                    None,
                    named,
                )
            )
        ts += MINUTE
    logs.sort(key=lambda r: str(r["timestamp"]))
    spans.sort(key=lambda r: str(r["start_time"]))
    return Generated(spans, logs, per_minute)


def _emit(
    world: World,
    s: SpanOut,
    trace_id: str,
    root: bool,
    narrator: Narrator,
    rng: random.Random,
    spans: list[Json] | None,
    logs: list[Json],
    named: bool,
) -> None:
    exc = narrator.exception if s.reason is not None else None
    if spans is not None:
        spans.append(_server_span(world, s, trace_id, root, exc))
    trace = (trace_id, s.span_id) if spans is not None else None
    at = s.start + timedelta(milliseconds=s.duration_ms * 0.8)
    line: tuple[str, str] | None = None
    if s.reason is not None:
        line = narrator.own_failure(s)
    elif s.relayed_from is not None:
        line = narrator.relay(s)
    elif s.wrong_from is not None:
        line = narrator.wrong(s)
    if line is not None:
        logs.append(_log(world, at, s.op.service, line[0], line[1], trace, named))
    else:
        info = narrator.info(s, rng) or (INFO_LINES.get(s.op.service) if rng.random() < 0.3 else None)
        if info is not None:
            logs.append(
                _log(world, s.start + timedelta(milliseconds=1), s.op.service, "INFO", info, trace, named)
            )
    for client, child in s.children:
        if spans is not None:
            spans.append(_client_span(world, s, client, trace_id))
        _emit(world, child, trace_id, False, narrator, rng, spans, logs, named)


def service_metrics(world: World, gen: Generated, start: datetime, *, named: bool = True) -> list[Json]:
    """Per-minute response time, request count and failure count per service."""
    out = []
    for svc, rows in gen.per_minute.items():
        if named:
            dims: Json = {"dt.entity.service": world.service[svc]}
        else:
            dims = {"service.name": svc, "k8s.workload.name": svc, "k8s.namespace.name": NAMESPACE}
        rt = [None if r[1] != r[1] else r[1] for r in rows]
        out.append(series("dt.service.request.response_time", dims, start, "1m", rt, "MicroSecond"))
        out.append(series("dt.service.request.count", dims, start, "1m", [r[0] for r in rows], "Count"))
        out.append(
            series("dt.service.request.failure_count", dims, start, "1m", [r[2] for r in rows], "Count")
        )
    return out


@dataclass
class PodShape:
    """Extra behaviour of one pod's container metrics (beyond load-driven CPU)."""

    cpu_extra: dict[str, list[float]] = field(default_factory=dict)  # svc → extra millicores per minute
    memory: dict[str, list[float]] = field(
        default_factory=dict
    )  # svc → working set bytes per minute (override)
    retransmits: dict[str, list[float]] = field(default_factory=dict)  # svc → extra retransmits per minute
    restarts: dict[str, list[float]] = field(default_factory=dict)


def pod_metrics(
    world: World, gen: Generated, rng: random.Random, start: datetime, shape: PodShape
) -> list[Json]:
    """Container CPU, throttling, memory, network per pod: Kubernetes dimensions only."""
    out = []
    for svc, (_, node, cost, limit) in SERVICES.items():
        rows = gen.per_minute[svc]
        n = len(rows)
        extra = shape.cpu_extra.get(svc, [0.0] * n)
        cpu, thr, mem, rx, tx, retr = [], [], [], [], [], []
        base_mem = (380 + int(hashlib.sha256(svc.encode()).hexdigest()[:2], 16)) * 1024 * 1024
        for i, (count, _, _) in enumerate(rows):
            demand = jitter(rng, 25 + count * cost / 10, 0.08) + extra[i]
            used = min(demand, limit * 0.985)
            cpu.append(used)
            thr.append(max(0.0, demand - limit * 0.9) * jitter(rng, 1.0, 0.1) + jitter(rng, 0.4, 0.5))
            mem.append(shape.memory[svc][i] if svc in shape.memory else jitter(rng, base_mem, 0.01))
            rx.append(jitter(rng, count * 1800, 0.06))
            tx.append(jitter(rng, count * 2600, 0.06))
            retr.append(jitter(rng, 0.3, 0.9) + shape.retransmits.get(svc, [0.0] * n)[i])
        dims = {
            "k8s.cluster.name": CLUSTER,
            "k8s.namespace.name": NAMESPACE,
            "k8s.workload.name": svc,
            "k8s.pod.name": pod_name(svc),
            "k8s.container.name": svc,
            "k8s.node.name": NODES[node],
            "dt.entity.kubernetes_cluster": world.cluster,
            "dt.entity.cloud_application": world.workload[svc],
        }
        out.append(series("dt.kubernetes.container.cpu_usage", dims, start, "1m", cpu, "MilliCores"))
        out.append(series("dt.kubernetes.container.cpu_throttled", dims, start, "1m", thr, "MilliCores"))
        out.append(series("dt.kubernetes.container.memory_working_set", dims, start, "1m", mem, "Byte"))
        out.append(series("dt.kubernetes.pod.network.bytes_rx", dims, start, "1m", rx, "Byte"))
        out.append(series("dt.kubernetes.pod.network.bytes_tx", dims, start, "1m", tx, "Byte"))
        out.append(series("dt.kubernetes.pod.network.tcp_retransmits", dims, start, "1m", retr, "Count"))
        if svc in shape.restarts:
            out.append(
                series("dt.kubernetes.container.restarts", dims, start, "1m", shape.restarts[svc], "Count")
            )
    return out


def host_metrics(
    world: World, gen: Generated, rng: random.Random, start: datetime, shape: PodShape
) -> list[Json]:
    """Node CPU and memory: the sum of the pods on it over 8 cores, plus system load."""
    out = []
    n = len(next(iter(gen.per_minute.values())))
    for idx, host in enumerate(world.host):
        cpu, mem = [], []
        for i in range(n):
            millis = 0.0
            for svc, (_, node, cost, limit) in SERVICES.items():
                if node == idx:
                    millis += min(
                        limit,
                        25 + gen.per_minute[svc][i][0] * cost / 10 + shape.cpu_extra.get(svc, [0.0] * n)[i],
                    )
            cpu.append(min(100.0, jitter(rng, 9 + millis / 80, 0.05)))
            mem.append(jitter(rng, 61 + idx * 3, 0.01))
        dims = {"dt.entity.host": host}
        out.append(series("dt.host.cpu.usage", dims, start, "1m", cpu, "Percent"))
        out.append(series("dt.host.memory.usage", dims, start, "1m", mem, "Percent"))
    return out


def change(
    world: World, svc: str, ts: datetime, kind: str, name: str, details: Json, *, by_workload: bool = False
) -> Json:
    """A deployment or configuration event on a service (or only its workload)."""
    eid = world.workload[svc] if by_workload else world.service[svc]
    dim = "dt.entity.cloud_application" if by_workload else "dt.entity.service"
    return {
        "timestamp": iso(ts),
        "event.id": event_id(f"{svc}/{name}", ts),
        "event.kind": "DAVIS_EVENT",
        "event.type": kind,
        "event.name": name,
        "event.status": "CLOSED",
        "event.start": iso(ts),
        "event.end": iso(ts + timedelta(seconds=75)),
        "dt.source_entity": eid,
        dim: eid,
        "affected_entity_ids": [eid],
        "k8s.workload.name": svc,
        "k8s.namespace.name": NAMESPACE,
        **details,
    }


def k8s_event(world: World, svc: str, ts: datetime, reason: str, message: str) -> Json:
    """A Kubernetes event as Dynatrace ingests it, attached to the workload."""
    return {
        "timestamp": iso(ts),
        "event.id": event_id(f"k8s/{svc}/{reason}/{iso(ts)}", ts),
        "event.kind": "K8S_EVENT",
        "event.type": "K8S_EVENT",
        "event.name": reason,
        "event.provider": "KUBERNETES",
        "k8s.reason": reason,
        "content": message,
        "dt.source_entity": world.workload[svc],
        "dt.entity.cloud_application": world.workload[svc],
        "k8s.workload.name": svc,
        "k8s.pod.name": pod_name(svc),
        "k8s.namespace.name": NAMESPACE,
    }


def problem(
    world: World,
    *,
    display_id: str,
    title: str,
    severity: str,
    start: datetime,
    end: datetime | None,
    affected: Sequence[str],
    impacted: Sequence[str],
    root_cause: str | None,
    evidence: Sequence[tuple[str, str, float, float, str]],
) -> Json:
    """A Problems API v2 record over services of the benchmark."""

    def ref(svc: str) -> Json:
        eid = world.service[svc]
        return {"entityId": {"id": eid, "type": "SERVICE"}, "name": svc}

    details = [
        {
            "evidenceType": "TRANSACTIONAL",
            "displayName": label,
            "entity": ref(svc),
            "groupingEntity": ref(svc),
            "rootCauseRelevant": svc == root_cause,
            "startTime": epoch_ms(start),
            "endTime": epoch_ms(end) if end else -1,
            "unit": unit,
            "valueBeforeChangePoint": before,
            "valueAfterChangePoint": after,
        }
        for svc, label, before, after, unit in evidence
    ]
    number = event_id(display_id, start).split("_")[0]
    record: Json = {
        "problemId": f"{number}_{epoch_ms(start)}V2",
        "displayId": display_id,
        "title": title,
        "impactLevel": "SERVICES",
        "severityLevel": severity,
        "status": "CLOSED" if end else "OPEN",
        "startTime": epoch_ms(start),
        "endTime": epoch_ms(end) if end else -1,
        "affectedEntities": [ref(s) for s in affected],
        "impactedEntities": [ref(s) for s in impacted],
        "managementZones": [ZONE],
        "entityTags": [tag("app", "train-ticket")],
        "evidenceDetails": {"totalCount": len(details), "details": details},
    }
    if root_cause is not None:
        record["rootCauseEntity"] = ref(root_cause)
    return record
