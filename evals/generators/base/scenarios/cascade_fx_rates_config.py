"""Deep cascade, Davis names the edge: an fx-rates cache TTL set to 0 overwhelms its provider.

A cross-border payments API. At 11:20 a config change sets fx-rates' ``rates.cache.ttl``
from 300 s to 0; every quote now calls the external rates provider, which starts
rate-limiting (HTTP 429). fx-rates fails, and the failure climbs four levels: pricing →
quote-service → api-gateway. Davis groups it and names api-gateway, the top of the chain,
as root cause. Decoys: a quote-service deployment, an api-gateway WAF rule change,
compliance-check's chronic errors.
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

CASE_ID = "cascade-fx-rates-config"
START = "2025-11-05T11:21:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="remit", zone="Remittance - Production")
    t.cluster("gke", "remit-prod-europe-west1", "GKE")
    n1, n2, n3, n4, n5 = k8s_nodes(
        t, "gke", [f"gke-remit-prod-default-{rng.lower_hex(8)}-{rng.lower_hex(4)}" for _ in range(5)]
    )
    t.service(
        "provider",
        "rates.fx-provider.example",
        kind="external",
        latency_ms=90.0,
        address="rates.fx-provider.example",
        endpoints=(ep("GET /v1/latest"),),
    )
    t.service(
        "fx",
        "fx-rates",
        hosts=(n4, n5),
        namespace="pricing",
        technology="Go",
        latency_ms=3.0,
        endpoints=(ep("GET /rates/{pair}", call("provider", "GET /v1/latest", 0.03)),),
        info_logs=("Rate {sku} served from cache (age {n} s)",),
    )
    t.service(
        "fees",
        "fee-engine",
        hosts=(n3,),
        namespace="pricing",
        technology="Java",
        latency_ms=8.0,
        endpoints=(ep("POST /fees"),),
    )
    t.service(
        "pricing",
        "pricing",
        hosts=(n3, n4),
        namespace="pricing",
        technology="Java",
        latency_ms=10.0,
        endpoints=(ep("POST /price", call("fx", "GET /rates/{pair}"), call("fees", "POST /fees")),),
    )
    t.service(
        "compliance",
        "compliance-check",
        hosts=(n2,),
        namespace="risk",
        technology="Python",
        latency_ms=45.0,
        error_rate=0.015,
        endpoints=(ep("POST /screen"),),
        chronic_logs=(log("ERROR", "Sanctions list download incomplete ({pct}%); using cached list", 0.5),),
    )
    t.service(
        "quote",
        "quote-service",
        hosts=(n2, n3),
        namespace="quotes",
        technology="Java",
        latency_ms=12.0,
        endpoints=(
            ep(
                "POST /quotes",
                call("pricing", "POST /price"),
                call("compliance", "POST /screen", fallback=True),
            ),
        ),
    )
    t.service(
        "transfers",
        "transfer-service",
        hosts=(n1, n5),
        namespace="transfers",
        technology="Java",
        latency_ms=35.0,
        endpoints=(ep("POST /transfers"), ep("GET /transfers/{id}")),
    )
    t.service(
        "gateway",
        "api-gateway",
        hosts=(n1, n2),
        namespace="edge",
        technology="Go",
        latency_ms=2.0,
        log_weight=2.5,
        endpoints=(
            ep("POST /v2/quotes", call("quote", "POST /quotes")),
            ep("POST /v2/transfers", call("transfers", "POST /transfers")),
            ep("GET /v2/transfers/{id}", call("transfers", "GET /transfers/{id}")),
        ),
    )
    entries = (
        Entry("gateway", "POST /v2/quotes", 70),
        Entry("gateway", "POST /v2/transfers", 12),
        Entry("gateway", "GET /v2/transfers/{id}", 40),
    )
    effects = (
        Effect("provider", start=0.0, ramp=3.0, error_rate=0.45, latency_factor=3.0, status_code=429),
        Effect(
            "fx",
            start=0.0,
            ramp=3.0,
            added_latency_ms=110.0,
            error_rate=0.3,
            status_code=502,
            exception_type="com.remit.fx.RatesUnavailableException",
            exception_message="Provider rate limit exceeded (HTTP 429) and no cached rate (ttl=0s)",
            logs=(
                log(
                    "ERROR",
                    "Rates provider returned 429 Too Many Requests for {sku} (limit 50 req/s); "
                    "no cached rate available (ttl=0)",
                    12.0,
                ),
                log("INFO", "Cache miss for {sku}: ttl=0s, fetching from provider", 20.0),
            ),
        ),
    )
    changes = (
        ChangeEvent(
            "quote-deploy",
            "quote",
            -11.0,
            "deployment",
            "quote-service 1.44.0",
            "Deploy quote-service 1.43.2 -> 1.44.0",
            version="1.44.0",
            previous_version="1.43.2",
            provider="cloud-deploy",
        ),
        ChangeEvent(
            "fx-ttl",
            "fx",
            -1.0,
            "configuration",
            "fx-rates config: rates.cache.ttl",
            "Config push from remit-config@7f0c2 (ticket FX-2291)",
            config_key="rates.cache.ttl",
            old_value="300s",
            new_value="0s",
        ),
        ChangeEvent(
            "waf",
            "gateway",
            -3.0,
            "configuration",
            "api-gateway WAF rule update",
            config_key="waf.ruleset.version",
            old_value="2025-10-28",
            new_value="2025-11-04",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2511051",
        title="Multiple service problems",
        severity="ERROR",
        impact="SERVICES",
        start=3.0,
        end=None,
        events=(
            DavisEvent(
                "gateway",
                3.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                root_cause_relevant=True,
            ),
            DavisEvent("quote", 3.5, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"),
            DavisEvent(
                "pricing", 4.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"
            ),
        ),
        impacted=("gateway", "quote", "pricing"),
        root_cause="gateway",
        evidence_changes=("waf",),
    )
    return Scenario(
        id=CASE_ID,
        title="fx-rates cache TTL set to zero; failure cascades to the gateway",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        root_cause="fx",
        category="configuration",
        trigger="fx-ttl",
        facts=(
            "rates.cache.ttl of fx-rates was changed from 300s to 0s at 11:20 UTC",
            "the external rates provider started answering 429 Too Many Requests",
            "pricing, quote-service and api-gateway failed as a cascade from fx-rates",
            "Davis named api-gateway, the top of the chain, not the cause",
        ),
        tags=("kind:configuration", "signal:errors", "davis:symptom", "cascade:deep"),
        old_problems=(
            OldProblem(
                "P-2511042",
                "Failure rate increase",
                "ERROR",
                "SERVICES",
                "compliance",
                16.0,
                25.0,
                "SERVICE_ERROR_RATE_INCREASED",
            ),
        ),
        flows=(
            BusinessFlow(
                "quote-service",
                "com.remit.quote.requested",
                "com.remit.quote.issued",
                "com.remit.quote.failed",
                "quote",
                "POST /quotes",
                20.0,
                (50.0, 3000.0),
                "EUR",
                "quote.id",
                ("corridor_closed",),
                "pricing_unavailable",
            ),
        ),
        watched=("gateway", "quote"),
        slo_services=("gateway",),
        signals=Signals(logs=2400, spans=2200, sessions=0, log_fraction_digits=9),
    )
