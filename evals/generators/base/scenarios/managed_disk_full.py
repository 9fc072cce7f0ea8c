"""Managed environment: the ERP database host's data disk fills up and writes fail.

A manufacturer's ERP landscape on virtual machines, monitored by Dynatrace Managed (classic
API only, no Grail). At 13:25 the data volume of ``erp-db-01`` reaches 100% (an archive job
wrote WAL-heavy batches); PostgreSQL cannot extend its files and write transactions fail;
erp-orders and erp-mes-connector fail writes. A decoy erp-orders deployment two hours
earlier is out of the window; an erp-reporting config change 9 minutes before is in it.
Davis names the host.
"""

from __future__ import annotations

from evals.generators.base.clock import parse_utc
from evals.generators.base.kit import call, ep, new_tenant
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

CASE_ID = "managed-db-disk-full"
START = "2025-04-29T13:26:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="erp", zone="ERP")
    db = t.host(
        "db",
        "erp-db-01.plant.corp.example",
        cpu=35.0,
        memory=78.0,
        disk=88.0,
        cores=16,
        memory_gb=128,
        cloud="VMWARE",
    )
    app1 = t.host("app1", "erp-app-01.plant.corp.example", cpu=40.0, cloud="VMWARE")
    app2 = t.host("app2", "erp-app-02.plant.corp.example", cpu=37.0, cloud="VMWARE")
    t.service(
        "pg",
        "PostgreSQL erp",
        kind="database",
        technology="PostgreSQL",
        latency_ms=2.0,
        hosts=(db,),
        process_group_name="PostgreSQL erp-db-01",
        address="erp-db-01.plant.corp.example",
        endpoints=(ep("INSERT INTO production_orders"), ep("SELECT production_orders")),
    )
    t.service(
        "orders",
        "erp-orders",
        hosts=(app1, app2),
        technology="Java",
        latency_ms=45.0,
        endpoints=(
            ep("POST /erp/orders", call("pg", "INSERT INTO production_orders")),
            ep("GET /erp/orders/{id}", call("pg", "SELECT production_orders")),
        ),
    )
    t.service(
        "mes",
        "erp-mes-connector",
        hosts=(app2,),
        technology=".NET",
        latency_ms=30.0,
        endpoints=(ep("POST /mes/confirmations", call("pg", "INSERT INTO production_orders")),),
    )
    t.service(
        "reporting",
        "erp-reporting",
        hosts=(app1,),
        technology="Java",
        latency_ms=300.0,
        endpoints=(ep("GET /reports/{id}", call("pg", "SELECT production_orders")),),
    )
    entries = (
        Entry("orders", "POST /erp/orders", 10),
        Entry("orders", "GET /erp/orders/{id}", 25),
        Entry("mes", "POST /mes/confirmations", 30),
        Entry("reporting", "GET /reports/{id}", 2),
    )
    effects = (
        Effect(db, start=-12.0, ramp=12.0, host_disk=12.0),
        Effect(
            "pg",
            start=0.0,
            ramp=1.0,
            error_rate=0.6,
            status_code=500,
            exception_type="org.postgresql.util.PSQLException",
            exception_message='ERROR: could not extend file "base/16384/24591": No space left on device',
        ),
    )
    changes = (
        ChangeEvent(
            "orders-deploy",
            "orders",
            -130.0,
            "deployment",
            "erp-orders 11.4",
            "Release 11.4 (quarterly)",
            version="11.4",
            previous_version="11.3",
        ),
        ChangeEvent(
            "reporting-config",
            "reporting",
            -9.0,
            "configuration",
            "erp-reporting: report.threads",
            config_key="report.threads",
            old_value="4",
            new_value="8",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2504291",
        title="Low disk space",
        severity="RESOURCE_CONTENTION",
        impact="INFRASTRUCTURE",
        start=-1.0,
        end=None,
        events=(
            DavisEvent(
                db,
                -1.0,
                "RESOURCE_CONTENTION_EVENT",
                "Low disk space",
                "LOW_DISK_SPACE",
                root_cause_relevant=True,
            ),
            DavisEvent("orders", 1.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"),
            DavisEvent("mes", 1.5, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"),
        ),
        impacted=(db, "orders", "mes"),
        root_cause=db,
    )
    return Scenario(
        id=CASE_ID,
        title="ERP database host disk full (Dynatrace Managed)",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        root_cause=db,
        category="infrastructure",
        trigger=None,
        facts=(
            "the data disk of erp-db-01 reached 100%",
            "PostgreSQL write transactions failed; erp-orders and erp-mes-connector failed writes",
            "the erp-reporting configuration change is unrelated",
            "the environment is Dynatrace Managed: only the classic API was available",
        ),
        tags=("kind:infrastructure", "env:managed", "oauth:none", "classic-only", "davis:correct"),
        old_problems=(
            OldProblem(
                "P-2504281",
                "Low disk space",
                "RESOURCE_CONTENTION",
                "INFRASTRUCTURE",
                db,
                21.0,
                80.0,
                "LOW_DISK_SPACE",
            ),
        ),
        watched=("orders",),
        classic_only=True,
        env_url="https://dynatrace.plant.corp.example/e/5f1c7a2e-8d4b-4c1e-9a63-0b2f4e7d9c11",
        signals=Signals(
            logs=0, spans=0, sessions=0, bizevents=False, events=False, metrics=False, slos=False
        ),
    )
