"""External dependency: the SMS provider times out, so one-time-password logins fail.

An insurance customer portal. From 08:12 the third-party SMS gateway answers in 6-9 s
instead of 300 ms; auth-service gives up after 4 s, so logins that need an SMS one-time
password fail (about 70% of them). This tenant has no traces and no RUM: only logs,
metrics, events and the problem. Decoys: an auth-service deployment 25 minutes earlier
(harmless), a rate-limit change on the portal gateway 4 minutes before. Davis names no
root cause.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import call, ep, k8s_nodes, log, new_tenant
from evals.generators.base.model import (
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

CASE_ID = "dependency-external-otp"
START = "2025-08-26T08:13:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="portal", zone="Customer Portal - PROD")
    t.cluster("ocp", "ocp-prod-fra", "OpenShift")
    n1, n2, n3 = k8s_nodes(t, "ocp", [f"worker-{i}.ocp-prod-fra.ins.example" for i in range(1, 4)])
    t.service(
        "sms",
        "api.sms-gateway.example",
        kind="external",
        latency_ms=300.0,
        address="api.sms-gateway.example",
        endpoints=(ep("POST /v1/messages"),),
    )
    t.service(
        "users-db",
        "PostgreSQL identity",
        kind="database",
        technology="PostgreSQL",
        latency_ms=2.0,
        address="pg-identity.db.svc",
        endpoints=(ep("SELECT users"),),
    )
    t.service(
        "auth",
        "auth-service",
        hosts=(n1, n2),
        namespace="identity",
        technology="Java",
        latency_ms=25.0,
        endpoints=(
            ep(
                "POST /auth/login",
                call("users-db", "SELECT users"),
                call("sms", "POST /v1/messages", 0.8, timeout_ms=4000),
            ),
        ),
        info_logs=("OTP sent to {user} via SMS (message {hex})", "Login succeeded for {user}"),
    )
    t.service(
        "policies",
        "policy-service",
        hosts=(n2, n3),
        namespace="policies",
        technology="Java",
        latency_ms=30.0,
        error_rate=0.004,
        endpoints=(ep("GET /policies"),),
        chronic_logs=(
            log("ERROR", "Legacy mainframe adapter returned code 12 for policy {id}; retry later", 0.4),
        ),
    )
    t.service(
        "claims",
        "claims-service",
        hosts=(n3,),
        namespace="claims",
        technology=".NET",
        latency_ms=40.0,
        endpoints=(ep("POST /claims"),),
    )
    t.service(
        "gateway",
        "portal-gateway",
        hosts=(n1, n3),
        namespace="edge",
        technology="Go",
        latency_ms=3.0,
        log_weight=2.0,
        endpoints=(
            ep("POST /login", call("auth", "POST /auth/login")),
            ep("GET /my/policies", call("policies", "GET /policies")),
            ep("POST /my/claims", call("claims", "POST /claims")),
        ),
    )
    entries = (
        Entry("gateway", "POST /login", 35),
        Entry("gateway", "GET /my/policies", 50),
        Entry("gateway", "POST /my/claims", 3),
    )
    t.application("portal", "mein.versicherung.example", entries)
    sms = Effect("sms", start=-1.0, end=None, ramp=2.0, latency_factor=25.0)
    auth_logs = Effect(
        "auth",
        start=-1.0,
        ramp=2.0,
        logs=(
            log(
                "ERROR",
                "OTP delivery failed for {user}: java.net.SocketTimeoutException: Read "
                "timed out (api.sms-gateway.example, 4000 ms)",
                14.0,
            ),
            log("WARN", "SMS provider latency {slow} ms above SLA (300 ms)", 3.0),
        ),
    )
    changes = (
        ChangeEvent(
            "auth-deploy",
            "auth",
            -25.0,
            "deployment",
            "auth-service 5.12.0",
            "Release 5.12.0: password policy texts",
            version="5.12.0",
            previous_version="5.11.4",
            provider="gitlab",
        ),
        ChangeEvent(
            "gw-ratelimit",
            "gateway",
            -4.0,
            "configuration",
            "portal-gateway rate limit",
            config_key="ratelimit.login.per_ip",
            old_value="20/min",
            new_value="30/min",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2508263",
        title="Failure rate increase",
        severity="ERROR",
        impact="SERVICES",
        start=2.0,
        end=None,
        events=(
            DavisEvent("auth", 2.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"),
            DavisEvent("sms", 2.5, "PERFORMANCE_EVENT", "Response time degradation", "SERVICE_SLOWDOWN"),
            DavisEvent(
                "gateway", 3.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"
            ),
        ),
        impacted=("gateway", "auth"),
        root_cause=None,
    )
    return Scenario(
        id=CASE_ID,
        title="SMS gateway timeouts break OTP logins",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=(sms, auth_logs),
        changes=changes,
        problem=problem,
        root_cause="sms",
        accepted_names=("sms-gateway",),
        category="dependency",
        trigger=None,
        facts=(
            "the external SMS gateway's response time rose from ~300 ms to several seconds",
            "auth-service times out after 4 s waiting for it, so OTP logins fail",
            "no spans or sessions are available in this tenant",
            "the auth-service deployment and gateway rate-limit change are unrelated",
        ),
        tags=("kind:dependency", "signal:errors", "davis:none", "no-spans", "no-sessions", "external"),
        old_problems=(
            OldProblem(
                "P-2508251",
                "Failure rate increase",
                "ERROR",
                "SERVICES",
                "policies",
                15.0,
                40.0,
                "SERVICE_ERROR_RATE_INCREASED",
            ),
        ),
        watched=("auth",),
        slo_services=("gateway", "auth"),
        signals=Signals(
            logs=1200, spans=0, sessions=0, bizevents=False, log_fraction_digits=0, event_fraction_digits=9
        ),
    )
