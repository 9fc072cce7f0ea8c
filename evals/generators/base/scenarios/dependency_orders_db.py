"""Failing database: the orders database fails over and rejects writes for twenty minutes.

A food-delivery platform. At 12:31 the managed MySQL cluster behind ``orders`` fails over;
the old writer comes back read-only and the connection pool keeps using it, so a third of
order writes fail with "The MySQL server is running with the --read-only option". The
order-service (which owns those writes) and the app-gateway fail with it. Davis names
order-service — a symptom; the database service is the cause. Decoys: an order-service
deployment 12 minutes before, a courier-matching config change, restaurant-api's chronic
errors. Resolved at 12:52 when the pool is recycled.
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

CASE_ID = "dependency-orders-db"
START = "2025-07-08T12:32:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="delivery", zone="Delivery - Production")
    t.cluster("eks", "delivery-prod-ap-southeast-1", "EKS")
    n1, n2, n3, n4 = k8s_nodes(t, "eks", [aws_node(rng, "ap-southeast-1") for _ in range(4)])
    t.service(
        "orders-db",
        "MySQL orders",
        kind="database",
        technology="MySQL",
        latency_ms=2.5,
        address="orders-prod.cluster-cz1x9.ap-southeast-1.rds.amazonaws.com",
        endpoints=(ep("INSERT INTO orders"), ep("SELECT orders")),
    )
    t.service(
        "menu-db",
        "MySQL menus",
        kind="database",
        technology="MySQL",
        latency_ms=1.6,
        address="menus-prod.cluster-cz1x9.ap-southeast-1.rds.amazonaws.com",
        endpoints=(ep("SELECT menu_items"),),
    )
    t.service(
        "restaurant",
        "restaurant-api",
        hosts=(n1, n2),
        namespace="catalog",
        technology="Go",
        latency_ms=14.0,
        error_rate=0.01,
        endpoints=(ep("GET /restaurants/{id}/menu", call("menu-db", "SELECT menu_items")),),
        chronic_logs=(log("ERROR", "Menu item {sku} references missing image asset; omitted", 0.9),),
    )
    t.service(
        "courier",
        "courier-matching",
        hosts=(n3,),
        namespace="dispatch",
        technology="Python",
        latency_ms=70.0,
        endpoints=(ep("POST /match"),),
    )
    t.service(
        "orders",
        "order-service",
        hosts=(n2, n3, n4),
        namespace="orders",
        technology="Java",
        latency_ms=26.0,
        replicas=3,
        endpoints=(
            ep(
                "POST /orders",
                call("orders-db", "INSERT INTO orders"),
                call("courier", "POST /match", fallback=True),
            ),
            ep("GET /orders/{id}", call("orders-db", "SELECT orders")),
        ),
        info_logs=("Order {order} created for restaurant {id}",),
    )
    t.service(
        "gateway",
        "app-gateway",
        hosts=(n1, n4),
        namespace="edge",
        technology="Go",
        latency_ms=3.0,
        log_weight=2.0,
        endpoints=(
            ep("GET /v1/restaurants/{id}", call("restaurant", "GET /restaurants/{id}/menu")),
            ep("POST /v1/orders", call("orders", "POST /orders")),
            ep("GET /v1/orders/{id}", call("orders", "GET /orders/{id}")),
        ),
    )
    entries = (
        Entry("gateway", "GET /v1/restaurants/{id}", 110),
        Entry("gateway", "POST /v1/orders", 16),
        Entry("gateway", "GET /v1/orders/{id}", 45),
    )
    t.application("app", "Delivery Web", entries)
    exc = (
        "java.sql.SQLException: The MySQL server is running with the --read-only option so it cannot "
        "execute this statement"
    )
    db = Effect(
        "orders-db",
        start=0.0,
        end=20.0,
        ramp=0.5,
        error_rate=0.34,
        added_latency_ms=40.0,
        exception_type="java.sql.SQLException",
        exception_message=exc[len("java.sql.SQLException: ") :],
    )
    orders_logs = Effect(
        "orders",
        start=0.0,
        end=20.0,
        ramp=0.5,
        logs=(
            log("ERROR", "Failed to persist order {order}: " + exc, 5.0),
            log(
                "WARN",
                "HikariPool-orders - Failed to validate connection (Connection is "
                "read-only). Possibly consider using a shorter maxLifetime value.",
                1.5,
            ),
        ),
    )
    changes = (
        ChangeEvent(
            "orders-deploy",
            "orders",
            -12.0,
            "deployment",
            "order-service 2025.07.08-1",
            "Deploy order-service 2025.07.07-3 -> 2025.07.08-1",
            version="2025.07.08-1",
            previous_version="2025.07.07-3",
            provider="github-actions",
        ),
        ChangeEvent(
            "courier-config",
            "courier",
            -4.0,
            "configuration",
            "courier-matching: radius.km",
            config_key="match.radius.km",
            old_value="4",
            new_value="5",
        ),
        ChangeEvent(
            "pool-recycle",
            "orders",
            20.0,
            "info",
            "Connection pool recycled",
            "On-call restarted order-service pods to drop stale connections",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2507084",
        title="Failure rate increase",
        severity="ERROR",
        impact="SERVICES",
        start=1.0,
        end=23.0,
        events=(
            DavisEvent(
                "orders",
                1.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                root_cause_relevant=True,
                end=22.0,
            ),
            DavisEvent(
                "gateway",
                2.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                end=22.0,
            ),
        ),
        impacted=("app", "gateway", "orders"),
        root_cause="orders",
        evidence_changes=("orders-deploy",),
    )
    return Scenario(
        id=CASE_ID,
        title="Orders database read-only after failover",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=(db, orders_logs),
        changes=changes,
        problem=problem,
        root_cause="orders-db",
        category="dependency",
        trigger=None,
        facts=(
            "writes to the MySQL orders database failed with --read-only errors from 12:32 to 12:52",
            "order-service failed only on database writes; reads kept working",
            "the order-service deployment 12 minutes earlier is not the cause",
            "Davis named order-service, a symptom of the database failure",
        ),
        tags=("kind:dependency", "signal:errors", "davis:symptom", "database"),
        old_problems=(
            OldProblem(
                "P-2507071",
                "Failure rate increase",
                "ERROR",
                "SERVICES",
                "restaurant",
                20.0,
                12.0,
                "SERVICE_ERROR_RATE_INCREASED",
            ),
        ),
        flows=(
            BusinessFlow(
                "order-service",
                "com.delivery.order.submitted",
                "com.delivery.order.accepted",
                "com.delivery.order.rejected",
                "orders",
                "POST /orders",
                16.0,
                (6.0, 85.0),
                "SGD",
                "order.id",
                ("restaurant_closed",),
                "system_error",
            ),
        ),
        application="app",
        watched=("gateway", "orders"),
        slo_services=("gateway", "orders"),
        countries=("SG", "SG", "MY", "TH", "ID"),
        signals=Signals(logs=2000, spans=1800, sessions=0, log_fraction_digits=3),
    )
