"""Network latency between services: a degraded NIC on one node delays every call into it.

A retail warehouse system on bare-metal Kubernetes. From 10:46 the network interface of
node ``wh-k8s-04`` drops packets (TCP retransmissions): every call *into* services on that
node (stock) takes 250-400 ms longer at the client and some connections reset, while
stock's own server-side response time stays normal. order-api and picking slow down and
fail occasionally. Davis names stock. Decoys: a stock deployment 40 minutes earlier and
an order-api config change. Root cause is the node (network), not the stock code.
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

CASE_ID = "network-node-packet-loss"
START = "2025-09-03T10:47:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="warehouse", zone="Warehouse - Production")
    t.cluster("k8s", "wh-onprem-k8s", "Kubernetes")
    n1, n2, n3, n4 = k8s_nodes(
        t, "k8s", [f"wh-k8s-0{i}.dc1.retail.example" for i in range(1, 5)], cores=32, memory_gb=128
    )
    for h in (n1, n2, n3, n4):
        t.hosts[h].cloud = None
    t.service(
        "stock-db",
        "PostgreSQL stock",
        kind="database",
        technology="PostgreSQL",
        latency_ms=1.5,
        address="pg-stock.dc1.retail.example",
        endpoints=(ep("SELECT stock_levels"), ep("UPDATE stock_levels")),
    )
    t.service(
        "stock",
        "stock",
        hosts=(n4,),
        namespace="inventory",
        technology="Java",
        latency_ms=14.0,
        endpoints=(
            ep("GET /stock/{sku}", call("stock-db", "SELECT stock_levels")),
            ep("POST /stock/reservations", call("stock-db", "UPDATE stock_levels")),
        ),
        info_logs=("Reserved {n} x {sku} in bin {id}",),
    )
    t.service(
        "labels",
        "label-printer",
        hosts=(n3,),
        namespace="shipping",
        technology="Python",
        latency_ms=80.0,
        error_rate=0.015,
        endpoints=(ep("POST /labels"),),
        chronic_logs=(log("ERROR", "Printer PRN-{id} offline; label queued", 0.5),),
    )
    t.service(
        "picking",
        "picking",
        hosts=(n2, n3),
        namespace="fulfilment",
        technology="Go",
        latency_ms=18.0,
        endpoints=(
            ep(
                "POST /pick-lists",
                call("stock", "POST /stock/reservations", timeout_ms=1000),
                call("labels", "POST /labels", fallback=True),
            ),
        ),
    )
    t.service(
        "order-api",
        "order-api",
        hosts=(n1, n2),
        namespace="fulfilment",
        technology="Java",
        latency_ms=20.0,
        log_weight=2.0,
        endpoints=(
            ep("GET /orders/{id}/availability", call("stock", "GET /stock/{sku}", timeout_ms=1500)),
            ep("POST /orders/{id}/release", call("picking", "POST /pick-lists")),
        ),
    )
    entries = (
        Entry("order-api", "GET /orders/{id}/availability", 80),
        Entry("order-api", "POST /orders/{id}/release", 20),
    )
    effects = (
        Effect("stock", start=-1.0, ramp=2.0, network_latency_ms=320.0, network_error_rate=0.06),
        Effect(
            n4,
            start=-1.0,
            ramp=2.0,
            packets_dropped=1800.0,
            logs=(log("WARN", "kernel: mlx5_core 0000:3b:00.0 ens1f0: TX timeout detected, queue {p}", 0.6),),
        ),
        Effect(
            "picking",
            start=-1.0,
            ramp=2.0,
            logs=(log("WARN", "Retrying call to stock (attempt {a}/3): connect timed out", 2.5),),
        ),
    )
    changes = (
        ChangeEvent(
            "stock-deploy",
            "stock",
            -40.0,
            "deployment",
            "stock 8.14.2",
            "Deploy stock 8.14.1 -> 8.14.2",
            version="8.14.2",
            previous_version="8.14.1",
            provider="argocd",
        ),
        ChangeEvent(
            "order-config",
            "order-api",
            -8.0,
            "configuration",
            "order-api: availability.cache",
            config_key="availability.cache.enabled",
            old_value="true",
            new_value="false",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2509031",
        title="Response time degradation",
        severity="PERFORMANCE",
        impact="SERVICES",
        start=2.0,
        end=None,
        events=(
            DavisEvent(
                "stock",
                2.0,
                "PERFORMANCE_EVENT",
                "Response time degradation",
                "SERVICE_SLOWDOWN",
                root_cause_relevant=True,
            ),
            DavisEvent(
                "order-api", 3.0, "PERFORMANCE_EVENT", "Response time degradation", "SERVICE_SLOWDOWN"
            ),
            DavisEvent(
                "picking", 4.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"
            ),
        ),
        impacted=("order-api", "picking", "stock"),
        root_cause="stock",
        evidence_changes=("stock-deploy",),
    )
    return Scenario(
        id=CASE_ID,
        title="Packet loss on one node slows calls into stock",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        root_cause=n4,
        category="network",
        trigger=None,
        facts=(
            "client-side durations of calls into stock rose by ~300 ms",
            "stock's own server-side durations stayed flat",
            "node wh-k8s-04 drops packets (NIC TX timeouts)",
            "the stock deployment 40 minutes earlier is not the cause",
            "Davis named stock, a symptom",
        ),
        tags=("kind:network", "signal:latency", "davis:symptom", "no-sessions", "no-bizevents"),
        old_problems=(
            OldProblem(
                "P-2509022",
                "Failure rate increase",
                "ERROR",
                "SERVICES",
                "labels",
                9.0,
                44.0,
                "SERVICE_ERROR_RATE_INCREASED",
            ),
        ),
        watched=("order-api",),
        slo_services=("order-api",),
        signals=Signals(logs=1400, spans=2800, sessions=0, bizevents=False),
        packets_metric=True,
        env_url="https://xyz98765.live.dynatrace.com",
    )
