"""False alarm: a metric event fires on a periodic latency blip within normal variation.

A B2B analytics SaaS. report-api's response time jumps for about four minutes every
~25 minutes when its cache is rebuilt; it did so at 15:13 and 15:37 without alerting and
again at 16:02, when the auto-adaptive metric event crossed its threshold and opened a
problem that closed itself six minutes later. No errors, no user impact, no fault: the
right answer is "no action needed". A dashboard-ui deployment 10 minutes earlier is a
tempting decoy.
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

CASE_ID = "false-alarm-latency-blip"
START = "2025-12-02T16:02:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="insights", zone="Insights - Production")
    t.cluster("eks", "insights-prod-us-west-2", "EKS")
    n1, n2, n3 = k8s_nodes(t, "eks", [aws_node(rng, "us-west-2") for _ in range(3)])
    t.service(
        "warehouse",
        "Snowflake ANALYTICS",
        kind="database",
        technology="Snowflake",
        latency_ms=180.0,
        address="acme.snowflakecomputing.com",
        endpoints=(ep("SELECT report_rows"),),
    )
    t.service(
        "report",
        "report-api",
        hosts=(n2, n3),
        namespace="reports",
        technology="Python",
        latency_ms=90.0,
        endpoints=(ep("GET /reports/{id}", call("warehouse", "SELECT report_rows", 0.3)),),
        info_logs=("Report {id} rendered ({n} rows)",),
    )
    t.service(
        "auth",
        "auth-proxy",
        hosts=(n1,),
        namespace="edge",
        technology="Go",
        latency_ms=2.0,
        endpoints=(ep("GET /session"),),
    )
    t.service(
        "ui",
        "dashboard-ui",
        hosts=(n1, n2),
        namespace="web",
        technology="Node.js",
        latency_ms=15.0,
        log_weight=2.0,
        chronic_logs=(log("ERROR", "Widget {id} failed to load: chart config invalid", 0.3),),
        endpoints=(
            ep(
                "GET /dashboards/{id}",
                call("auth", "GET /session"),
                call("report", "GET /reports/{id}", 2.0 / 3),
            ),
        ),
    )
    entries = (Entry("ui", "GET /dashboards/{id}", 40),)
    t.application("app", "app.insights.example", entries)
    rebuild = log("INFO", "Cache rebuild started: {n} report definitions", 0.0)
    effects = tuple(
        Effect(
            "report",
            start=s,
            end=s + 4.0,
            ramp=0.5,
            latency_factor=2.3,
            logs=(log("INFO", "Cache rebuild in progress ({pct}% done)", 2.0), rebuild),
        )
        for s in (-49.0, -25.0, 0.0)
    )
    changes = (
        ChangeEvent(
            "ui-deploy",
            "ui",
            -10.0,
            "deployment",
            "dashboard-ui 2025.12.2",
            "Deploy dashboard-ui 2025.11.28 -> 2025.12.2 (new chart theme)",
            version="2025.12.2",
            previous_version="2025.11.28",
            sdlc=True,
            provider="github-actions",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2512021",
        title="report-api slowdown",
        severity="CUSTOM_ALERT",
        impact="SERVICES",
        start=1.0,
        end=7.0,
        events=(
            DavisEvent(
                "report",
                1.0,
                "CUSTOM_ALERT",
                "report-api slowdown",
                "CUSTOM_ALERT",
                end=6.5,
                root_cause_relevant=True,
            ),
        ),
        impacted=("report",),
        root_cause="report",
    )
    return Scenario(
        id=CASE_ID,
        title="Metric event fires on a routine latency blip",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        root_cause="report",
        category="none",
        trigger=None,
        facts=(
            "report-api's response time rises for ~4 minutes every ~25 minutes (cache rebuild); "
            "the same blip at 15:13 and 15:37 raised no problem",
            "there was no increase in failures and no user impact",
            "the problem closed by itself after six minutes; no action is needed",
            "the dashboard-ui deployment did not change report-api's behaviour",
        ),
        tags=("kind:none", "false-alarm", "signal:latency", "no-bizevents"),
        old_problems=(
            OldProblem(
                "P-2512011",
                "report-api slowdown",
                "CUSTOM_ALERT",
                "SERVICES",
                "report",
                23.0,
                5.0,
                "CUSTOM_ALERT",
            ),
        ),
        application="app",
        watched=("report",),
        slo_services=("ui",),
        signals=Signals(logs=900, spans=900, sessions=250, bizevents=False),
    )
