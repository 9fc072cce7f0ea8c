"""Code defect with no change: entitlements throws NullPointerException on a new bundle type.

A video streaming platform. At 20:00 marketing starts selling a "family-plus" bundle (a
catalogue entry, not a deployment or a configuration change of any monitored service).
entitlements' bundle resolver has no case for it and throws a NullPointerException for
every subscriber on that bundle — a growing share of playback starts fail. playback-api
fails with it. Decoys: a recommendations deployment 18 minutes earlier, a catalog config
change, drm-license's chronic warnings. Davis names entitlements correctly; there is no
triggering change event.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import aws_node, call, ep, java_stack, k8s_nodes, log, new_tenant
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

CASE_ID = "code-entitlements-npe"
START = "2025-06-20T20:04:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="streaming", zone="Streaming - Production")
    t.cluster("eks", "stream-prod-us-east-1", "EKS")
    n1, n2, n3, n4 = k8s_nodes(
        t, "eks", [aws_node(rng, "us-east-1") for _ in range(4)], cores=16, memory_gb=64
    )
    t.service(
        "subs-db",
        "DynamoDB subscriptions",
        kind="database",
        technology="DynamoDB",
        latency_ms=4.0,
        address="dynamodb.us-east-1.amazonaws.com",
        endpoints=(ep("GetItem subscriptions"),),
    )
    t.service(
        "entitlements",
        "entitlements",
        hosts=(n2, n3),
        namespace="accounts",
        technology="Java",
        latency_ms=12.0,
        endpoints=(ep("GET /v1/entitlements/{profileId}", call("subs-db", "GetItem subscriptions")),),
        info_logs=("Resolved {n} entitlements for profile {user}",),
    )
    t.service(
        "drm",
        "drm-license",
        hosts=(n4,),
        namespace="playback",
        technology="Go",
        latency_ms=18.0,
        endpoints=(ep("POST /license/widevine"),),
        chronic_logs=(
            log("WARN", "License request with outdated CDM version from device {hex}", 1.2),
            log("ERROR", "Rejected license request: device {hex} revoked", 0.2),
        ),
    )
    t.service(
        "catalog",
        "catalog",
        hosts=(n1, n4),
        namespace="content",
        technology="Node.js",
        latency_ms=16.0,
        endpoints=(ep("GET /v1/titles/{id}"), ep("GET /v1/rows")),
    )
    t.service(
        "recs",
        "recommendations",
        hosts=(n1,),
        namespace="content",
        technology="Python",
        latency_ms=60.0,
        error_rate=0.006,
        endpoints=(ep("GET /v1/rows/personal", call("catalog", "GET /v1/rows")),),
    )
    t.service(
        "playback",
        "playback-api",
        hosts=(n2, n3, n4),
        namespace="playback",
        technology="Java",
        latency_ms=20.0,
        replicas=3,
        endpoints=(
            ep(
                "POST /v1/playback/start",
                call("catalog", "GET /v1/titles/{id}"),
                call("entitlements", "GET /v1/entitlements/{profileId}"),
                call("drm", "POST /license/widevine"),
            ),
        ),
    )
    t.service(
        "edge",
        "edge-gateway",
        hosts=(n1, n2),
        namespace="edge",
        technology="Go",
        latency_ms=4.0,
        log_weight=1.5,
        endpoints=(
            ep("POST /play", call("playback", "POST /v1/playback/start")),
            ep(
                "GET /home",
                call("recs", "GET /v1/rows/personal", fallback=True),
                call("catalog", "GET /v1/rows"),
            ),
        ),
    )
    entries = (Entry("edge", "POST /play", 40), Entry("edge", "GET /home", 80))
    t.application("tv", "Streaming Web Player", entries)
    msg = (
        'Cannot invoke "com.stream.accounts.BundleRules.tiers()" because the return value of '
        '"java.util.Map.get(Object)" is null'
    )
    npe = Effect(
        "entitlements",
        start=0.0,
        ramp=12.0,
        error_rate=0.2,
        status_code=500,
        exception_type="java.lang.NullPointerException",
        exception_message=msg,
        logs=(
            log(
                "ERROR",
                "Failed to resolve entitlements for profile {user} (bundle=family-plus)\n"
                "java.lang.NullPointerException: "
                + msg
                + java_stack("com.stream.accounts.BundleResolver", "resolve", 87),
                on_failed_span=True,
            ),
            log("WARN", "Unknown bundle code 'family-plus' for subscription {id}", 3.0),
        ),
    )
    changes = (
        ChangeEvent(
            "recs-deploy",
            "recs",
            -18.0,
            "deployment",
            "recommendations 12.4.0",
            "Deploy recommendations 12.3.2 -> 12.4.0",
            version="12.4.0",
            previous_version="12.3.2",
            provider="spinnaker",
        ),
        ChangeEvent(
            "catalog-config",
            "catalog",
            -6.0,
            "configuration",
            "catalog: rows.cache.ttl",
            config_key="rows.cache.ttl",
            old_value="60s",
            new_value="120s",
        ),
        ChangeEvent(
            "promo",
            "edge",
            -3.0,
            "annotation",
            "Campaign live: Family Plus bundle",
            "Marketing: Family Plus bundle on sale in US",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2506209",
        title="Failure rate increase",
        severity="ERROR",
        impact="SERVICES",
        start=5.0,
        end=None,
        events=(
            DavisEvent(
                "entitlements",
                5.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                root_cause_relevant=True,
            ),
            DavisEvent(
                "playback", 6.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"
            ),
        ),
        impacted=("tv", "playback", "entitlements"),
        root_cause="entitlements",
    )
    return Scenario(
        id=CASE_ID,
        title="Entitlements NullPointerException with no change",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=(npe,),
        changes=changes,
        problem=problem,
        root_cause="entitlements",
        category="code",
        trigger=None,
        facts=(
            "entitlements throws NullPointerException in BundleResolver for bundle 'family-plus'",
            "no deployment or configuration change touched entitlements",
            "playback-api fails because entitlements fails",
            "the recommendations deployment is unrelated",
        ),
        tags=("kind:code", "signal:errors", "davis:correct", "no-change"),
        old_problems=(
            OldProblem(
                "P-2506191",
                "Response time degradation",
                "PERFORMANCE",
                "SERVICES",
                "recs",
                27.0,
                22.0,
                "SERVICE_SLOWDOWN",
            ),
        ),
        flows=(
            BusinessFlow(
                "playback-api",
                "com.stream.playback.requested",
                "com.stream.playback.started",
                "com.stream.playback.denied",
                "playback",
                "POST /v1/playback/start",
                12.0,
                (0.0, 0.0),
                "USD",
                "session.id",
                ("geo_blocked",),
                "entitlement_error",
            ),
        ),
        application="tv",
        watched=("playback",),
        slo_services=("edge", "playback"),
        countries=("US", "US", "US", "CA", "US", "MX"),
        signals=Signals(logs=1800, spans=1600, sessions=500),
    )
