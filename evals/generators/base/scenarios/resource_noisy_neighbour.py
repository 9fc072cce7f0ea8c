"""Saturated host with a noisy neighbour: a report export job starves tracking on one node.

A parcel logistics platform. At 02:00 a nightly ``report-exporter`` batch process starts on
worker node 3 without CPU limits and takes the node to ~97% CPU. tracking, which has a pod
there, becomes slow and its callers time out occasionally;
tracking's containers are throttled. Davis names tracking (a symptom) as root cause. A
routing deployment 9 minutes earlier is a decoy; the job start is logged as an info event.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import aws_node, call, ep, k8s_nodes, log, new_tenant
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

CASE_ID = "resource-noisy-neighbour"
START = "2025-02-18T02:03:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="parcel", zone="Parcel - Production")
    t.cluster("eks", "parcel-prod-eu-west-1", "EKS")
    n1, n2, n3, n4 = k8s_nodes(t, "eks", [aws_node(rng, "eu-west-1") for _ in range(4)], cpu=28.0)
    t.process_group("exporter", "report-exporter (batch)", (n3,), "Python", cpu=0.5)
    t.service(
        "events-db",
        "Cassandra tracking_events",
        kind="database",
        technology="Cassandra",
        latency_ms=3.0,
        address="cassandra-0.cassandra.data.svc",
        endpoints=(ep("SELECT events_by_parcel"),),
    )
    t.service(
        "tracking",
        "tracking",
        hosts=(n3, n2),
        namespace="tracking",
        technology="Java",
        latency_ms=24.0,
        endpoints=(ep("GET /api/tracking/{parcelId}", call("events-db", "SELECT events_by_parcel")),),
        info_logs=("Tracking timeline for {sku}: {n} events",),
    )
    t.service(
        "routing",
        "routing",
        hosts=(n1, n4),
        namespace="routing",
        technology="Go",
        latency_ms=35.0,
        endpoints=(ep("POST /api/routes/optimize"),),
        chronic_logs=(log("WARN", "Route optimisation hit iteration limit for depot {id}", 0.6),),
    )
    t.service(
        "eta",
        "eta-predictor",
        hosts=(n4,),
        namespace="routing",
        technology="Python",
        latency_ms=40.0,
        error_rate=0.01,
        endpoints=(ep("GET /api/eta/{parcelId}"),),
        chronic_logs=(log("ERROR", "Feature vector incomplete for parcel {sku}; using fallback ETA", 0.4),),
    )
    t.service(
        "customer-api",
        "customer-api",
        hosts=(n1, n2),
        namespace="public",
        technology="Node.js",
        latency_ms=10.0,
        log_weight=2.0,
        endpoints=(
            ep(
                "GET /track/{parcelId}",
                call("tracking", "GET /api/tracking/{parcelId}", timeout_ms=1500),
                call("eta", "GET /api/eta/{parcelId}", fallback=True),
            ),
        ),
    )
    t.service(
        "depot-api",
        "depot-api",
        hosts=(n1,),
        namespace="ops",
        technology="Java",
        latency_ms=20.0,
        endpoints=(
            ep("POST /depot/scan", call("tracking", "GET /api/tracking/{parcelId}", timeout_ms=3000)),
            ep("POST /depot/plan", call("routing", "POST /api/routes/optimize")),
        ),
    )
    entries = (
        Entry("customer-api", "GET /track/{parcelId}", 90),
        Entry("depot-api", "POST /depot/scan", 30),
        Entry("depot-api", "POST /depot/plan", 3),
    )
    t.application("web", "track.parcel.example", entries[:1])
    effects = (
        Effect(
            n3,
            start=-1.0,
            end=None,
            ramp=3.0,
            host_cpu=64.0,
            host_memory=11.0,
            cpu_throttled=380.0,
            logs=(log("WARN", "kubelet: node cpu pressure, {n} pods above request", 0.8),),
        ),
        Effect("exporter", start=-1.0, ramp=2.0, process_cpu=82.0),
        Effect(
            "tracking",
            start=-1.0,
            ramp=3.0,
            latency_factor=7.5,
            added_latency_ms=120.0,
            logs=(
                log("WARN", "Slow request GET /api/tracking/{sku} took {slow} ms (executor queue {n})", 5.0),
                log("WARN", "GC pause of {slow} ms (G1 Evacuation Pause)", 0.8),
            ),
        ),
    )
    changes = (
        ChangeEvent(
            "routing-deploy",
            "routing",
            -9.0,
            "deployment",
            "routing 4.0.7",
            "Deploy routing 4.0.6 -> 4.0.7",
            version="4.0.7",
            previous_version="4.0.6",
            provider="argocd",
        ),
        ChangeEvent(
            "job-start",
            n3,
            -1.5,
            "info",
            "CronJob report-exporter started",
            "Nightly export of parcel events to the data lake (no resource limits)",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2502180",
        title="Response time degradation",
        severity="PERFORMANCE",
        impact="APPLICATION",
        start=3.0,
        end=None,
        events=(
            DavisEvent(
                "tracking",
                3.0,
                "PERFORMANCE_EVENT",
                "Response time degradation",
                "SERVICE_SLOWDOWN",
                root_cause_relevant=True,
            ),
            DavisEvent(
                "customer-api", 4.0, "PERFORMANCE_EVENT", "Response time degradation", "SERVICE_SLOWDOWN"
            ),
            DavisEvent(n3, 5.0, "RESOURCE_CONTENTION_EVENT", "CPU saturation", "CPU_SATURATED"),
        ),
        impacted=("web", "customer-api", "tracking"),
        root_cause="tracking",
        metric_evidence=(n3,),
    )
    return Scenario(
        id=CASE_ID,
        title="Batch job saturates a node and slows tracking",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        root_cause=n3,
        accepted_names=("report-exporter (batch)", "report-exporter"),
        category="resource",
        trigger=None,
        facts=(
            "the report-exporter batch job started on the node at 02:01 and drove its CPU to ~95%",
            "tracking pods on that node were CPU-throttled and slow",
            "tracking is a symptom: its own code and dependencies did not change",
            "the routing deployment is unrelated",
        ),
        tags=("kind:resource", "signal:latency", "davis:symptom", "noisy-neighbour"),
        old_problems=(
            OldProblem(
                "P-2502171",
                "CPU saturation",
                "RESOURCE_CONTENTION",
                "INFRASTRUCTURE",
                n3,
                24.0,
                31.0,
                "CPU_SATURATED",
            ),
        ),
        application="web",
        watched=("customer-api", "tracking"),
        slo_services=("customer-api",),
        signals=Signals(logs=1500, spans=1500, sessions=300, log_fraction_digits=9, event_fraction_digits=3),
        process_metric=True,
        throttling_metric=True,
    )
