"""Cases D–H on the train-ticket-like benchmark: one injected fault each, with decoys."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from evals.generators.alt.common import CaseBundle, Json, case_json, case_rng, jitter, utc
from evals.generators.alt.k8s import (
    Fault,
    Generated,
    Narrator,
    Op,
    PodShape,
    SpanOut,
    World,
    build_world,
    change,
    host_metrics,
    k8s_event,
    pod_metrics,
    pod_name,
    problem,
    run_traffic,
    service_metrics,
)

BEFORE = timedelta(minutes=70)
AFTER = timedelta(minutes=25)


def _minutes(start: datetime, end: datetime) -> list[datetime]:
    out, ts = [], start
    while ts < end:
        out.append(ts)
        ts += timedelta(minutes=1)
    return out


def _metrics(
    world: World, gen: Generated, rng: random.Random, start: datetime, shape: PodShape
) -> list[Json]:
    return [
        *service_metrics(world, gen, start),
        *pod_metrics(world, gen, rng, start, shape),
        *host_metrics(world, gen, rng, start, shape),
    ]


def _root(world: World, svc: str) -> Json:
    return {"entity_id": world.service[svc], "name": [svc, pod_name(svc)]}


# --- D: code exception -------------------------------------------------------------------

ORDER_FAILING = (
    "/api/v1/orderservice/order/tickets",
    "/api/v1/orderservice/order/security/{checkDate}/{accountId}",
)
NPE = (
    "java.lang.NullPointerException",
    'Cannot invoke "order.entity.Order.getSeatClass()" because "order" is null',
)


class OrderException(Fault):
    def fails(self, op: Op, ts: datetime, rng: random.Random) -> str | None:
        if (
            self.active(ts)
            and op.service == "ts-order-service"
            and op.route in ORDER_FAILING
            and rng.random() < 0.65
        ):
            return "NullPointerException"
        return None


class OrderNarrator(Narrator):
    exception = NPE

    def own_failure(self, s: SpanOut) -> tuple[str, str] | None:
        method = "getSoldTickets" if "tickets" in s.op.route else "checkSecurityAboutOrder"
        line = 212 if method == "getSoldTickets" else 388
        return "ERROR", (
            f"Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
            f"[Request processing failed; "
            f"nested exception is {NPE[0]}: {NPE[1]}] with root cause\n"
            f"{NPE[0]}: {NPE[1]}\n"
            f"\tat order.service.OrderServiceImpl.{method}(OrderServiceImpl.java:{line})\n"
            f"\tat order.controller.OrderController.{method}(OrderController.java:71)\n"
            "\tat sun.reflect.GeneratedMethodAccessor142.invoke(Unknown Source)\n"
            "\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke"
            "(InvocableHandlerMethod.java:205)\n"
            "\tat org.springframework.web.servlet.FrameworkServlet.processRequest"
            "(FrameworkServlet.java:1006)\n"
            "\t... 44 common frames omitted"
        )


def case_d(seed: int | None = None) -> CaseBundle:
    rng = case_rng("alt-k8s-order-exception", seed)
    t0 = utc("2025-06-19T07:42:00Z")
    start, now = t0 - BEFORE, t0 + AFTER
    world = build_world(now)
    gen = run_traffic(world, rng, OrderException(t0, None), OrderNarrator(), start, now)
    deploy = change(
        world,
        "ts-travel-service",
        t0 - timedelta(minutes=9),
        "CUSTOM_DEPLOYMENT",
        "ts-travel-service 1.0.4",
        {
            "deployment.name": "ts-travel-service",
            "deployment.version": "1.0.4",
            "deployment.previous_version": "1.0.3",
            "event.provider": "Jenkins",
            "deployment.project": "train-ticket",
        },
    )
    events = [
        deploy,
        k8s_event(
            world,
            "ts-travel-service",
            t0 - timedelta(minutes=9),
            "ScalingReplicaSet",
            "Scaled up replica set ts-travel-service-6f7c9 to 1",
        ),
        k8s_event(
            world,
            "ts-travel-service",
            t0 - timedelta(minutes=8, seconds=40),
            "Pulled",
            "Successfully pulled image codewisdom/ts-travel-service:1.0.4",
        ),
    ]
    prob = problem(
        world,
        display_id="P-2506191",
        title="Failure rate increase",
        severity="ERROR",
        start=t0 + timedelta(minutes=3),
        end=None,
        affected=["ts-travel-service", "ts-preserve-service"],
        impacted=["ts-ui-dashboard"],
        root_cause="ts-travel-service",
        evidence=[
            ("ts-travel-service", "Failure rate", 0.0, 38.0, "Percent"),
            ("ts-preserve-service", "Failure rate", 0.0, 61.0, "Percent"),
        ],
    )
    case = case_json(
        case_id="alt-k8s-order-exception",
        title="NullPointerException in ts-order-service fails ticket searches and bookings",
        description=(
            "Train-ticket benchmark on AKS. From 07:42 ts-order-service throws a NullPointerException in "
            "two endpoints (sold tickets, "
            "security check) on ~65% of calls. ts-seat-service, ts-security-service, ts-travel-service, "
            "ts-preserve-service and the UI "
            "relay the 500s; Davis names ts-travel-service, deployed 9 minutes before (decoy). "
            "ts-food-service logs chronic errors."
        ),
        now=now,
        problem="P-2506191",
        root_cause=_root(world, "ts-order-service"),
        category="code",
        change_event_id=None,
        facts=[
            "ts-order-service throws NullPointerException in OrderServiceImpl.getSoldTickets from 07:42",
            "the failures of seat, security, travel and preserve are relayed from ts-order-service",
            "the ts-travel-service 1.0.4 deployment at 07:33 is not the cause",
        ],
        tags=["kind:code", "signal:errors", "k8s", "davis:symptom", "decoy:deployment"],
    )
    return CaseBundle(
        case,
        world.topo.listing(),
        [prob],
        events=events,
        logs=gen.logs,
        spans=gen.spans,
        metrics=_metrics(world, gen, rng, start, PodShape()),
    )


# --- E: network delay on one pod -----------------------------------------------------------


class PriceNetDelay(Fault):
    def net_delay_ms(self, callee: str, ts: datetime, rng: random.Random) -> float:
        return jitter(rng, 200, 0.06) if self.active(ts) and callee == "ts-price-service" else 0.0


def case_e(seed: int | None = None) -> CaseBundle:
    rng = case_rng("alt-k8s-price-netdelay", seed)
    t0 = utc("2025-06-21T13:05:00Z")
    end = t0 + timedelta(minutes=20)
    start, now = t0 - BEFORE, t0 + AFTER
    world = build_world(now)
    gen = run_traffic(world, rng, PriceNetDelay(t0, end), Narrator(), start, now)
    minutes = _minutes(start, now)
    shape = PodShape(
        cpu_extra={
            "ts-ui-dashboard": [
                300.0 if t0 - timedelta(minutes=40) <= m < t0 - timedelta(minutes=36) else 0.0
                for m in minutes
            ]
        },
        retransmits={"ts-price-service": [jitter(rng, 22, 0.25) if t0 <= m < end else 0.0 for m in minutes]},
    )
    events = [
        change(
            world,
            "ts-order-service",
            t0 - timedelta(minutes=18),
            "CUSTOM_DEPLOYMENT",
            "ts-order-service 1.0.7",
            {
                "deployment.name": "ts-order-service",
                "deployment.version": "1.0.7",
                "deployment.previous_version": "1.0.6",
                "event.provider": "Jenkins",
            },
        ),
    ]
    prob = problem(
        world,
        display_id="P-2506214",
        title="Response time degradation",
        severity="PERFORMANCE",
        start=t0 + timedelta(minutes=3),
        end=end,
        affected=["ts-basic-service", "ts-travel-service"],
        impacted=["ts-ui-dashboard"],
        root_cause="ts-basic-service",
        evidence=[
            ("ts-basic-service", "Response time", 26.0, 228.0, "MilliSecond"),
            ("ts-travel-service", "Response time", 74.0, 279.0, "MilliSecond"),
        ],
    )
    case = case_json(
        case_id="alt-k8s-price-netdelay",
        title="200 ms network delay on the ts-price-service pod",
        description=(
            "Train-ticket benchmark. From 13:05 to 13:25 a tc-netem rule adds ~200 ms to every packet of "
            "the ts-price-service pod. "
            "The price service's own server spans stay at ~4 ms; the client spans of ts-basic-service "
            "calling it take ~205 ms, so "
            "basic, travel and the UI slow down. The price pod's TCP retransmits rise. Davis names "
            "ts-basic-service. Decoys: a "
            "ts-order-service deployment 18 minutes before, a UI pod CPU blip in the baseline."
        ),
        now=now,
        problem="P-2506214",
        root_cause=_root(world, "ts-price-service"),
        category="network",
        change_event_id=None,
        facts=[
            "calls from ts-basic-service to ts-price-service took ~200 ms longer from 13:05 while price's "
            "own spans stayed ~4 ms",
            "TCP retransmits on the ts-price-service pod rose during the incident",
            "ts-basic-service is slow only while waiting on ts-price-service",
        ],
        tags=["kind:network", "signal:latency", "k8s", "davis:symptom", "wire-time"],
    )
    return CaseBundle(
        case,
        world.topo.listing(),
        [prob],
        events=events,
        logs=gen.logs,
        spans=gen.spans,
        metrics=_metrics(world, gen, rng, start, shape),
    )


# --- F: CPU contention in one pod ----------------------------------------------------------


class SeatCpuStress(Fault):
    def self_factor(self, service: str, ts: datetime, rng: random.Random) -> float:
        return jitter(rng, 3.6, 0.3) if self.active(ts) and service == "ts-seat-service" else 1.0


def case_f(seed: int | None = None) -> CaseBundle:
    rng = case_rng("alt-k8s-seat-cpu", seed)
    t0 = utc("2025-06-24T22:18:00Z")
    start, now = t0 - BEFORE, t0 + AFTER
    world = build_world(now)
    gen = run_traffic(world, rng, SeatCpuStress(t0, None), Narrator(), start, now)
    minutes = _minutes(start, now)
    shape = PodShape(
        cpu_extra={"ts-seat-service": [jitter(rng, 1900, 0.05) if m >= t0 else 0.0 for m in minutes]}
    )
    cfg = change(
        world,
        "ts-config-service",
        t0 - timedelta(minutes=4),
        "CUSTOM_CONFIGURATION",
        "DirectTicketAllocationProportion",
        {
            "config.key": "DirectTicketAllocationProportion",
            "config.old_value": "0.5",
            "config.new_value": "0.6",
            "event.provider": "ts-admin-basic-info",
        },
    )
    events = [
        cfg,
        change(
            world,
            "ts-food-service",
            t0 - timedelta(minutes=31),
            "CUSTOM_DEPLOYMENT",
            "ts-food-service 1.0.2",
            {
                "deployment.name": "ts-food-service",
                "deployment.version": "1.0.2",
                "deployment.previous_version": "1.0.1",
                "event.provider": "Jenkins",
            },
        ),
        k8s_event(
            world,
            "ts-seat-service",
            t0 + timedelta(minutes=1),
            "CPUThrottlingHigh",
            f"{pod_name('ts-seat-service')}: 87% throttling of CPU in namespace train-ticket for container "
            f"ts-seat-service",
        ),
    ]
    prob = problem(
        world,
        display_id="P-2506247",
        title="Response time degradation",
        severity="PERFORMANCE",
        start=t0 + timedelta(minutes=4),
        end=None,
        affected=["ts-travel-service", "ts-ui-dashboard"],
        impacted=["ts-ui-dashboard"],
        root_cause=None,
        evidence=[("ts-travel-service", "Response time", 75.0, 128.0, "MilliSecond")],
    )
    case = case_json(
        case_id="alt-k8s-seat-cpu",
        title="CPU stress process starves the ts-seat-service pod",
        description=(
            "Train-ticket benchmark. At 22:18 a stress process starts inside the ts-seat-service pod and "
            "takes its whole CPU limit; "
            "the container is throttled and seat's own processing time grows ~3.6x, so ticket searches "
            "through ts-travel-service "
            "slow down. No errors. The node's CPU rises too (it also hosts travel and the UI). Decoys: a "
            "config change in "
            "ts-config-service 4 minutes before (seat calls it), a ts-food-service deployment."
        ),
        now=now,
        problem="P-2506247",
        root_cause=_root(world, "ts-seat-service"),
        category="resource",
        change_event_id=None,
        facts=[
            "ts-seat-service's container CPU hit its limit and was throttled from 22:18",
            "ts-seat-service's own processing time grew while its callees stayed fast",
            "the ts-config-service config change is not the cause",
        ],
        tags=["kind:resource", "signal:latency", "k8s", "signal:throttling", "decoy:config"],
    )
    return CaseBundle(
        case,
        world.topo.listing(),
        [prob],
        events=events,
        logs=gen.logs,
        spans=gen.spans,
        metrics=_metrics(world, gen, rng, start, shape),
    )


# --- G: wrong return value -----------------------------------------------------------------


class PriceWrongValue(Fault):
    def wrong_answer(self, op: Op, ts: datetime, rng: random.Random) -> bool:
        return self.active(ts) and op.service == "ts-price-service" and rng.random() < 0.45


class PriceNarrator(Narrator):
    def __init__(self, fault: Fault) -> None:
        self.fault = fault

    def wrong(self, s: SpanOut) -> tuple[str, str]:
        return "ERROR", (
            "[queryForTravel][Price check failed][routeId: 92708982-77af-4318-be25-57ccb0ff69ad, "
            "trainType: GaoTieOne] "
            "invalid price -1.0 from price service, rejecting travel"
        )

    def info(self, s: SpanOut, rng: random.Random) -> str | None:
        if s.op.service == "ts-price-service" and self.fault.active(s.start) and rng.random() < 0.3:
            return (
                "[findByRouteIdAndTrainType][Find price config][routeId: "
                "92708982-77af-4318-be25-57ccb0ff69ad, "
                "trainType: GaoTieOne, basicPriceRate: -1.0]"
            )
        return None


def case_g(seed: int | None = None) -> CaseBundle:
    rng = case_rng("alt-k8s-price-wrong-value", seed)
    t0 = utc("2025-06-26T04:27:00Z")
    end = t0 + timedelta(minutes=20)
    start, now = t0 - BEFORE, t0 + AFTER
    world = build_world(now)
    fault = PriceWrongValue(t0, end)
    gen = run_traffic(world, rng, fault, PriceNarrator(fault), start, now)
    events = [
        change(
            world,
            "ts-basic-service",
            t0 - timedelta(minutes=12),
            "CUSTOM_CONFIGURATION",
            "basic.travel.cache.ttl",
            {
                "config.key": "basic.travel.cache.ttl",
                "config.old_value": "30s",
                "config.new_value": "10s",
                "event.provider": "Spring Cloud Config",
            },
        ),
    ]
    prob = problem(
        world,
        display_id="P-2506262",
        title="Failure rate increase",
        severity="ERROR",
        start=t0 + timedelta(minutes=3),
        end=end,
        affected=["ts-basic-service", "ts-travel-service"],
        impacted=["ts-ui-dashboard"],
        root_cause="ts-basic-service",
        evidence=[
            ("ts-basic-service", "Failure rate", 0.0, 44.0, "Percent"),
            ("ts-travel-service", "Failure rate", 0.0, 42.0, "Percent"),
        ],
    )
    case = case_json(
        case_id="alt-k8s-price-wrong-value",
        title="ts-price-service returns a wrong price; ts-basic-service rejects the travels",
        description=(
            "Train-ticket benchmark. From 04:27 to 04:47 an injected fault makes ts-price-service return "
            "basicPriceRate -1.0 for ~45% "
            "of lookups, with HTTP 200 and normal latency. ts-basic-service validates the price and fails "
            "the request "
            "('invalid price -1.0 from price service'), so basic is where failures originate in the "
            "traces; travel, preserve and "
            "the UI relay them. Davis names ts-basic-service, which also had a cache-TTL config change 12 "
            "minutes before (decoy). "
            "The culprit is the callee that returned wrong data."
        ),
        now=now,
        problem="P-2506262",
        root_cause=_root(world, "ts-price-service"),
        category="code",
        change_event_id=None,
        facts=[
            "ts-price-service returned basicPriceRate -1.0 without any error from 04:27",
            "ts-basic-service's failures are validation errors about the price it received",
            "the ts-basic-service config change is not the cause",
        ],
        tags=["kind:code", "signal:errors", "k8s", "davis:symptom", "wrong-value", "hard"],
    )
    return CaseBundle(
        case,
        world.topo.listing(),
        [prob],
        events=events,
        logs=gen.logs,
        spans=gen.spans,
        metrics=_metrics(world, gen, rng, start, PodShape()),
    )


# --- H: names only in dimensions -----------------------------------------------------------

LIMIT_BYTES = 512 * 1024 * 1024
CYCLE = 5  # minutes from restart to OOM kill


class RouteOom(Fault):
    def _phase(self, ts: datetime) -> float:
        return ((ts - self.start).total_seconds() / 60) % CYCLE

    def fails(self, op: Op, ts: datetime, rng: random.Random) -> str | None:
        if self.active(ts) and op.service == "ts-route-service" and self._phase(ts) >= CYCLE - 1:
            return "Connection refused"
        return None

    def self_factor(self, service: str, ts: datetime, rng: random.Random) -> float:
        if self.active(ts) and service == "ts-route-service":
            return 1.0 + 3.0 * (self._phase(ts) / CYCLE) ** 2  # GC thrash as the heap fills
        return 1.0


class RouteNarrator(Narrator):
    def own_failure(self, s: SpanOut) -> tuple[str, str] | None:
        return None  # the container is restarting: nothing in it answers or logs

    def relay(self, s: SpanOut) -> tuple[str, str]:
        if s.relayed_from == "ts-route-service":
            return "ERROR", (
                f'[{s.op.route}] I/O error on GET request for "http://ts-route-service:8080/api/v1/routeservice/routes/'
                '92708982-77af-4318-be25-57ccb0ff69ad": Connection refused (Connection refused); '
                "nested exception is "
                "java.net.ConnectException: Connection refused"
            )
        return super().relay(s)


def _strip_entities(rows: list[Json]) -> list[Json]:
    for row in rows:
        dims = row["dimensions"]
        if "dt.entity.host" not in dims:
            row["dimensions"] = {k: v for k, v in dims.items() if not k.startswith("dt.entity.")}
    return rows


def case_h(seed: int | None = None) -> CaseBundle:
    rng = case_rng("alt-k8s-route-oom-names-only", seed)
    t0 = utc("2025-06-30T11:02:00Z")
    start, now = t0 - BEFORE, t0 + AFTER
    world = build_world(now)
    fault = RouteOom(t0, None)
    gen = run_traffic(world, rng, fault, RouteNarrator(), start, now, named=False, keep_spans=False)
    minutes = _minutes(start, now)
    memory, restarts, count = [], [], 0.0
    for m in minutes:
        if m < t0:
            memory.append(jitter(rng, 405 * 1024 * 1024, 0.01))
        else:
            phase = ((m - t0).total_seconds() / 60) % CYCLE
            if phase == 0 and m > t0:
                count += 1
            memory.append(
                min(LIMIT_BYTES * 0.999, 420 * 1024 * 1024 + phase / (CYCLE - 1) * 95 * 1024 * 1024)
            )
        restarts.append(count)
    shape = PodShape(
        memory={"ts-route-service": memory},
        restarts={"ts-route-service": restarts},
        cpu_extra={"ts-ui-dashboard": [420.0] * len(minutes)},
    )
    metrics = [
        *service_metrics(world, gen, start, named=False),
        *_strip_entities(pod_metrics(world, gen, rng, start, shape)),
        *host_metrics(world, gen, rng, start, shape),
    ]
    oom_logs = []
    for m in minutes:
        if m >= t0 and ((m - t0).total_seconds() / 60) % CYCLE == CYCLE - 2:
            oom_logs.append(
                {
                    "timestamp": (m + timedelta(seconds=41)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "content": 'Exception in thread "http-nio-8080-exec-7" '
                    "java.lang.OutOfMemoryError: Java heap space\n"
                    "\tat java.util.Arrays.copyOf(Arrays.java:3332)\n\tat "
                    "route.service.RouteServiceImpl.getRouteById(RouteServiceImpl.java:96)",
                    "loglevel": "ERROR",
                    "status": "ERROR",
                    "service.name": "ts-route-service",
                    "k8s.pod.name": pod_name("ts-route-service"),
                    "k8s.namespace.name": "train-ticket",
                    "k8s.workload.name": "ts-route-service",
                    "k8s.container.name": "ts-route-service",
                }
            )
    logs = sorted([*gen.logs, *oom_logs], key=lambda r: str(r["timestamp"]))
    events = [
        change(
            world,
            "ts-train-service",
            t0 - timedelta(minutes=8),
            "CUSTOM_DEPLOYMENT",
            "ts-train-service 1.0.9",
            {
                "deployment.name": "ts-train-service",
                "deployment.version": "1.0.9",
                "deployment.previous_version": "1.0.8",
                "event.provider": "Jenkins",
            },
        ),
    ]
    for m in minutes:
        if m > t0 and ((m - t0).total_seconds() / 60) % CYCLE == 0:
            events.append(
                k8s_event(
                    world,
                    "ts-route-service",
                    m - timedelta(seconds=50),
                    "OOMKilling",
                    "Memory cgroup out of memory: Killed process 1 (java) total-vm:4012345kB, "
                    "anon-rss:524288kB",
                )
            )
            events.append(
                k8s_event(
                    world,
                    "ts-route-service",
                    m - timedelta(seconds=20),
                    "BackOff",
                    "Back-off restarting failed container ts-route-service",
                )
            )
    prob = problem(
        world,
        display_id="P-2506303",
        title="Failure rate increase",
        severity="ERROR",
        start=t0 + timedelta(minutes=4),
        end=None,
        affected=["ts-travel-service", "ts-basic-service"],
        impacted=["ts-ui-dashboard"],
        root_cause=None,
        evidence=[("ts-travel-service", "Failure rate", 0.0, 9.5, "Percent")],
    )
    case = case_json(
        case_id="alt-k8s-route-oom-names-only",
        title="ts-route-service OOM-killed every five minutes (metrics keyed by names only)",
        description=(
            "Train-ticket benchmark ingested through OpenTelemetry/Prometheus: metrics and logs identify "
            "services only by "
            "service.name / k8s.workload.name (no dt.entity.service), there are no spans; Smartscape "
            "entities exist with the same "
            "names. From 11:02 ts-route-service leaks memory, is OOM-killed every 5 minutes and refuses "
            "connections while it "
            "restarts; ts-basic-service and ts-travel-service fail with 'Connection refused'. Decoys: a "
            "ts-train-service deployment "
            "8 minutes before, a UI pod with constantly high CPU, ts-food-service's chronic errors."
        ),
        now=now,
        problem="P-2506303",
        root_cause=_root(world, "ts-route-service"),
        category="resource",
        change_event_id=None,
        facts=[
            "ts-route-service's container memory grew to its 512 MiB limit and it was OOM-killed every 5 "
            "minutes from 11:02",
            "ts-basic-service and ts-travel-service failed with Connection refused to ts-route-service "
            "while it restarted",
            "the ts-train-service deployment is not the cause",
        ],
        tags=["kind:resource", "signal:errors", "k8s", "names-only", "no-spans"],
    )
    return CaseBundle(case, world.topo.listing(), [prob], events=events, logs=logs, metrics=metrics)
