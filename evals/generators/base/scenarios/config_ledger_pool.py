"""Configuration change: the ledger's database pool is cut from 40 to 4 connections.

A bank's payments backend. At 16:40 a config rollout sets ``ledger.datasource.maximum-pool-size``
from 40 to 4 (a typo for 44). Under normal load ledger requests now queue for a connection:
latency rises to seconds and a share time out ("Connection is not available"). transfers
times out on ledger after 2 s and fails; the mobile API returns 500s. A fraud-check
deployment two minutes later and an accounts-api flag change are decoys; fraud-check has
chronic timeouts of its own. Davis names no root cause. No RUM sessions in this tenant.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import call, ep, java_stack, k8s_nodes, log, new_tenant
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

CASE_ID = "config-ledger-pool"
START = "2025-05-14T16:41:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="payments", zone="Retail Banking - Prod")
    t.cluster("aks", "rb-prod-westeurope", "AKS")
    nodes = k8s_nodes(t, "aks", [f"aks-system-{rng.digits(8)}-vmss00000{i}" for i in range(5)])
    n1, n2, n3, n4, n5 = nodes
    t.service(
        "ledger-db",
        "PostgreSQL ledger",
        kind="database",
        technology="PostgreSQL",
        latency_ms=3.0,
        address="ledger-prod.postgres.database.azure.com",
        endpoints=(ep("INSERT INTO postings"), ep("SELECT balances")),
    )
    t.service(
        "ledger",
        "ledger",
        hosts=(n2, n3),
        namespace="core",
        technology="Java",
        latency_ms=22.0,
        endpoints=(
            ep("POST /ledger/postings", call("ledger-db", "INSERT INTO postings")),
            ep("GET /ledger/balances/{account}", call("ledger-db", "SELECT balances")),
        ),
        info_logs=(
            "Posted {n} entries for transfer {id}",
            "HikariPool-ledger - Pool stats (total=40, active={i}, idle={n}, waiting=0)",
        ),
    )
    t.service(
        "fraud",
        "fraud-check",
        hosts=(n4,),
        namespace="risk",
        technology="Python",
        latency_ms=55.0,
        error_rate=0.012,
        endpoints=(ep("POST /v1/score"),),
        chronic_logs=(
            log("ERROR", "Model server timeout after 200 ms; returning default score for {id}", 0.7),
        ),
    )
    t.service(
        "accounts",
        "accounts-api",
        hosts=(n1, n5),
        namespace="core",
        technology="Java",
        latency_ms=15.0,
        endpoints=(
            ep("GET /accounts/{id}", call("ledger", "GET /ledger/balances/{account}", 0.6, timeout_ms=2000)),
        ),
    )
    t.service(
        "transfers",
        "transfers",
        hosts=(n3, n4),
        namespace="payments",
        technology="Java",
        latency_ms=30.0,
        endpoints=(
            ep(
                "POST /transfers",
                call("fraud", "POST /v1/score", fallback=True),
                call("ledger", "POST /ledger/postings", timeout_ms=2000),
            ),
        ),
        info_logs=("Transfer {id} accepted ({pct} EUR)",),
    )
    t.service(
        "mobile-api",
        "mobile-api",
        hosts=(n1, n2),
        namespace="edge",
        technology="Go",
        latency_ms=9.0,
        log_weight=2.0,
        endpoints=(
            ep("GET /m/accounts", call("accounts", "GET /accounts/{id}")),
            ep("POST /m/transfers", call("transfers", "POST /transfers")),
        ),
    )
    entries = (Entry("mobile-api", "GET /m/accounts", 120), Entry("mobile-api", "POST /m/transfers", 14))
    exc = (
        "java.sql.SQLTransientConnectionException: HikariPool-ledger - Connection is not available, "
        "request timed out after 1500ms."
    )
    pool = Effect(
        "ledger",
        start=0.0,
        ramp=1.0,
        latency_factor=18.0,
        added_latency_ms=900.0,
        error_rate=0.14,
        status_code=503,
        exception_type="java.sql.SQLTransientConnectionException",
        exception_message=exc,
        logs=(
            log(
                "ERROR",
                exc + java_stack("com.zaxxer.hikari.pool.HikariPool", "createTimeoutException", 696),
                on_failed_span=True,
            ),
            log("WARN", "HikariPool-ledger - Pool stats (total=4, active=4, idle=0, waiting={n})", 6.0),
            log("WARN", "HikariPool-ledger - Thread starvation or clock leap detected", 0.5),
        ),
    )
    changes = (
        ChangeEvent(
            "accounts-flag",
            "accounts",
            -19.0,
            "configuration",
            "Feature flag accounts.showPendingHolds",
            config_key="accounts.showPendingHolds",
            old_value="false",
            new_value="true",
        ),
        ChangeEvent(
            "ledger-pool",
            "ledger",
            -1.0,
            "configuration",
            "ConfigMap ledger-config updated",
            "GitOps sync of ledger-config (rb-platform-config@9c41e2a)",
            config_key="ledger.datasource.maximum-pool-size",
            old_value="40",
            new_value="4",
        ),
        ChangeEvent(
            "fraud-deploy",
            "fraud",
            1.0,
            "deployment",
            "fraud-check 7.2.0",
            "Model bump fraud-gbm-2025-05 (fraud-check 7.1.3 -> 7.2.0)",
            version="7.2.0",
            previous_version="7.1.3",
            provider="azure-devops",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2505148",
        title="Multiple service problems",
        severity="ERROR",
        impact="SERVICES",
        start=2.0,
        end=None,
        events=(
            DavisEvent(
                "transfers", 2.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"
            ),
            DavisEvent("ledger", 2.5, "PERFORMANCE_EVENT", "Response time degradation", "SERVICE_SLOWDOWN"),
            DavisEvent(
                "mobile-api", 3.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"
            ),
        ),
        impacted=("mobile-api", "transfers", "accounts", "ledger"),
        root_cause=None,
    )
    return Scenario(
        id=CASE_ID,
        title="Ledger connection pool shrunk by a config change",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=(pool,),
        changes=changes,
        problem=problem,
        root_cause="ledger",
        category="configuration",
        trigger="ledger-pool",
        facts=(
            "ledger.datasource.maximum-pool-size was changed from 40 to 4 at 16:40 UTC",
            "ledger requests wait for database connections (Hikari timeouts) and take seconds",
            "transfers times out calling ledger and fails",
            "the fraud-check deployment is unrelated",
        ),
        tags=("kind:configuration", "signal:errors", "signal:latency", "davis:none", "no-sessions"),
        flows=(
            BusinessFlow(
                "transfers",
                "com.bank.transfer.initiated",
                "com.bank.transfer.completed",
                "com.bank.transfer.failed",
                "transfers",
                "POST /transfers",
                14.0,
                (5.0, 2500.0),
                "EUR",
                "transfer.id",
                ("insufficient_funds", "limit_exceeded"),
                "technical_error",
            ),
        ),
        old_problems=(
            OldProblem(
                "P-2505131",
                "Failure rate increase",
                "ERROR",
                "SERVICES",
                "fraud",
                22.0,
                17.0,
                "SERVICE_ERROR_RATE_INCREASED",
            ),
            OldProblem(
                "P-2505102",
                "Response time degradation",
                "PERFORMANCE",
                "SERVICES",
                "accounts",
                90.0,
                11.0,
                "SERVICE_SLOWDOWN",
            ),
        ),
        watched=("transfers", "ledger"),
        slo_services=("mobile-api", "transfers"),
        signals=Signals(logs=2600, spans=2600, sessions=0, log_fraction_digits=6),
    )
