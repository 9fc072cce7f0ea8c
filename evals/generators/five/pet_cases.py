"""Pet-adoption-on-AWS cases: 5-minute component metrics, a call graph and change records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from evals.generators.five.build import Tenant, event_id, iso, minutes, ms, problem_id

N = 36  # three hours of 5-minute buckets
SOURCE = {
    "dataset": "pet-adoption AWS fault-injection dataset (converted)",
    "licence": "research dataset licence",
    "reference": "PetAdoptions AWS observability workshop app",
}

#: component -> (entity type, base latency ms, requests per 5 min)
COMPONENTS: dict[str, tuple[str, float, float]] = {
    "PetSite-ALB": ("AWS_APPLICATION_LOAD_BALANCER", 0.0, 0.0),
    "PetSite": ("SERVICE", 35.0, 0.0),
    "PetSearch": ("SERVICE", 22.0, 0.0),
    "PayForAdoption": ("SERVICE", 40.0, 0.0),
    "PetListAdoptions": ("SERVICE", 30.0, 0.0),
    "PetStatusUpdaterApi": ("CUSTOM_DEVICE", 6.0, 0.0),
    "statusupdater": ("AWS_LAMBDA_FUNCTION", 45.0, 0.0),
    "petadoptionshistory": ("AWS_LAMBDA_FUNCTION", 60.0, 0.0),
    "ddbpetadoption-pets": ("DYNAMO_DB_TABLE", 5.0, 0.0),
    "adoptions-aurora": ("RELATIONAL_DATABASE_SERVICE", 8.0, 0.0),
    "sqs-pets-adopted": ("CUSTOM_DEVICE", 12.0, 0.0),
    "sns-adoption-topic": ("CUSTOM_DEVICE", 15.0, 0.0),
    "PetAdoptionsStepFn": ("CUSTOM_DEVICE", 300.0, 0.0),
    "PetFood": ("SERVICE", 18.0, 0.0),
}
EDGES: dict[str, list[tuple[str, float]]] = {
    "PetSite-ALB": [("PetSite", 1)],
    "PetSite": [
        ("PetSearch", 1),
        ("PayForAdoption", 0.2),
        ("PetListAdoptions", 0.3),
        ("PetStatusUpdaterApi", 0.2),
        ("PetFood", 0.1),
    ],
    "PetSearch": [("ddbpetadoption-pets", 1)],
    "PayForAdoption": [("adoptions-aurora", 1), ("sqs-pets-adopted", 1), ("ddbpetadoption-pets", 1)],
    "PetListAdoptions": [("adoptions-aurora", 1), ("PetSearch", 1)],
    "PetStatusUpdaterApi": [("statusupdater", 1)],
    "statusupdater": [("ddbpetadoption-pets", 1)],
    "sqs-pets-adopted": [("petadoptionshistory", 1)],
    "petadoptionshistory": [("adoptions-aurora", 1), ("sns-adoption-topic", 1)],
    "sns-adoption-topic": [("PetAdoptionsStepFn", 1)],
}
ASYNC = {("sqs-pets-adopted", "petadoptionshistory"), ("sns-adoption-topic", "PetAdoptionsStepFn")}


def _order() -> list[str]:
    seen: list[str] = []

    def visit(s: str) -> None:
        if s in seen:
            return
        for c, _ in EDGES.get(s, []):
            visit(c)
        seen.append(s)

    for s in COMPONENTS:
        visit(s)
    return seen


def simulate(
    t: Tenant, culprit: str, at: int, extra_ms: float, err: float, entry: dict[str, float], n: int = N
) -> dict[str, dict[str, list[float]]]:
    """avg/p90 latency (ms), request count and availability (%) per component per bucket."""
    out: dict[str, dict[str, list[float]]] = {
        c: {"avg": [], "p90": [], "count": [], "avail": []} for c in COMPONENTS
    }
    order = _order()
    for i in range(n):
        on = i >= at
        lat: dict[str, float] = {}
        bad: dict[str, float] = {}
        for c in order:
            own = COMPONENTS[c][1] * (1 + t.rng.gauss(0, 0.05))
            e = 0.0005 * abs(t.rng.gauss(1, 0.4))
            if on and c == culprit:
                own += extra_ms * (1 + t.rng.gauss(0, 0.08))
                e += err
            for callee, k in EDGES.get(c, []):
                if (c, callee) in ASYNC:
                    continue
                own += k * lat[callee]
                e = 1 - (1 - e) * (1 - min(1.0, k * bad[callee]))
            lat[c], bad[c] = own, min(1.0, e)
        reqs = {c: 0.0 for c in COMPONENTS}
        for c, r in entry.items():
            reqs[c] = r * (1 + t.rng.gauss(0, 0.05))
        for c in reversed(order):
            for callee, k in EDGES.get(c, []):
                reqs[callee] += reqs[c] * k * (1 - bad[c] if (c, callee) in ASYNC else 1)
        for c in COMPONENTS:
            out[c]["avg"].append(round(lat[c], 2))
            tail = 2.2 if on and c == culprit and extra_ms else 1.6
            out[c]["p90"].append(round(lat[c] * tail * (1 + t.rng.gauss(0, 0.04)), 2))
            out[c]["count"].append(round(reqs[c]))
            out[c]["avail"].append(round(100 * (1 - bad[c]), 3))
    return out


def entities(t: Tenant, side: str, first: datetime) -> dict[str, str]:
    ids: dict[str, str] = {}
    for c, (etype, _, _) in COMPONENTS.items():
        props: dict[str, Any] = {"awsRegion": "us-east-1"}
        if etype == "CUSTOM_DEVICE":
            props["customizedName"] = c
            props["dt.technology"] = (
                "AWS API Gateway"
                if c.endswith("Api")
                else (
                    "Amazon SQS"
                    if c.startswith("sqs")
                    else ("Amazon SNS" if c.startswith("sns") else "AWS Step Functions")
                )
            )
        if etype == "SERVICE":
            props["platform"] = "ECS" if c != "PetSite" else "EKS"
        ids[c] = t.entity(
            etype,
            c,
            properties=props,
            tags=[
                {
                    "context": "AWS",
                    "key": "app",
                    "value": "petadoptions",
                    "stringRepresentation": "[AWS]app:petadoptions",
                }
            ],
            firstSeenTms=ms(first) - 86400000 * 30,
        )
    for c, outs in EDGES.items():
        for callee, _ in outs:
            t.relate(ids[c], "calls", ids[callee], side)
    return ids


def dim_for(etype: str) -> str:
    return "dt.entity." + etype.lower()


def emit(
    t: Tenant,
    ids: dict[str, str],
    data: dict[str, dict[str, list[float]]],
    start: datetime,
    keys: dict[str, str],
    service_keys: bool,
) -> None:
    for c, (etype, _, _) in COMPONENTS.items():
        dims = {dim_for(etype): ids[c]}
        if service_keys and etype == "SERVICE":
            t.series(
                "dt.service.response.time",
                dims,
                start,
                "5m",
                [round(x * 1000, 1) for x in data[c]["avg"]],
                "MicroSecond",
            )
            t.series("dt.service.request.count", dims, start, "5m", list(data[c]["count"]), "Count")
            fails = [
                round(n * (100 - a) / 100) for n, a in zip(data[c]["count"], data[c]["avail"], strict=True)
            ]
            t.series("dt.service.request.failure_count", dims, start, "5m", list(fails), "Count")
            t.series(keys["p90"], dims, start, "5m", list(data[c]["p90"]), "MilliSecond")
            continue
        t.series(keys["avg"], dims, start, "5m", list(data[c]["avg"]), "MilliSecond")
        t.series(keys["p90"], dims, start, "5m", list(data[c]["p90"]), "MilliSecond")
        t.series(keys["count"], dims, start, "5m", list(data[c]["count"]), "Count")
        t.series(keys["avail"], dims, start, "5m", list(data[c]["avail"]), "Percent")


def change(
    t: Tenant,
    label: str,
    at: datetime,
    sid: str,
    etype: str,
    name: str,
    extra: dict[str, Any],
    entity_type: str,
) -> str:
    eid = event_id(t, label, at)
    rec: dict[str, Any] = {
        "timestamp": iso(at),
        "event.id": eid,
        "event.type": etype,
        "event.name": name,
        "event.kind": "DAVIS_EVENT" if etype.startswith("CUSTOM") else "INFO_EVENT",
        "event.start": iso(at),
        "event.end": iso(at + timedelta(minutes=1)),
        dim_for(entity_type): sid,
        "affected_entity_ids": [sid],
        "event.provider": "AWS CloudTrail",
    }
    rec.update(extra)
    t.record("events", rec)
    return eid


def problem(
    t: Tenant,
    sid: str,
    others: list[str],
    title: str,
    severity: str,
    start: datetime,
    root: str | None,
    impact: str,
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "problemId": problem_id(t, start),
        "displayId": f"P-{start:%y%m%d}{int(t.hex_id('d', 4), 16) % 100:02d}",
        "title": title,
        "status": "OPEN",
        "severityLevel": severity,
        "impactLevel": impact,
        "startTime": ms(start),
        "endTime": -1,
        "affectedEntities": [t.stub(sid)],
        "impactedEntities": [t.stub(x) for x in [sid, *others]],
    }
    if root:
        p["rootCauseEntity"] = t.stub(root)
    t.problems.append(p)
    return p


def _meta(
    t: Tenant,
    title: str,
    desc: str,
    now: datetime,
    prob: dict[str, Any],
    root: str,
    names: list[str],
    cat: str,
    chg: str | None,
    facts: list[str],
    tags: list[str],
) -> dict[str, Any]:
    return {
        "format": "dynatrace-agent/incident-case@1",
        "id": t.case_id,
        "title": title,
        "description": desc,
        "now": iso(now).replace(".000Z", "Z"),
        "problem": prob["displayId"],
        "expected": {
            "root_cause": {"entity_id": root, "name": names},
            "category": cat,
            "change_event_id": chg,
            "facts": facts,
        },
        "tags": tags,
        "source": SOURCE,
    }


ENTRY = {"PetSite-ALB": 24000.0, "PetStatusUpdaterApi": 0.0}
CW = {
    "avg": "cloud.aws.latency.avg",
    "p90": "cloud.aws.latency.p90",
    "count": "cloud.aws.request.count",
    "avail": "cloud.aws.availability",
}
PLAIN = {
    "avg": "petadoptions.latency",
    "p90": "petadoptions.latency.p90",
    "count": "petadoptions.requests",
    "avail": "petadoptions.availability",
}


def two_hops(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """CPU limit of the PetSearch ECS task lowered; the alert fires on the ALB two hops above."""
    t = Tenant("pet-petsearch-cpu-limit", seed)
    start = datetime.fromisoformat("2025-01-22T09:00:00+00:00")
    ids = entities(t, "from", start)
    at = 24
    data = simulate(t, "PetSearch", at, 260.0, 0.0, ENTRY)
    emit(t, ids, data, start, CW, False)
    chg = change(
        t,
        "cpu",
        minutes(start, at, 5) - timedelta(minutes=3),
        ids["PetSearch"],
        "CUSTOM_CONFIGURATION",
        "UpdateService: PetSearch task definition petsearch:58",
        {"config.key": "taskDefinition.cpu", "config.old_value": "1024", "config.new_value": "256"},
        "SERVICE",
    )
    change(
        t,
        "rds",
        minutes(start, 19, 5),
        ids["adoptions-aurora"],
        "CUSTOM_CONFIGURATION",
        "ModifyDBClusterParameterGroup adoptions-aurora",
        {"config.key": "max_connections", "config.old_value": "500", "config.new_value": "800"},
        "RELATIONAL_DATABASE_SERVICE",
    )
    prob = problem(
        t,
        ids["PetSite-ALB"],
        [ids["PetSite"]],
        "Response time degradation on PetSite-ALB",
        "PERFORMANCE",
        minutes(start, at + 1, 5),
        None,
        "APPLICATION",
    )
    meta = _meta(
        t,
        "PetSearch CPU limit lowered",
        "The PetSearch ECS task definition's CPU was cut from 1024 to 256 units. PetSearch (called by PetSite, behind the ALB) slows; the problem opens on the ALB. Only 5-minute CloudWatch-style averages and p90s exist; an Aurora parameter change 25 minutes earlier is a decoy.",  # noqa: E501
        minutes(start, N, 5),
        prob,
        ids["PetSearch"],
        ["PetSearch"],
        "configuration",
        chg,
        ["PetSearch task CPU lowered from 1024 to 256", "average latency of PetSite-ALB rose by ~300 ms"],
        ["kind:configuration", "signal:latency", "dataset:petadoptions"],
    )
    return t, meta


def decoy_on_alerted(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """Reserved concurrency of statusupdater cut; the API Gateway in front has its own harmless change."""
    t = Tenant("pet-statusupdater-concurrency", seed)
    start = datetime.fromisoformat("2025-01-27T15:00:00+00:00")
    ids = entities(t, "to", start)
    at = 22
    data = simulate(t, "statusupdater", at, -8.0, 0.32, {"PetSite-ALB": 20000.0})
    emit(t, ids, data, start, PLAIN, False)
    chg = change(
        t,
        "conc",
        minutes(start, at, 5) - timedelta(minutes=2),
        ids["statusupdater"],
        "CUSTOM_CONFIGURATION",
        "PutFunctionConcurrency statusupdater",
        {"config.key": "ReservedConcurrentExecutions", "config.old_value": "100", "config.new_value": "2"},
        "AWS_LAMBDA_FUNCTION",
    )
    change(
        t,
        "apigw",
        minutes(start, at, 5) - timedelta(minutes=6),
        ids["PetStatusUpdaterApi"],
        "CUSTOM_CONFIGURATION",
        "CreateDeployment PetStatusUpdaterApi stage prod",
        {"config.key": "throttlingBurstLimit", "config.old_value": "5000", "config.new_value": "4000"},
        "CUSTOM_DEVICE",
    )
    prob = problem(
        t,
        ids["PetStatusUpdaterApi"],
        [ids["PetSite"]],
        "Availability drop on PetStatusUpdaterApi",
        "AVAILABILITY",
        minutes(start, at + 1, 5),
        ids["PetStatusUpdaterApi"],
        "SERVICES",
    )
    meta = _meta(
        t,
        "statusupdater Lambda throttled after concurrency cut",
        "Reserved concurrency of the statusupdater Lambda was lowered from 100 to 2; invocations are throttled and the API Gateway in front returns 5xx. A stage redeployment with a lower burst limit on the alerted API Gateway itself, four minutes earlier, is a decoy (traffic stays far below it).",  # noqa: E501
        minutes(start, N, 5),
        prob,
        ids["statusupdater"],
        ["statusupdater"],
        "configuration",
        chg,
        [
            "ReservedConcurrentExecutions of statusupdater lowered from 100 to 2",
            "availability of PetStatusUpdaterApi dropped to ~68%",
        ],
        ["kind:configuration", "signal:availability", "dataset:petadoptions"],
    )
    return t, meta


def latency_injection(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """A PayForAdoption release with injected latency; Aurora p90 is the biggest decoy deviation."""
    t = Tenant("pet-payforadoption-latency-release", seed)
    start = datetime.fromisoformat("2025-02-03T18:20:00+00:00")
    ids = entities(t, "both", start)
    at = 25
    data = simulate(t, "PayForAdoption", at, 900.0, 0.0, ENTRY)
    for i in range(8, 14):  # an Aurora hiccup earlier (backup window), larger than anything later
        data["adoptions-aurora"]["p90"][i] *= 9
        data["adoptions-aurora"]["avg"][i] *= 4
    emit(t, ids, data, start, CW, True)
    chg = change(
        t,
        "rel",
        minutes(start, at, 5) - timedelta(minutes=4),
        ids["PayForAdoption"],
        "CUSTOM_DEPLOYMENT",
        "Deploy payforadoption v2.7.0",
        {
            "deployment.version": "2.7.0",
            "deployment.name": "payforadoption",
            "deployment.release_stage": "production",
        },
        "SERVICE",
    )
    change(
        t,
        "sfn",
        minutes(start, at, 5) - timedelta(minutes=1),
        ids["PetAdoptionsStepFn"],
        "CUSTOM_CONFIGURATION",
        "UpdateStateMachine PetAdoptionsStepFn",
        {"config.key": "definition", "config.old_value": "rev 11", "config.new_value": "rev 12"},
        "CUSTOM_DEVICE",
    )
    change(
        t,
        "food",
        minutes(start, 6, 5),
        ids["PetFood"],
        "CUSTOM_DEPLOYMENT",
        "Deploy petfood v0.4.1",
        {"deployment.version": "0.4.1"},
        "SERVICE",
    )
    prob = problem(
        t,
        ids["PetSite-ALB"],
        [ids["PetSite"], ids["PayForAdoption"]],
        "Response time degradation",
        "PERFORMANCE",
        minutes(start, at + 1, 5),
        ids["PetSite"],
        "APPLICATION",
    )
    meta = _meta(
        t,
        "Latency injected in a PayForAdoption release",
        "Release 2.7.0 of PayForAdoption adds ~900 ms per payment. PetSite (20% of its requests pay) and the ALB slow less in average terms; an Aurora backup-window spike earlier is the largest p90 deviation in the window and a Step Functions update lands a minute before.",  # noqa: E501
        minutes(start, N, 5),
        prob,
        ids["PayForAdoption"],
        ["PayForAdoption"],
        "deployment",
        chg,
        [
            "payforadoption 2.7.0 deployed shortly before the slowdown",
            "PayForAdoption average latency rose by ~900 ms",
        ],
        ["kind:deployment", "signal:latency", "dataset:petadoptions"],
    )
    return t, meta


def memory_limit(seed: int) -> tuple[Tenant, dict[str, Any]]:
    """Memory limit of PetListAdoptions lowered: OOM restarts, errors at the ALB."""
    t = Tenant("pet-petlistadoptions-memory", seed)
    start = datetime.fromisoformat("2025-02-09T02:00:00+00:00")
    ids = entities(t, "from", start)
    at = 20
    data = simulate(t, "PetListAdoptions", at, 40.0, 0.18, ENTRY)
    for i in range(at, N):  # reconnect storms make Aurora latency jump more than anything
        data["adoptions-aurora"]["avg"][i] *= 3.5
        data["adoptions-aurora"]["p90"][i] *= 5
    emit(t, ids, data, start, PLAIN, False)
    chg = change(
        t,
        "mem",
        minutes(start, at, 5) - timedelta(minutes=2),
        ids["PetListAdoptions"],
        "CUSTOM_CONFIGURATION",
        "RegisterTaskDefinition petlistadoptions:31",
        {"config.key": "containerDefinitions.memory", "config.old_value": "2048", "config.new_value": "384"},
        "SERVICE",
    )
    for k in range(6):
        at_k = minutes(start, at, 5) + timedelta(minutes=3 + 6 * k)
        t.record(
            "events",
            {
                "timestamp": iso(at_k),
                "event.id": event_id(t, f"oom{k}", at_k),
                "event.type": "PROCESS_RESTART",
                "event.name": "Container petlistadoptions OOMKilled (exit code 137)",
                "event.kind": "DAVIS_EVENT",
                "dt.entity.service": ids["PetListAdoptions"],
                "affected_entity_ids": [ids["PetListAdoptions"]],
            },
        )
    prob = problem(
        t,
        ids["PetSite-ALB"],
        [ids["PetSite"], ids["adoptions-aurora"]],
        "Multiple infrastructure problems",
        "ERROR",
        minutes(start, at + 1, 5),
        ids["adoptions-aurora"],
        "APPLICATION",
    )
    meta = _meta(
        t,
        "PetListAdoptions memory limit lowered",
        "The PetListAdoptions task memory was cut from 2048 to 384 MiB; containers are OOM-killed and requests through PetSite fail at the ALB. Reconnect storms make Aurora's latency the largest relative deviation, and Davis names Aurora.",  # noqa: E501
        minutes(start, N, 5),
        prob,
        ids["PetListAdoptions"],
        ["PetListAdoptions"],
        "configuration",
        chg,
        [
            "PetListAdoptions memory lowered from 2048 to 384 MiB",
            "containers of PetListAdoptions were OOMKilled repeatedly",
        ],
        ["kind:configuration", "signal:errors", "dataset:petadoptions"],
    )
    return t, meta
