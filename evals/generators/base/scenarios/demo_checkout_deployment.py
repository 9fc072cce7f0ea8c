"""Demo incident: payment v2.8.0 breaks PSP authorisations; Davis blames checkout.

An online shop on EKS. At 14:19 payment 2.8.0 rolls out; its new PSP request mapper sends
authorisations without a field the PSP now requires, so about a quarter of them fail after
retries that add ~0.4 s. Checkout cannot fall back from payment, so it fails and slows
too, and so does the storefront's checkout call; completed orders drop and shoppers get
frustrated. Davis groups it into one problem and names checkout as the root cause (the
service with the most failed calls) — the truth is payment. Decoys: a catalog deployment
shortly before, a recommendation feature-flag change, chronic errors in recommendation and
cart, an autoscaler event, a newsletter annotation. Payment is rolled back at 14:41.
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

CASE_ID = "demo-checkout-deployment"
START = "2025-03-11T14:20:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="shop", zone="Shop - Production")
    t.cluster("eks", "shop-prod-eu-central-1", "EKS")
    nodes = k8s_nodes(t, "eks", [aws_node(rng, "eu-central-1") for _ in range(5)])
    n1, n2, n3, n4, n5 = nodes
    t.service(
        "orders-db",
        "PostgreSQL shopdb",
        kind="database",
        technology="PostgreSQL",
        latency_ms=2.2,
        address="shopdb.cluster-c8x2k1.eu-central-1.rds.amazonaws.com",
        endpoints=(
            ep("INSERT INTO payments"),
            ep("SELECT stock"),
            ep("UPDATE stock"),
            ep("SELECT users"),
            ep("SELECT products"),
        ),
    )
    t.service(
        "cart-cache",
        "Redis cart-cache",
        kind="database",
        technology="Redis",
        latency_ms=0.6,
        address="cart-cache.x7f2qa.ng.0001.euc1.cache.amazonaws.com",
        endpoints=(ep("GET cart"), ep("SET cart")),
    )
    t.service(
        "psp",
        "api.psp-gateway.example",
        kind="external",
        latency_ms=120.0,
        address="api.psp-gateway.example",
        endpoints=(ep("POST /v2/authorizations"),),
    )
    t.service(
        "events-bus",
        "Kafka shop-events",
        kind="queue",
        technology="Kafka",
        latency_ms=1.5,
        address="b-1.shop-events.kafka.eu-central-1.amazonaws.com",
        endpoints=(ep("order-events"),),
    )
    t.service(
        "payment",
        "payment",
        hosts=(n3, n4),
        namespace="payments",
        team="payments",
        technology="Java",
        latency_ms=35.0,
        error_rate=0.003,
        endpoints=(
            ep(
                "POST /api/payments/authorize",
                call("psp", "POST /v2/authorizations"),
                call("orders-db", "INSERT INTO payments"),
            ),
        ),
        info_logs=(
            "Authorization {hex} approved by PSP in {ms} ms",
            "3-D Secure frictionless flow for {user}",
        ),
    )
    t.service(
        "inventory",
        "inventory",
        hosts=(n2, n5),
        namespace="inventory",
        technology="Go",
        latency_ms=9.0,
        endpoints=(
            ep("POST /api/inventory/reserve", call("orders-db", "UPDATE stock")),
            ep("GET /api/inventory/{sku}", call("orders-db", "SELECT stock")),
        ),
        info_logs=("Reserved {n} units of {sku} for {order}",),
    )
    t.service(
        "catalog",
        "catalog",
        hosts=(n1, n2),
        namespace="catalog",
        technology="Python",
        latency_ms=22.0,
        endpoints=(
            ep("GET /api/products", call("orders-db", "SELECT products")),
            ep("GET /api/products/{id}", call("orders-db", "SELECT products")),
        ),
        info_logs=("Served product page {sku} from cache", "Search index warm: {n} documents"),
    )
    t.service(
        "recommendation",
        "recommendation",
        hosts=(n5,),
        namespace="recommendation",
        technology="Python",
        latency_ms=48.0,
        error_rate=0.01,
        replicas=2,
        endpoints=(ep("GET /api/recommendations", call("catalog", "GET /api/products", 0.5)),),
        chronic_logs=(
            log(
                "ERROR",
                "Feature store lookup timed out after 250 ms; serving fallback recommendations for {user}",
                0.6,
            ),
        ),
    )
    t.service(
        "shipping",
        "shipping",
        hosts=(n4,),
        namespace="shipping",
        technology="Go",
        latency_ms=14.0,
        endpoints=(ep("POST /api/shipping/quote"),),
    )
    t.service(
        "user-profile",
        "user-profile",
        hosts=(n1,),
        namespace="identity",
        technology=".NET",
        latency_ms=11.0,
        endpoints=(ep("GET /api/users/{id}", call("orders-db", "SELECT users")),),
        chronic_logs=(log("WARN", "Token for {user} expires in {n} s; refresh scheduled", 0.4),),
    )
    t.service(
        "notification",
        "notification",
        hosts=(n2,),
        namespace="notification",
        technology="Node.js",
        latency_ms=6.0,
        endpoints=(ep("POST /api/notifications/order-confirmation", call("events-bus", "order-events")),),
    )
    t.service(
        "cart",
        "cart",
        hosts=(n1, n3),
        namespace="cart",
        technology="Go",
        latency_ms=5.0,
        error_rate=0.002,
        endpoints=(
            ep("POST /api/cart/items", call("cart-cache", "SET cart")),
            ep("GET /api/cart/{userId}", call("cart-cache", "GET cart")),
        ),
        chronic_logs=(log("ERROR", "Coupon {hex4} rejected: expired campaign", 0.3),),
    )
    t.service(
        "checkout",
        "checkout",
        hosts=(n2, n3, n4),
        namespace="checkout",
        team="checkout",
        technology="Java",
        latency_ms=28.0,
        replicas=3,
        endpoints=(
            ep(
                "POST /api/checkout",
                call("cart", "GET /api/cart/{userId}"),
                call("user-profile", "GET /api/users/{id}"),
                call("inventory", "POST /api/inventory/reserve"),
                call("shipping", "POST /api/shipping/quote"),
                call("payment", "POST /api/payments/authorize", timeout_ms=5000),
                call("notification", "POST /api/notifications/order-confirmation", fallback=True),
            ),
        ),
        info_logs=("Order {order} placed for {user}", "Checkout session {hex} started"),
    )
    t.service(
        "frontend",
        "storefront",
        hosts=(n1, n2, n5),
        namespace="storefront",
        team="web",
        technology="Node.js",
        latency_ms=18.0,
        replicas=3,
        log_weight=2.0,
        endpoints=(
            ep(
                "GET /",
                call("catalog", "GET /api/products"),
                call("recommendation", "GET /api/recommendations", fallback=True),
            ),
            ep(
                "GET /product/{id}",
                call("catalog", "GET /api/products/{id}"),
                call("inventory", "GET /api/inventory/{sku}"),
                call("recommendation", "GET /api/recommendations", fallback=True),
            ),
            ep("POST /cart", call("cart", "POST /api/cart/items")),
            ep("POST /checkout", call("checkout", "POST /api/checkout")),
        ),
        chronic_logs=(log("WARN", "SSR render of /product/{id} took {slow} ms", 0.5),),
    )
    entries = (
        Entry("frontend", "GET /", 60),
        Entry("frontend", "GET /product/{id}", 90),
        Entry("frontend", "POST /cart", 25),
        Entry("frontend", "POST /checkout", 9),
    )
    t.application("web", "www.shop.example", entries)

    failure = Effect(
        "payment",
        start=0.0,
        end=21.5,
        ramp=3.0,
        error_rate=0.26,
        added_latency_ms=380.0,
        status_code=502,
        exception_type="com.shop.payment.psp.PspRequestException",
        exception_message="PSP rejected authorization: 422 Unprocessable Entity "
        "(missing field 'threeDsRequestorChallengeInd')",
        logs=(
            log(
                "ERROR",
                "Authorization failed for {order}: PSP returned 422 Unprocessable Entity "
                "(missing field 'threeDsRequestorChallengeInd')\n"
                "com.shop.payment.psp.PspRequestException: PSP rejected authorization"
                + java_stack("com.shop.payment.psp.AuthorizationMapperV2", "toPspRequest", 118),
                on_failed_span=True,
            ),
            log("WARN", "Retrying PSP authorization for {order} (attempt {a}/3) after 422", 7.0),
            log("INFO", "PaymentRequestMapper v2 active (psp.api.version=2024-10)", 0.4),
        ),
    )
    changes = (
        ChangeEvent(
            "annotation",
            "frontend",
            -31.0,
            "annotation",
            "Newsletter 'Spring sale' sent",
            "Marketing e-mail campaign to 180k subscribers",
        ),
        ChangeEvent(
            "rec-flag",
            "recommendation",
            -16.0,
            "configuration",
            "Feature flag changed: rec.model",
            config_key="rec.model",
            old_value="v6",
            new_value="v7-canary",
        ),
        ChangeEvent(
            "catalog-deploy",
            "catalog",
            -5.0,
            "deployment",
            "Deploy catalog 5.3.1",
            "Helm upgrade catalog 5.3.0 -> 5.3.1 (search ranking tweaks)",
            version="5.3.1",
            previous_version="5.3.0",
            provider="argocd",
        ),
        ChangeEvent(
            "payment-deploy",
            "payment",
            -1.0,
            "deployment",
            "Deploy payment 2.8.0",
            "Helm upgrade payment 2.7.4 -> 2.8.0 (PSP API 2024-10 migration)",
            version="2.8.0",
            previous_version="2.7.4",
            provider="argocd",
        ),
        ChangeEvent(
            "autoscale",
            "frontend",
            7.0,
            "info",
            "HPA scaled storefront to 4 replicas",
            "HorizontalPodAutoscaler storefront: 3 -> 4 (cpu 78%)",
        ),
        ChangeEvent(
            "payment-rollback",
            "payment",
            21.0,
            "deployment",
            "Rollback payment to 2.7.4",
            "argocd rollback payment 2.8.0 -> 2.7.4",
            version="2.7.4",
            previous_version="2.8.0",
            provider="argocd",
        ),
    )
    problem = ProblemSpec(
        display_id="P-25031177",
        title="Multiple service problems",
        severity="ERROR",
        impact="APPLICATION",
        start=3.0,
        end=26.0,
        events=(
            DavisEvent(
                "checkout",
                3.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                root_cause_relevant=True,
                end=25.0,
            ),
            DavisEvent(
                "payment",
                3.5,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                end=24.0,
            ),
            DavisEvent(
                "checkout",
                4.0,
                "PERFORMANCE_EVENT",
                "Response time degradation",
                "SERVICE_SLOWDOWN",
                root_cause_relevant=True,
                end=25.0,
            ),
            DavisEvent(
                "frontend",
                5.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                end=25.5,
            ),
        ),
        impacted=("web", "frontend", "checkout", "payment"),
        root_cause="checkout",
        evidence_changes=("payment-deploy",),
    )
    return Scenario(
        id=CASE_ID,
        title="Payment deployment breaks checkout (Davis blames checkout)",
        description=(__doc__ or "").strip().split("\n\n", 1)[1].replace("\n", " "),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=(failure,),
        changes=changes,
        problem=problem,
        root_cause="payment",
        category="deployment",
        trigger="payment-deploy",
        facts=(
            "payment 2.8.0 was deployed at 14:19 UTC, one minute before failures began",
            "payment's failure rate rose from about 0.3% to about 25% (PSP 422 errors)",
            "payment's response time rose by about 400 ms (retries against the PSP)",
            "checkout and the storefront failed only because their payment calls failed",
            "Davis named checkout as root cause, but checkout is a symptom",
            "completed orders dropped while payment was failing; the rollback to 2.7.4 at 14:41 ended it",
        ),
        tags=("kind:deployment", "signal:errors", "signal:latency", "davis:symptom", "demo"),
        old_problems=(
            OldProblem(
                "P-25031012",
                "Low disk space",
                "RESOURCE_CONTENTION",
                "INFRASTRUCTURE",
                n4,
                26.0,
                48.0,
                "LOW_DISK_SPACE",
            ),
            OldProblem(
                "P-25031136",
                "Response time degradation",
                "PERFORMANCE",
                "SERVICES",
                "recommendation",
                5.5,
                14.0,
                "SERVICE_SLOWDOWN",
            ),
        ),
        flows=(
            BusinessFlow(
                "www.shop.example",
                "com.shop.checkout.started",
                "com.shop.order.completed",
                "com.shop.payment.failed",
                "checkout",
                "POST /api/checkout",
                9.0,
                (12.0, 420.0),
                "EUR",
                "order.id",
                ("card_declined", "insufficient_funds"),
                "psp_error",
            ),
        ),
        application="web",
        watched=("frontend", "checkout", "payment"),
        slo_services=("frontend", "checkout", "payment"),
        signals=Signals(logs=5000, spans=5000, sessions=900),
    )
