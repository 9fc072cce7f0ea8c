"""Bad deployment, latency only: pricing 3.4.1 adds an N+1 query; flight search slows down.

A travel site. pricing 3.4.1 (deployed 09:02) loads fare rules one row at a time, so its
response time goes from ~40 ms to ~600 ms; search waits for it on every request and the
search page gets slow, but almost nothing fails. A notification-service deployment lands
a minute *after* the pricing one (closer to the problem start) and is harmless; a search
config change and chronic hotel-connector errors add noise. Davis correctly names pricing.
The problem is still open.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import call, ep, k8s_nodes, log, new_tenant
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

CASE_ID = "deploy-pricing-latency"
START = "2025-04-02T09:03:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="travel", zone="Travel - Production")
    t.cluster("gke", "travel-prod-europe-west4", "GKE")
    n1, n2, n3, n4 = k8s_nodes(
        t,
        "gke",
        [f"gke-travel-prod-pool-2-{rng.lower_hex(8)}-{rng.lower_hex(4)}" for _ in range(4)],
        cores=16,
        memory_gb=64,
    )
    t.service(
        "fares-db",
        "PostgreSQL fares",
        kind="database",
        technology="PostgreSQL",
        latency_ms=1.8,
        address="10.90.4.12",
        endpoints=(ep("SELECT fare_rules"), ep("SELECT fares")),
    )
    t.service(
        "hotel-api",
        "api.hotelbeds-partner.example",
        kind="external",
        latency_ms=210.0,
        address="api.hotelbeds-partner.example",
        endpoints=(ep("GET /v3/availability"),),
    )
    t.service(
        "pricing",
        "pricing",
        hosts=(n2, n3),
        namespace="pricing",
        technology="Java",
        latency_ms=38.0,
        endpoints=(
            ep("POST /api/v2/price", call("fares-db", "SELECT fare_rules"), call("fares-db", "SELECT fares")),
        ),
        info_logs=("Priced itinerary {hex} ({n} segments) in {ms} ms",),
    )
    t.service(
        "availability",
        "availability",
        hosts=(n1, n4),
        namespace="search",
        technology="Go",
        latency_ms=25.0,
        endpoints=(ep("GET /api/availability"),),
    )
    t.service(
        "hotel-connector",
        "hotel-connector",
        hosts=(n4,),
        namespace="hotels",
        technology="Node.js",
        latency_ms=15.0,
        error_rate=0.02,
        endpoints=(ep("GET /api/hotels", call("hotel-api", "GET /v3/availability", timeout_ms=2500)),),
        chronic_logs=(
            log("ERROR", "Partner API returned malformed room block for hotel {id}; skipping", 0.5),
        ),
    )
    t.service(
        "search",
        "flight-search",
        hosts=(n1, n2, n3),
        namespace="search",
        technology="Java",
        latency_ms=30.0,
        replicas=3,
        endpoints=(
            ep(
                "GET /api/search/flights",
                call("availability", "GET /api/availability"),
                call("pricing", "POST /api/v2/price"),
            ),
        ),
        info_logs=("Search {hex}: {n} offers for route MUC-{sku}",),
    )
    t.service(
        "booking",
        "booking",
        hosts=(n3,),
        namespace="booking",
        technology="Java",
        latency_ms=45.0,
        endpoints=(ep("POST /api/bookings", call("pricing", "POST /api/v2/price")),),
    )
    t.service(
        "notification",
        "notification-service",
        hosts=(n4,),
        namespace="notify",
        technology="Python",
        latency_ms=8.0,
        endpoints=(ep("POST /api/notify"),),
    )
    t.service(
        "web",
        "travel-web",
        hosts=(n1, n2),
        namespace="web",
        technology="Node.js",
        latency_ms=12.0,
        log_weight=2.0,
        endpoints=(
            ep("GET /search", call("search", "GET /api/search/flights")),
            ep("GET /hotels", call("hotel-connector", "GET /api/hotels", fallback=True)),
            ep(
                "POST /book",
                call("booking", "POST /api/bookings"),
                call("notification", "POST /api/notify", fallback=True),
            ),
        ),
    )
    entries = (
        Entry("web", "GET /search", 70),
        Entry("web", "GET /hotels", 25),
        Entry("web", "POST /book", 4),
    )
    t.application("app", "www.travel.example", entries)
    slow = Effect(
        "pricing",
        start=0.0,
        ramp=4.0,
        latency_factor=14.0,
        added_latency_ms=60.0,
        logs=(
            log("WARN", "Fare rule lookup executed {n} queries for itinerary {hex} ({slow} ms)", 9.0),
            log("INFO", "FareRuleRepository: lazy loading enabled (fetch=SELECT per rule)", 0.3),
        ),
    )
    changes = (
        ChangeEvent(
            "search-config",
            "search",
            -24.0,
            "configuration",
            "Config change: search.max.offers",
            config_key="search.max.offers",
            old_value="200",
            new_value="250",
        ),
        ChangeEvent(
            "pricing-deploy",
            "pricing",
            -1.0,
            "deployment",
            "pricing 3.4.1",
            "Jenkins build #2291: pricing 3.4.0 -> 3.4.1 (fare rules refactoring)",
            version="3.4.1",
            previous_version="3.4.0",
            sdlc=True,
            provider="jenkins",
        ),
        ChangeEvent(
            "notify-deploy",
            "notification",
            0.2,
            "deployment",
            "notification-service 1.19.0",
            "Jenkins build #876: notification-service 1.18.2 -> 1.19.0",
            version="1.19.0",
            previous_version="1.18.2",
            sdlc=True,
            provider="jenkins",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2504022",
        title="Response time degradation",
        severity="PERFORMANCE",
        impact="SERVICES",
        start=4.0,
        end=None,
        events=(
            DavisEvent(
                "pricing",
                4.0,
                "PERFORMANCE_EVENT",
                "Response time degradation",
                "SERVICE_SLOWDOWN",
                root_cause_relevant=True,
            ),
            DavisEvent("search", 5.0, "PERFORMANCE_EVENT", "Response time degradation", "SERVICE_SLOWDOWN"),
        ),
        impacted=("search", "pricing", "booking"),
        root_cause="pricing",
        evidence_changes=("pricing-deploy",),
    )
    return Scenario(
        id=CASE_ID,
        title="Flight search slows down after a pricing deployment",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=(slow,),
        changes=changes,
        problem=problem,
        root_cause="pricing",
        category="deployment",
        trigger="pricing-deploy",
        facts=(
            "pricing 3.4.1 was deployed at 09:02 UTC",
            "pricing response time rose from ~40 ms to ~600 ms",
            "flight-search is slow because it waits for pricing",
            "the notification-service deployment is unrelated",
        ),
        tags=("kind:deployment", "signal:latency", "davis:correct", "problem-ref:id"),
        old_problems=(
            OldProblem(
                "P-2504011",
                "Failure rate increase",
                "ERROR",
                "SERVICES",
                "hotel-connector",
                19.0,
                35.0,
                "SERVICE_ERROR_RATE_INCREASED",
            ),
        ),
        flows=(
            BusinessFlow(
                "www.travel.example",
                "com.travel.booking.started",
                "com.travel.booking.confirmed",
                "com.travel.booking.failed",
                "booking",
                "POST /api/bookings",
                4.0,
                (89.0, 1450.0),
                "EUR",
                "booking.id",
                ("fare_expired",),
            ),
        ),
        application="app",
        watched=("search", "booking"),
        slo_services=("web", "search"),
        signals=Signals(logs=2200, spans=2400, sessions=400, log_fraction_digits=3, event_fraction_digits=0),
        problem_ref="id",
    )
