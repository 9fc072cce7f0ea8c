"""The four train-ticket cases: CPU contention, network delay, leaf exception, wrong return."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from evals.generators.five.build import Tenant, iso, minutes
from evals.generators.five.trainticket import (
    Fault,
    Variant,
    build_entities,
    change_event,
    display,
    emit_background_logs,
    emit_metrics,
    emit_spans,
    metric_evidence,
    pod_name,
    problem,
    simulate,
)

N = 60
SOURCE = {
    "dataset": "train-ticket fault-injection benchmark (converted)",
    "licence": "research dataset licence",
    "reference": "train-ticket microservice benchmark",
}


def _meta(
    cid: str,
    title: str,
    desc: str,
    now: datetime,
    prob: dict[str, Any],
    root: str,
    names: list[str],
    cat: str,
    change: str | None,
    facts: list[str],
    tags: list[str],
    by_display: bool,
) -> dict[str, Any]:
    return {
        "format": "dynatrace-agent/incident-case@1",
        "id": cid,
        "title": title,
        "description": desc,
        "now": iso(now).replace(".000Z", "Z"),
        "problem": prob["displayId"] if by_display else prob["problemId"],
        "expected": {
            "root_cause": {"entity_id": root, "name": names},
            "category": cat,
            "change_event_id": change,
            "facts": facts,
        },
        "tags": tags,
        "source": SOURCE,
    }


def cpu_contention(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """Stress process in the ts-order-service pod; callers (fan-in x2..x4) slow more in ms."""
    t = Tenant("tt-cpu-order-stress", seed)
    start = datetime.fromisoformat("2025-02-11T13:00:00+00:00")
    v = Variant(
        "from",
        True,
        "dt.service.response.time",
        True,
        "dt.kubernetes.container.cpu_usage",
        False,
        True,
        True,
        "ts",
    )
    sids, pods = build_entities(t, v, start)
    f = Fault("cpu", "ts-order-service", 55.0, 38)
    m = simulate(t, f, N, 900.0)
    emit_metrics(t, v, m, sids, pods, start, N)
    emit_spans(t, v, m, sids, start, N, 22)
    emit_background_logs(t, v, sids, start, N)
    # decoy: deployment of ts-food-service 20 minutes before, with a CPU blip of its own
    change_event(
        t,
        "food-deploy",
        minutes(start, 17, 1),
        sids["ts-food-service"],
        "CUSTOM_DEPLOYMENT",
        "Deploy ts-food-service 1.3.2",
        {"deployment.version": "1.3.2", "deployment.name": "ts-food-service"},
    )
    fault_at = minutes(start, f.at, 1)
    prob = problem(
        t,
        sids["ts-ui-dashboard"],
        [sids["ts-preserve-service"]],
        "Response time degradation",
        "PERFORMANCE",
        fault_at + timedelta(minutes=3),
        sids["ts-preserve-service"],
        [
            metric_evidence(
                t,
                sids["ts-preserve-service"],
                "dt.service.response.time",
                "MicroSecond",
                m.rt["ts-preserve-service"][30] * 1000,
                m.rt["ts-preserve-service"][50] * 1000,
                fault_at + timedelta(minutes=3),
            ),
            metric_evidence(
                t,
                sids["ts-ui-dashboard"],
                "dt.service.response.time",
                "MicroSecond",
                m.rt["ts-ui-dashboard"][30] * 1000,
                m.rt["ts-ui-dashboard"][50] * 1000,
                fault_at + timedelta(minutes=3),
            ),
        ],
    )
    d_order = m.rt["ts-order-service"][50] - m.rt["ts-order-service"][30]
    d_pres = m.rt["ts-preserve-service"][50] - m.rt["ts-preserve-service"][30]
    meta = _meta(
        t.case_id,
        "CPU contention in the ts-order-service pod",
        "A stress process competes for CPU inside one ts-order-service pod. Order requests slow by tens of ms; ts-preserve-service calls order several times per request and slows by more, and Davis points at preserve.",  # noqa: E501
        minutes(start, N, 1),
        prob,
        sids["ts-order-service"],
        ["ts-order-service", pod_name(t, "ts-order-service")],
        "resource",
        None,
        [
            f"CPU usage of pod {pod_name(t, 'ts-order-service')} rose by about 780 millicores at {fault_at:%H:%M}",  # noqa: E501
            f"ts-order-service slowed by ~{d_order:.0f} ms while ts-preserve-service slowed by ~{d_pres:.0f} ms because it calls order repeatedly",  # noqa: E501
        ],
        ["kind:resource", "signal:latency", "dataset:train-ticket"],
        True,
    )
    return t, meta


def network_delay(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """tc netem on the ts-route-service pod: route's server-side time stays flat."""
    t = Tenant("tt-netem-route", seed)
    start = datetime.fromisoformat("2025-02-14T08:30:00+00:00")
    v = Variant(
        "to",
        False,
        "dt.service.response.time",
        True,
        "dt.kubernetes.container.cpu_usage",
        True,
        True,
        False,
        "ts",
    )
    sids, pods = build_entities(t, v, start)
    f = Fault("netem", "ts-route-service", 120.0, 35)
    m = simulate(t, f, N, 700.0)
    emit_metrics(t, v, m, sids, pods, start, N)
    emit_spans(t, v, m, sids, start, N, 24)
    for caller in ("ts-travel-service", "ts-basic-service"):
        t.series(
            "dt.service.client.response.time",
            {"dt.entity.service": sids[caller], "server.address": "ts-route-service"},
            start,
            "1m",
            [round(x * 1000, 1) for x in m.client_rt[(caller, "ts-route-service")]],
            "MicroSecond",
        )
    cfg = change_event(
        t,
        "travel-flag",
        minutes(start, 31, 1),
        sids["ts-travel-service"],
        "CUSTOM_CONFIGURATION",
        "ConfigMap travel-service-config updated",
        {"config.key": "travel.search.cache.ttl", "config.old_value": "300", "config.new_value": "240"},
    )
    fault_at = minutes(start, f.at, 1)
    prob = problem(
        t,
        sids["ts-travel-service"],
        [sids["ts-ui-dashboard"], sids["ts-basic-service"]],
        "Response time degradation on ts-travel-service",
        "PERFORMANCE",
        fault_at + timedelta(minutes=2),
        sids["ts-travel-service"],
        [],
    )
    meta = _meta(
        t.case_id,
        "Network delay on the ts-route-service pod",
        "tc netem adds ~120 ms to every packet of one ts-route-service pod. Route's own server-side response time is unchanged; only client-side latency of its callers (travel, basic) shows the delay. A config change on travel lands four minutes earlier.",  # noqa: E501
        minutes(start, N, 1),
        prob,
        sids["ts-route-service"],
        ["ts-route-service", pod_name(t, "ts-route-service")],
        "network",
        None,
        [
            "server-side response time of ts-route-service stayed flat",
            "client spans from ts-travel-service and ts-basic-service to ts-route-service grew by ~120 ms",
        ],
        ["kind:network", "signal:latency", "dataset:train-ticket"],
        False,
    )
    assert cfg
    return t, meta


def leaf_exception(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """Code exception in leaf ts-assurance-service; errors surface at the gateway."""
    t = Tenant("tt-exception-assurance", seed)
    start = datetime.fromisoformat("2025-02-19T21:10:00+00:00")
    v = Variant(
        "both",
        True,
        "dt.service.response.time",
        True,
        "dt.kubernetes.container.cpu_usage",
        True,
        True,
        True,
        "ts",
        gz=("logs",),
    )
    sids, pods = build_entities(t, v, start)
    f = Fault("exception", "ts-assurance-service", 0.45, 40)
    m = simulate(t, f, N, 800.0)
    emit_metrics(t, v, m, sids, pods, start, N)
    emit_spans(t, v, m, sids, start, N, 36)
    emit_background_logs(t, v, sids, start, N)
    for i in range(f.at, N):
        at = minutes(start, i, 1)
        t.record(
            "logs",
            {
                "timestamp": iso(at + timedelta(seconds=3)),
                "content": 'java.lang.NullPointerException: Cannot invoke "Assurance.getTypeIndex()" because "assurance" is null\n\tat assurance.service.AssuranceServiceImpl.create(AssuranceServiceImpl.java:88)',  # noqa: E501
                "loglevel": "ERROR",
                "status": "ERROR",
                "dt.entity.service": sids["ts-assurance-service"],
                "service.name": "ts-assurance-service",
                "k8s.pod.name": pod_name(t, "ts-assurance-service"),
                "trace_id": t.hex_id(f"tr{i}", 32).lower(),
            },
        )
        t.record(
            "logs",
            {
                "timestamp": iso(at + timedelta(seconds=4)),
                "content": "Preserve failed: 500 Internal Server Error from POST http://ts-assurance-service:18888/api/v1/assuranceservice/assurances",
                "loglevel": "ERROR",
                "status": "ERROR",
                "dt.entity.service": sids["ts-preserve-service"],
                "service.name": "ts-preserve-service",
                "k8s.pod.name": pod_name(t, "ts-preserve-service"),
            },
        )
        if i % 2 == 0:
            t.record(
                "logs",
                {
                    "timestamp": iso(at + timedelta(seconds=5)),
                    "content": "upstream returned 500 for POST /api/v1/preserveservice/preserve",
                    "loglevel": "WARN",
                    "status": "WARN",
                    "dt.entity.service": sids["ts-ui-dashboard"],
                    "service.name": "ts-ui-dashboard",
                },
            )
    change_event(
        t,
        "ui-cfg",
        minutes(start, 36, 1),
        sids["ts-ui-dashboard"],
        "CUSTOM_CONFIGURATION",
        "nginx upstream keepalive changed",
        {"config.key": "keepalive_timeout", "config.old_value": "65s", "config.new_value": "30s"},
    )
    fault_at = minutes(start, f.at, 1)
    prob = problem(
        t,
        sids["ts-ui-dashboard"],
        [sids["ts-preserve-service"]],
        "Failure rate increase",
        "ERROR",
        fault_at + timedelta(minutes=2),
        None,
        [],
    )
    meta = _meta(
        t.case_id,
        "Exception in ts-assurance-service surfaces as gateway errors",
        "A code fault makes ts-assurance-service throw a NullPointerException on ~45% of requests. Preserve fails with it and the ui-dashboard gateway reports the failure rate increase; a harmless nginx config change on the gateway lands four minutes before.",  # noqa: E501
        minutes(start, N, 1),
        prob,
        sids["ts-assurance-service"],
        ["ts-assurance-service", pod_name(t, "ts-assurance-service")],
        "code",
        None,
        [
            "ts-assurance-service logs NullPointerException in AssuranceServiceImpl.create",
            "the gateway failure count rose because preserve calls assurance",
        ],
        ["kind:code", "signal:errors", "dataset:train-ticket"],
        True,
    )
    return t, meta


def wrong_return(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """Wrong return value in price: price itself succeeds, its caller basic fails validating it."""
    t = Tenant("tt-wrong-return-price", seed)
    start = datetime.fromisoformat("2025-03-02T04:45:00+00:00")
    v = Variant(
        "from", False, "dt.service.response.time", False, "dt.process.cpu.usage", True, True, True, "short"
    )
    sids, pods = build_entities(t, v, start)
    f = Fault("wrong_return", "ts-price-service", 0.35, 33)
    m = simulate(t, f, N, 650.0)
    emit_metrics(t, v, m, sids, pods, start, N)
    emit_spans(t, v, m, sids, start, N, 20)
    emit_background_logs(t, v, sids, start, N)
    for i in range(f.at, N, 1):
        at = minutes(start, i, 1)
        t.record(
            "logs",
            {
                "timestamp": iso(at + timedelta(seconds=12)),
                "content": "java.lang.IllegalStateException: price rate for route must be positive but got -1.0\n\tat basic.service.BasicServiceImpl.queryForTravel(BasicServiceImpl.java:142)",  # noqa: E501
                "loglevel": "ERROR",
                "status": "ERROR",
                "dt.entity.service": sids["ts-basic-service"],
                "service.name": display("ts-basic-service", v),
                "k8s.pod.name": pod_name(t, "ts-basic-service"),
            },
        )
    dep = change_event(
        t,
        "basic-deploy",
        minutes(start, 24, 1),
        sids["ts-basic-service"],
        "CUSTOM_DEPLOYMENT",
        "Deploy basic-service 0.9.7",
        {"deployment.version": "0.9.7", "deployment.name": "ts-basic-service"},
    )
    fault_at = minutes(start, f.at, 1)
    prob = problem(
        t,
        sids["ts-travel-service"],
        [sids["ts-basic-service"], sids["ts-ui-dashboard"]],
        "Multiple service failures",
        "ERROR",
        fault_at + timedelta(minutes=2),
        sids["ts-basic-service"],
        [],
    )
    meta = _meta(
        t.case_id,
        "ts-price-service returns a wrong value",
        "A code fault makes ts-price-service return a negative price rate on ~35% of calls. Price itself answers 200; basic-service rejects the value and fails, travel and the gateway fail with it. basic-service had an unrelated deployment nine minutes earlier.",  # noqa: E501
        minutes(start, N, 1),
        prob,
        sids["ts-price-service"],
        ["price-service", "ts-price-service", pod_name(t, "ts-price-service")],
        "code",
        None,
        [
            "ts-basic-service logs IllegalStateException: price rate must be positive but got -1.0",
            "ts-price-service shows no failures of its own",
        ],
        ["kind:code", "signal:errors", "dataset:train-ticket"],
        False,
    )
    assert dep
    return t, meta
