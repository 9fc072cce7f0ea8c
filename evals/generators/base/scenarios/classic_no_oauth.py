"""Tenant without OAuth: only the classic API (problems, entities, settings) can be read.

An insurer's claims platform whose Dynatrace access has an API token but no OAuth client,
so no Grail data (logs, spans, events, metrics, business events, sessions) and no SLOs can
be read. claims-engine 3.1.0 is deployed at 07:58 and fails a fifth of claim submissions;
claims-portal-api fails with it. Davis names claims-portal-api. What the investigation can
see: the problem's evidence (failure-rate changes on both services, the claims-engine
deployment event), the topology and the alerting settings.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import call, ep, k8s_nodes, new_tenant
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

CASE_ID = "classic-only-no-oauth"
START = "2025-03-27T07:59:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="claims", zone="Claims - PROD")
    t.cluster("aks", "claims-prod-northeurope", "AKS")
    n1, n2, n3 = k8s_nodes(t, "aks", [f"aks-claims-{rng.digits(8)}-vmss00000{i}" for i in range(3)])
    t.service(
        "docs",
        "document-store",
        hosts=(n3,),
        namespace="docs",
        technology=".NET",
        latency_ms=40.0,
        endpoints=(ep("POST /documents"),),
    )
    t.service(
        "engine",
        "claims-engine",
        hosts=(n2, n3),
        namespace="claims",
        technology="Java",
        latency_ms=60.0,
        endpoints=(ep("POST /claims/assess"),),
    )
    t.service(
        "portal",
        "claims-portal-api",
        hosts=(n1, n2),
        namespace="portal",
        technology="Java",
        latency_ms=20.0,
        endpoints=(
            ep("POST /api/claims", call("engine", "POST /claims/assess"), call("docs", "POST /documents")),
            ep("GET /api/claims/{id}"),
        ),
    )
    entries = (Entry("portal", "POST /api/claims", 8), Entry("portal", "GET /api/claims/{id}", 30))
    t.application("web", "claims.insurer.example", entries)
    effects = (
        Effect(
            "engine",
            start=0.0,
            ramp=2.0,
            error_rate=0.21,
            status_code=500,
            exception_type="java.lang.IllegalStateException",
            exception_message="No rule set for product line HOME_2025",
        ),
    )
    changes = (
        ChangeEvent(
            "engine-deploy",
            "engine",
            -1.0,
            "deployment",
            "claims-engine 3.1.0",
            "Release claims-engine 3.0.7 -> 3.1.0",
            version="3.1.0",
            previous_version="3.0.7",
            provider="azure-devops",
        ),
        ChangeEvent(
            "docs-deploy",
            "docs",
            -6.0,
            "deployment",
            "document-store 2.2.0",
            "Release document-store 2.1.9 -> 2.2.0",
            version="2.2.0",
            previous_version="2.1.9",
            provider="azure-devops",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2503276",
        title="Multiple service problems",
        severity="ERROR",
        impact="APPLICATION",
        start=2.0,
        end=None,
        events=(
            DavisEvent(
                "portal",
                2.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                root_cause_relevant=True,
            ),
            DavisEvent("engine", 2.5, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"),
        ),
        impacted=("web", "portal", "engine"),
        root_cause="portal",
        evidence_changes=("engine-deploy",),
    )
    return Scenario(
        id=CASE_ID,
        title="Claims-engine deployment, seen through the classic API only",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        root_cause="engine",
        category="deployment",
        trigger="engine-deploy",
        facts=(
            "claims-engine 3.1.0 was deployed at 07:58 UTC",
            "claims-engine's failure rate rose to about 20%",
            "claims-portal-api fails because it calls claims-engine",
            "no logs, traces or metrics were readable: the tenant has no OAuth client",
        ),
        tags=("kind:deployment", "oauth:none", "classic-only", "davis:symptom"),
        old_problems=(
            OldProblem(
                "P-2503261",
                "Response time degradation",
                "PERFORMANCE",
                "SERVICES",
                "docs",
                13.0,
                20.0,
                "SERVICE_SLOWDOWN",
            ),
        ),
        watched=("portal",),
        classic_only=True,
        env_url="https://qrs54321.live.dynatrace.com",
        signals=Signals(
            logs=0, spans=0, sessions=0, bizevents=False, events=False, metrics=False, slos=False
        ),
    )
