"""Traffic spike: a concert on-sale multiplies traffic and saturates seat reservation.

A ticketing site. At 18:00 the on-sale for a stadium tour opens and traffic through the
web shop jumps five-fold within two minutes. seat-reservation (lock contention on hot
seats) slows down ten-fold and sheds load with 503s; checkout fails with it. Nothing was
deployed or reconfigured for it: the cause is the traffic. Decoys: a payments deployment
14 minutes earlier and a CDN cache config change; Davis names seat-reservation.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import aws_node, call, ep, k8s_nodes, log, new_tenant
from evals.generators.base.model import (
    BusinessFlow,
    ChangeEvent,
    DavisEvent,
    Effect,
    Entry,
    OldProblem,
    ProblemSpec,
    Signals,
)
from evals.generators.base.rng import CaseRandom
from evals.generators.base.scenario import Scenario

CASE_ID = "traffic-onsale-spike"
START = "2025-10-10T18:01:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="tickets", zone="Ticketing - Production")
    t.cluster("eks", "tix-prod-eu-west-2", "EKS")
    n1, n2, n3, n4 = k8s_nodes(t, "eks", [aws_node(rng, "eu-west-2") for _ in range(4)], cpu=24.0)
    t.service(
        "seats-db",
        "Redis seat-locks",
        kind="database",
        technology="Redis",
        latency_ms=0.8,
        address="seat-locks.abc123.cache.amazonaws.com",
        endpoints=(ep("EVAL seat_lock"),),
    )
    t.service(
        "events",
        "event-catalog",
        hosts=(n1, n2),
        namespace="catalog",
        technology="Node.js",
        latency_ms=12.0,
        endpoints=(ep("GET /events/{id}"),),
    )
    t.service(
        "seats",
        "seat-reservation",
        hosts=(n2, n3),
        namespace="booking",
        technology="Java",
        latency_ms=30.0,
        endpoints=(ep("POST /holds", call("seats-db", "EVAL seat_lock")),),
        info_logs=("Hold {hex} placed on {n} seats in block {id}",),
    )
    t.service(
        "payments",
        "payments",
        hosts=(n4,),
        namespace="payments",
        technology="Java",
        latency_ms=140.0,
        error_rate=0.01,
        endpoints=(ep("POST /payments"),),
        chronic_logs=(log("WARN", "3DS challenge abandoned by customer {user}", 0.8),),
    )
    t.service(
        "checkout",
        "ticket-checkout",
        hosts=(n3, n4),
        namespace="booking",
        technology="Java",
        latency_ms=25.0,
        endpoints=(
            ep(
                "POST /checkout",
                call("seats", "POST /holds", timeout_ms=4000),
                call("payments", "POST /payments"),
            ),
        ),
    )
    t.service(
        "web",
        "ticket-web",
        hosts=(n1, n2, n3),
        namespace="web",
        technology="Node.js",
        latency_ms=9.0,
        replicas=3,
        log_weight=2.0,
        endpoints=(
            ep("GET /event/{id}", call("events", "GET /events/{id}")),
            ep("POST /basket/seats", call("seats", "POST /holds", timeout_ms=4000)),
            ep("POST /checkout", call("checkout", "POST /checkout")),
        ),
    )
    entries = (
        Entry("web", "GET /event/{id}", 60),
        Entry("web", "POST /basket/seats", 12),
        Entry("web", "POST /checkout", 5),
    )
    t.application("shop", "www.tickets.example", entries)
    effects = (
        Effect("shop", start=-1.0, ramp=2.0, traffic_factor=5.0),
        Effect(
            "seats",
            start=0.0,
            ramp=3.0,
            latency_factor=10.0,
            error_rate=0.09,
            status_code=503,
            exception_type="com.tix.booking.OverloadedException",
            exception_message="Hold queue full (capacity 500); request rejected",
            logs=(
                log(
                    "ERROR",
                    "Rejecting hold request: queue full (capacity 500, waiting {big})",
                    on_failed_span=True,
                ),
                log("WARN", "Lock wait on block {id} exceeded {slow} ms", 8.0),
            ),
        ),
    )
    changes = (
        ChangeEvent(
            "payments-deploy",
            "payments",
            -14.0,
            "deployment",
            "payments 3.9.0",
            "Deploy payments 3.8.5 -> 3.9.0",
            version="3.9.0",
            previous_version="3.8.5",
            provider="argocd",
        ),
        ChangeEvent(
            "cdn-config",
            "web",
            -6.0,
            "configuration",
            "CDN cache rule for /event/*",
            config_key="cdn.ttl./event",
            old_value="30s",
            new_value="10s",
        ),
        ChangeEvent(
            "onsale",
            "web",
            -1.0,
            "annotation",
            "On-sale opened: Stadium Tour 2026",
            "Queue-it waiting room released; general on-sale started",
        ),
        ChangeEvent(
            "scale",
            "seats",
            8.0,
            "info",
            "HPA scaled seat-reservation to 8 replicas",
            "HorizontalPodAutoscaler seat-reservation: 4 -> 8",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2510105",
        title="Multiple service problems",
        severity="ERROR",
        impact="APPLICATION",
        start=2.0,
        end=None,
        events=(
            DavisEvent(
                "seats",
                2.0,
                "PERFORMANCE_EVENT",
                "Response time degradation",
                "SERVICE_SLOWDOWN",
                root_cause_relevant=True,
            ),
            DavisEvent(
                "seats",
                3.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                root_cause_relevant=True,
            ),
            DavisEvent("web", 3.5, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"),
        ),
        impacted=("shop", "web", "seats", "checkout"),
        root_cause="seats",
    )
    return Scenario(
        id=CASE_ID,
        title="On-sale traffic spike saturates seat reservation",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        root_cause="web",
        accepted_names=("www.tickets.example",),
        category="traffic",
        trigger=None,
        facts=(
            "request volume on ticket-web rose about five-fold at 18:00 when the on-sale opened",
            "seat-reservation slowed down and rejected holds with 503 under the load",
            "no deployment or configuration change caused it; the payments deployment is unrelated",
        ),
        tags=("kind:traffic", "signal:traffic", "signal:errors", "davis:symptom"),
        flows=(
            BusinessFlow(
                "www.tickets.example",
                "com.tix.checkout.started",
                "com.tix.order.completed",
                "com.tix.order.failed",
                "checkout",
                "POST /checkout",
                5.0,
                (45.0, 380.0),
                "GBP",
                "order.id",
                ("payment_declined",),
                "seats_unavailable",
            ),
        ),
        application="shop",
        old_problems=(
            OldProblem(
                "P-2510091",
                "Response time degradation",
                "PERFORMANCE",
                "SERVICES",
                "payments",
                26.0,
                9.0,
                "SERVICE_SLOWDOWN",
            ),
        ),
        watched=("web", "seats"),
        slo_services=("web", "seats"),
        countries=("GB", "GB", "GB", "IE", "FR"),
        signals=Signals(logs=2500, spans=2500, sessions=700),
        throttling_metric=True,
    )
