"""Two concurrent problems: a Redis cache out of memory (investigated) and a filling disk.

An online games platform. From 21:30 the ``leaderboard-cache`` Redis hits maxmemory with
``noeviction`` and rejects writes (OOM command not allowed); leaderboard fails score
submissions and the game API fails with it — that is the problem under investigation.
At the same time, unrelated, the telemetry-ingest host's disk fills up with spooled events
and Davis opens a second problem for it. Decoys: a matchmaking deployment and a
telemetry-ingest config change. Davis names leaderboard for the first problem.
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

CASE_ID = "concurrent-cache-oom-and-disk"
START = "2025-01-24T21:31:00Z"


def build(rng: CaseRandom) -> Scenario:
    t = new_tenant(rng, START, app="games", zone="Games - Live")
    t.cluster("eks", "games-live-us-east-2", "EKS")
    n1, n2, n3 = k8s_nodes(t, "eks", [aws_node(rng, "us-east-2") for _ in range(3)])
    t.host("tele", "telemetry-ingest-01.games.internal", cpu=41.0, memory=70.0, disk=71.0, cloud="AWS")
    t.service(
        "lb-cache",
        "Redis leaderboard-cache",
        kind="database",
        technology="Redis",
        latency_ms=0.5,
        address="leaderboard-cache.games.internal",
        endpoints=(ep("ZADD scores"), ep("ZREVRANGE scores")),
    )
    t.service(
        "leaderboard",
        "leaderboard",
        hosts=(n2, n3),
        namespace="social",
        technology="Go",
        latency_ms=4.0,
        endpoints=(
            ep("POST /scores", call("lb-cache", "ZADD scores")),
            ep("GET /leaderboards/{id}", call("lb-cache", "ZREVRANGE scores")),
        ),
        info_logs=("Score {n} accepted for player {user}",),
    )
    t.service(
        "match",
        "matchmaking",
        hosts=(n1, n3),
        namespace="play",
        technology="Java",
        latency_ms=60.0,
        endpoints=(ep("POST /match"),),
        chronic_logs=(log("WARN", "Queue {id} wait time above target: {slow} ms", 1.0),),
    )
    t.service(
        "telemetry",
        "telemetry-ingest",
        hosts=("tele",),
        technology="Java",
        latency_ms=6.0,
        endpoints=(ep("POST /events"),),
        process_group_name="telemetry-ingest (Java)",
        chronic_logs=(log("ERROR", "Dropped malformed event batch from client {hex}", 0.6),),
    )
    t.service(
        "api",
        "game-api",
        hosts=(n1, n2),
        namespace="edge",
        technology="Node.js",
        latency_ms=5.0,
        log_weight=2.0,
        endpoints=(
            ep("POST /v1/scores", call("leaderboard", "POST /scores")),
            ep("GET /v1/leaderboards/{id}", call("leaderboard", "GET /leaderboards/{id}")),
            ep("POST /v1/match", call("match", "POST /match")),
            ep("POST /v1/telemetry", call("telemetry", "POST /events", fallback=True)),
        ),
    )
    entries = (
        Entry("api", "POST /v1/scores", 45),
        Entry("api", "GET /v1/leaderboards/{id}", 60),
        Entry("api", "POST /v1/match", 20),
        Entry("api", "POST /v1/telemetry", 120),
    )
    t.application("web", "play.games.example", entries[:3])
    effects = (
        Effect(
            "lb-cache",
            start=0.0,
            ramp=1.0,
            error_rate=0.55,
            status_code=500,
            exception_type="redis.OOMError",
            exception_message="OOM command not allowed when used memory > 'maxmemory'.",
        ),
        Effect(
            "leaderboard",
            start=0.0,
            ramp=1.0,
            logs=(
                log(
                    "ERROR",
                    "ZADD scores failed for player {user}: OOM command not allowed when used memory "
                    "> 'maxmemory'.",
                    10.0,
                ),
            ),
        ),
        Effect(
            "tele",
            start=-6.0,
            ramp=30.0,
            host_disk=27.0,
            logs=(log("WARN", "Spool directory /var/spool/telemetry at {pct}% of volume", 2.0),),
        ),
        Effect(
            "telemetry",
            start=6.0,
            ramp=10.0,
            error_rate=0.2,
            status_code=507,
            exception_type="java.io.IOException",
            exception_message="No space left on device",
            logs=(
                log(
                    "ERROR",
                    "Failed to spool batch {hex}: java.io.IOException: No space left on device",
                    on_failed_span=True,
                ),
            ),
        ),
    )
    changes = (
        ChangeEvent(
            "match-deploy",
            "match",
            -7.0,
            "deployment",
            "matchmaking 6.3.0",
            "Deploy matchmaking 6.2.9 -> 6.3.0",
            version="6.3.0",
            previous_version="6.2.9",
            provider="argocd",
        ),
        ChangeEvent(
            "tele-config",
            "telemetry",
            -15.0,
            "configuration",
            "telemetry-ingest: spool.flush.interval",
            config_key="spool.flush.interval",
            old_value="10s",
            new_value="60s",
        ),
    )
    problem = ProblemSpec(
        display_id="P-2501247",
        title="Failure rate increase",
        severity="ERROR",
        impact="APPLICATION",
        start=1.0,
        end=None,
        events=(
            DavisEvent(
                "leaderboard",
                1.0,
                "ERROR_EVENT",
                "Failure rate increase",
                "SERVICE_ERROR_RATE_INCREASED",
                root_cause_relevant=True,
            ),
            DavisEvent("api", 2.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"),
        ),
        impacted=("web", "api", "leaderboard"),
        root_cause="leaderboard",
        evidence_changes=("match-deploy",),
    )
    disk = ProblemSpec(
        display_id="P-2501246",
        title="Low disk space",
        severity="RESOURCE_CONTENTION",
        impact="INFRASTRUCTURE",
        start=-2.0,
        end=None,
        events=(
            DavisEvent(
                "tele",
                -2.0,
                "RESOURCE_CONTENTION_EVENT",
                "Low disk space",
                "LOW_DISK_SPACE",
                root_cause_relevant=True,
            ),
            DavisEvent(
                "telemetry", 8.0, "ERROR_EVENT", "Failure rate increase", "SERVICE_ERROR_RATE_INCREASED"
            ),
        ),
        impacted=("tele", "telemetry"),
        root_cause="tele",
        evidence_changes=("tele-config",),
    )
    return Scenario(
        id=CASE_ID,
        title="Leaderboard cache out of memory while another problem is open",
        description=" ".join((__doc__ or "").split("\n\n", 1)[1].split()),
        start=parse_utc(START),
        tenant=t,
        entries=entries,
        effects=effects,
        changes=changes,
        problem=problem,
        other_problems=(disk,),
        root_cause="lb-cache",
        accepted_names=("leaderboard-cache",),
        category="dependency",
        trigger=None,
        facts=(
            "the leaderboard-cache Redis rejects writes with 'OOM command not allowed' from 21:31",
            "leaderboard score submissions fail; reads still work",
            "the low-disk problem on telemetry-ingest-01 is a separate, concurrent problem",
            "the matchmaking deployment is unrelated",
        ),
        tags=("kind:dependency", "concurrent-problems", "signal:errors", "davis:symptom"),
        old_problems=(
            OldProblem(
                "P-2501231",
                "Response time degradation",
                "PERFORMANCE",
                "SERVICES",
                "match",
                30.0,
                18.0,
                "SERVICE_SLOWDOWN",
            ),
        ),
        application="web",
        watched=("api", "leaderboard"),
        slo_services=("api",),
        signals=Signals(logs=2000, spans=2000, sessions=350, bizevents=False, log_fraction_digits=3),
    )
