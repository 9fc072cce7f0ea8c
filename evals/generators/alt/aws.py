"""The AWS pet-adoption app (cases A–C): 5-minute latency, request count and availability only.

Shape the original generator never makes: no spans, no logs, no failure counts; about 25
components of mixed entity types (services, custom devices for managed AWS services,
Kubernetes workloads) joined by ``calls``; metrics keyed by the matching ``dt.entity.*``
dimension; the fault's effect reaches callers through the call graph with a per-edge share.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from evals.generators.alt.common import (
    CaseBundle,
    Json,
    Topology,
    case_json,
    case_rng,
    diurnal,
    entity_ref,
    epoch_ms,
    event_id,
    iso,
    jitter,
    ramp,
    series,
    tag,
    utc,
)

STEP = timedelta(minutes=5)
HISTORY = timedelta(hours=6)
ZONE: Json = {"id": "5180364117235412003", "name": "PetAdoptions - prod"}
DIMENSION = {
    "SERVICE": "dt.entity.service",
    "CUSTOM_DEVICE": "dt.entity.custom_device",
    "CLOUD_APPLICATION": "dt.entity.cloud_application",
}


@dataclass(frozen=True)
class Component:
    """One box of the architecture: how it is monitored and how it normally behaves."""

    key: str
    kind: str
    name: str
    latency_ms: float
    requests: float  # per 5 minutes
    availability: float
    properties: Mapping[str, object]
    calls: tuple[tuple[str, float], ...] = ()  # (callee key, share of requests that call it)


def _aws(service: str, resource: str, region: str = "us-east-1") -> dict[str, object]:
    return {
        "customDeviceSource": "AWS",
        "awsService": service,
        "arn": f"arn:aws:{service.lower()}:{region}:482913077465:{resource}",
        "awsRegion": region,
    }


COMPONENTS: tuple[Component, ...] = (
    Component(
        "alb",
        "CUSTOM_DEVICE",
        "PetSite-ALB",
        135,
        9200,
        99.95,
        _aws("ELB", "loadbalancer/app/PetSite/5e1a"),
        (("petsite", 1.0),),
    ),
    Component(
        "petsite",
        "SERVICE",
        "PetSite",
        120,
        9200,
        99.9,
        {"serviceType": "WEB_REQUEST", "serviceTechnologyTypes": [".NET"], "cloudProvider": "AWS EKS"},
        (
            ("apigw-search", 0.55),
            ("payforadoption", 0.08),
            ("petlistadoptions", 0.2),
            ("petfood", 0.12),
            ("pethistory", 0.05),
            ("ssm", 0.02),
        ),
    ),
    Component(
        "apigw-search",
        "CUSTOM_DEVICE",
        "PetSearch API (API Gateway)",
        48,
        6400,
        99.95,
        _aws("APIGateway", "restapis/k3m9x1/prod"),
        (("petsearch", 1.0),),
    ),
    Component(
        "petsearch",
        "SERVICE",
        "PetSearch",
        40,
        6400,
        99.95,
        {
            "serviceType": "WEB_REQUEST",
            "serviceTechnologyTypes": ["Java", "Spring Boot"],
            "cloudProvider": "AWS ECS",
        },
        (("ddb-adoptions", 0.9), ("s3-images", 0.3), ("ssm", 0.01)),
    ),
    Component(
        "ddb-adoptions",
        "CUSTOM_DEVICE",
        "DynamoDB ddbpetadoption",
        6,
        7100,
        99.99,
        _aws("DynamoDB", "table/ddbpetadoption"),
    ),
    Component(
        "s3-images",
        "CUSTOM_DEVICE",
        "S3 petadoption-images",
        22,
        1900,
        99.99,
        _aws("S3", "petadoption-images"),
    ),
    Component(
        "ssm", "CUSTOM_DEVICE", "SSM Parameter Store", 9, 260, 99.99, _aws("SSM", "parameter/petstore")
    ),
    Component(
        "payforadoption",
        "SERVICE",
        "PayForAdoption",
        95,
        740,
        99.9,
        {"serviceType": "WEB_REQUEST", "serviceTechnologyTypes": ["Go"], "cloudProvider": "AWS ECS"},
        (("aurora", 1.0), ("apigw-status", 1.0), ("sqs-adoptions", 1.0)),
    ),
    Component(
        "aurora",
        "CUSTOM_DEVICE",
        "Aurora adoptions (PostgreSQL)",
        4,
        4100,
        99.99,
        _aws("RDS", "cluster:petadoptions-aurora"),
    ),
    Component(
        "apigw-status",
        "CUSTOM_DEVICE",
        "PetStatusUpdater API (API Gateway)",
        130,
        760,
        99.95,
        _aws("APIGateway", "restapis/u8q2w4/prod"),
        (("statusupdater", 1.0),),
    ),
    Component(
        "statusupdater",
        "SERVICE",
        "petstatusupdater (Lambda)",
        115,
        760,
        99.95,
        {
            "serviceType": "AWS_LAMBDA_FUNCTION",
            "serviceTechnologyTypes": ["Node.js", "AWS Lambda"],
            "functionMemoryMb": 512,
        },
        (("ddb-adoptions", 1.0),),
    ),
    Component(
        "sqs-adoptions",
        "CUSTOM_DEVICE",
        "SQS sqs-adoptions",
        11,
        740,
        99.99,
        _aws("SQS", "sqs-adoptions"),
        (("processor", 1.0),),
    ),
    Component(
        "processor",
        "SERVICE",
        "adoption-processor (Lambda)",
        210,
        740,
        99.9,
        {"serviceType": "AWS_LAMBDA_FUNCTION", "serviceTechnologyTypes": ["Python", "AWS Lambda"]},
        (("stepfn", 1.0),),
    ),
    Component(
        "stepfn",
        "CUSTOM_DEVICE",
        "Step Functions adoption-workflow",
        640,
        740,
        99.9,
        _aws("States", "stateMachine:adoption-workflow"),
        (("sns", 1.0),),
    ),
    Component(
        "sns",
        "CUSTOM_DEVICE",
        "SNS petadoption-notify",
        18,
        740,
        99.99,
        _aws("SNS", "petadoption-notify"),
        (("notify", 1.0),),
    ),
    Component(
        "notify",
        "SERVICE",
        "notify-adopter (Lambda)",
        160,
        740,
        99.8,
        {"serviceType": "AWS_LAMBDA_FUNCTION", "serviceTechnologyTypes": ["Python", "AWS Lambda"]},
    ),
    Component(
        "petlistadoptions",
        "SERVICE",
        "PetListAdoptions",
        70,
        1850,
        99.95,
        {
            "serviceType": "WEB_REQUEST",
            "serviceTechnologyTypes": ["Python", "Flask"],
            "cloudProvider": "AWS ECS",
        },
        (("aurora", 1.0), ("apigw-search", 1.0)),
    ),
    Component(
        "petfood",
        "CLOUD_APPLICATION",
        "petfood",
        55,
        1100,
        99.9,
        {"workloadType": "DEPLOYMENT", "namespace": "petfood", "cloudProvider": "AWS EKS"},
        (("apigw-food", 1.0),),
    ),
    Component(
        "apigw-food",
        "CUSTOM_DEVICE",
        "PetFood API (API Gateway)",
        35,
        1100,
        99.95,
        _aws("APIGateway", "restapis/p4f0d2/prod"),
        (("petfood-lambda", 1.0),),
    ),
    Component(
        "petfood-lambda",
        "SERVICE",
        "petfood-catalog (Lambda)",
        28,
        1100,
        99.95,
        {"serviceType": "AWS_LAMBDA_FUNCTION", "serviceTechnologyTypes": ["Python", "AWS Lambda"]},
        (("ddb-food", 1.0),),
    ),
    Component(
        "ddb-food",
        "CUSTOM_DEVICE",
        "DynamoDB petfood-catalog",
        5,
        1100,
        99.99,
        _aws("DynamoDB", "table/petfood-catalog"),
    ),
    Component(
        "pethistory",
        "CLOUD_APPLICATION",
        "petadoptionshistory",
        60,
        460,
        99.9,
        {"workloadType": "DEPLOYMENT", "namespace": "pethistory", "cloudProvider": "AWS EKS"},
        (("aurora", 1.0),),
    ),
    Component(
        "trafficgen",
        "SERVICE",
        "traffic-generator (Lambda)",
        900,
        60,
        99.5,
        {"serviceType": "AWS_LAMBDA_FUNCTION", "serviceTechnologyTypes": ["Node.js", "AWS Lambda"]},
    ),
    Component(
        "cloudfront",
        "CUSTOM_DEVICE",
        "CloudFront petsite-static",
        14,
        21000,
        99.99,
        _aws("CloudFront", "distribution/E2Q5H7"),
    ),
    Component("xray", "CUSTOM_DEVICE", "X-Ray daemon petsite", 2, 9400, 99.99, _aws("XRay", "group/petsite")),
)
BY_KEY = {c.key: c for c in COMPONENTS}


@dataclass
class Effect:
    """What the fault does to one component at its peak: added latency (ms), lost availability (points)."""

    latency_ms: float = 0.0
    availability_loss: float = 0.0
    request_factor: float = 1.0


def _propagate(own: Mapping[str, Effect]) -> dict[str, Effect]:
    """Each caller inherits its callees' trouble in proportion to the share of calls that reach them."""
    memo: dict[str, Effect] = {}

    def visit(key: str) -> Effect:
        if key in memo:
            return memo[key]
        base = own.get(key, Effect())
        total = Effect(base.latency_ms, base.availability_loss, base.request_factor)
        for callee, share in BY_KEY[key].calls:
            child = visit(callee)
            total.latency_ms += share * child.latency_ms
            total.availability_loss += share * child.availability_loss
        memo[key] = total
        return total

    for c in COMPONENTS:
        visit(c.key)
    return memo


def build_topology(now: datetime) -> Topology:
    """The app's entities and call graph."""
    topo = Topology(now - timedelta(days=1), now, ZONE, [tag("app", "petadoptions"), tag("env", "prod")])
    for c in COMPONENTS:
        topo.add(c.kind, c.name, key=c.key, properties=dict(c.properties))
    for c in COMPONENTS:
        for callee, _share in c.calls:
            topo.link(topo.id(c.key), "calls", topo.id(callee))
    topo.link(topo.id("trafficgen"), "calls", topo.id("alb"))
    topo.link(topo.id("petsite"), "calls", topo.id("xray"))
    return topo


Shape = Callable[[datetime], float]


def metrics(
    topo: Topology,
    rng: random.Random,
    start: datetime,
    end: datetime,
    effects: Mapping[str, Effect],
    shape: Shape,
    blips: Mapping[str, tuple[datetime, float]] | None = None,
) -> list[Json]:
    """Latency (µs), request count and availability (%) per component at 5-minute resolution."""
    total = _propagate(effects)
    out: list[Json] = []
    steps = int((end - start) / STEP)
    for c in COMPONENTS:
        lat: list[float | None] = []
        req: list[float | None] = []
        avail: list[float | None] = []
        for i in range(steps):
            ts = start + i * STEP
            k = shape(ts)
            eff = total[c.key]
            wave = diurnal(ts)
            latency = jitter(rng, c.latency_ms * (0.93 + 0.07 * wave), 0.07) + k * eff.latency_ms * jitter(
                rng, 1.0, 0.12
            )
            lost = (100 - c.availability) * jitter(rng, 1.0, 0.6) + k * eff.availability_loss * jitter(
                rng, 1.0, 0.1
            )
            if blips and c.key in blips:
                at, factor = blips[c.key]
                if at <= ts < at + 2 * STEP:
                    latency *= factor
            gap = rng.random() < 0.004
            lat.append(None if gap else latency * 1000)
            req.append(
                None
                if gap
                else round(jitter(rng, c.requests * wave, 0.05) * (1 + k * (eff.request_factor - 1)))
            )
            avail.append(None if gap else max(0.0, 100 - lost))
        dims = {DIMENSION[c.kind]: topo.id(c.key)}
        out.append(series("dt.service.request.response_time", dims, start, "5m", lat, "MicroSecond"))
        out.append(series("dt.service.request.count", dims, start, "5m", req, "Count"))
        out.append(series("custom.availability", dims, start, "5m", avail, "Percent"))
    return out


def change_event(
    topo: Topology, key: str, ts: datetime, *, kind: str, name: str, details: Json, duration_s: int = 90
) -> Json:
    """A change event pushed by the deployment pipeline or AWS Config (Events API v2 → Grail)."""
    eid = topo.id(key)
    dim = DIMENSION[topo.entities[eid]["type"]]
    return {
        "timestamp": iso(ts),
        "event.id": event_id(f"{key}/{name}", ts),
        "event.kind": "DAVIS_EVENT",
        "event.type": kind,
        "event.name": name,
        "event.status": "CLOSED",
        "event.start": iso(ts),
        "event.end": iso(ts + timedelta(seconds=duration_s)),
        "dt.source_entity": eid,
        dim: eid,
        "affected_entity_ids": [eid],
        **details,
    }


def problem(
    topo: Topology,
    *,
    display_id: str,
    title: str,
    severity: str,
    start: datetime,
    end: datetime | None,
    affected: list[str],
    impacted: list[str],
    evidence: list[tuple[str, str, float, float, str]],
    root_cause: str | None = None,
) -> Json:
    """A Problems API v2 record; ``evidence`` = (key, display name, before, after, unit)."""
    details = []
    for key, label, before, after, unit in evidence:
        ref = entity_ref(topo.id(key), topo.name(topo.id(key)))
        details.append(
            {
                "evidenceType": "TRANSACTIONAL" if unit != "Event" else "EVENT",
                "displayName": label,
                "entity": ref,
                "groupingEntity": ref,
                "rootCauseRelevant": key == root_cause,
                "startTime": epoch_ms(start),
                "endTime": epoch_ms(end) if end else -1,
                "unit": unit,
                "valueBeforeChangePoint": before,
                "valueAfterChangePoint": after,
            }
        )
    record: Json = {
        "problemId": f"{event_id(display_id, start).split('_')[0]}_{epoch_ms(start)}V2",
        "displayId": display_id,
        "title": title,
        "impactLevel": "SERVICES",
        "severityLevel": severity,
        "status": "CLOSED" if end else "OPEN",
        "startTime": epoch_ms(start),
        "endTime": epoch_ms(end) if end else -1,
        "affectedEntities": [entity_ref(topo.id(k), topo.name(topo.id(k))) for k in affected],
        "impactedEntities": [entity_ref(topo.id(k), topo.name(topo.id(k))) for k in impacted],
        "managementZones": [ZONE],
        "entityTags": [tag("app", "petadoptions"), tag("env", "prod")],
        "problemFilters": [{"id": "8b0f2d0c-6c1e-3c84-9a57-7f7b6b1e4d11", "name": "PetAdoptions"}],
        "evidenceDetails": {"totalCount": len(details), "details": details},
        "impactAnalysis": {"impacts": []},
    }
    if root_cause is not None:
        record["rootCauseEntity"] = entity_ref(topo.id(root_cause), topo.name(topo.id(root_cause)))
    return record


def case_a(seed: int | None = None) -> CaseBundle:
    """DynamoDB table throttled after its provisioned read capacity was lowered."""
    rng = case_rng("alt-aws-dynamodb-throttle", seed)
    t0 = utc("2025-05-13T14:10:00Z")
    now = t0 + timedelta(minutes=55)
    topo = build_topology(now)
    effects = {"ddb-adoptions": Effect(latency_ms=190, availability_loss=2.6)}

    def shape(ts: datetime) -> float:
        return ramp(ts, t0, None, timedelta(minutes=10))

    blips = {"sqs-adoptions": (t0 - timedelta(minutes=95), 6.0), "petfood": (t0 - timedelta(minutes=40), 2.5)}
    change = change_event(
        topo,
        "ddb-adoptions",
        t0 - timedelta(minutes=3),
        kind="CUSTOM_CONFIGURATION",
        name="UpdateTable ddbpetadoption: ProvisionedThroughput",
        details={
            "event.provider": "AWS Config",
            "config.key": "ProvisionedThroughput.ReadCapacityUnits",
            "config.old_value": "400",
            "config.new_value": "40",
            "event.description": "UpdateTable by role petadoptions-ops",
        },
    )
    events = [
        change_event(
            topo,
            "petsite",
            t0 - timedelta(minutes=27),
            kind="CUSTOM_DEPLOYMENT",
            name="PetSite 3.8.2",
            details={
                "deployment.name": "PetSite",
                "deployment.version": "3.8.2",
                "deployment.previous_version": "3.8.1",
                "event.provider": "AWS CodePipeline",
            },
            duration_s=300,
        ),
        change_event(
            topo,
            "petfood",
            t0 - timedelta(minutes=11),
            kind="CUSTOM_CONFIGURATION",
            name="petfood HPA minReplicas",
            details={
                "config.key": "hpa.minReplicas",
                "config.old_value": "2",
                "config.new_value": "3",
                "event.provider": "ArgoCD",
            },
        ),
        change,
    ]
    start = t0 - HISTORY
    p_start = t0 + timedelta(minutes=5)
    prob = problem(
        topo,
        display_id="P-2505131",
        title="Response time degradation",
        severity="PERFORMANCE",
        start=p_start,
        end=None,
        affected=["petsite"],
        impacted=["apigw-search", "petsite"],
        evidence=[
            ("apigw-search", "Response time", 48.0, 229.0, "MilliSecond"),
            ("petsite", "Response time", 121.0, 236.0, "MilliSecond"),
        ],
    )
    case = case_json(
        case_id="alt-aws-dynamodb-throttle",
        title="Pet search slows after DynamoDB capacity was lowered",
        description=(
            "AWS pet-adoption app, metrics only (5-minute latency, request count, availability per "
            "component). "
            "At 14:07 an operator lowers the provisioned read capacity of the DynamoDB table "
            "ddbpetadoption from 400 to 40 RCU; "
            "from 14:10 reads are throttled and retried, so the table's latency jumps from 6 ms to ~200 ms "
            "and PetSearch, the "
            "PetSearch API Gateway, PetListAdoptions, the status-updater Lambda and PetSite slow down with "
            "it. The problem names "
            "the API Gateway and PetSite. Decoys: a PetSite deployment 27 minutes earlier, a petfood HPA "
            "change, an SQS latency blip "
            "in the baseline."
        ),
        now=now,
        problem="P-2505131",
        root_cause={
            "entity_id": topo.id("ddb-adoptions"),
            "name": ["DynamoDB ddbpetadoption", "ddbpetadoption"],
        },
        category="configuration",
        change_event_id=change["event.id"],
        facts=[
            "the read capacity of DynamoDB ddbpetadoption was lowered from 400 to 40 RCU at 14:07",
            "DynamoDB ddbpetadoption latency rose from about 6 ms to about 200 ms",
            "PetSearch and the PetSearch API Gateway slowed because they wait on the table",
        ],
        tags=["kind:configuration", "signal:latency", "metrics-only", "interval:5m", "culprit:custom-device"],
    )
    return CaseBundle(
        case,
        topo.listing(),
        [prob],
        events=events,
        metrics=metrics(topo, rng, start, now, effects, shape, blips),
    )


def case_b(seed: int | None = None) -> CaseBundle:
    """A Lambda's memory limit was lowered; nothing in Grail records the change."""
    rng = case_rng("alt-aws-lambda-memory", seed)
    t0 = utc("2025-05-20T09:35:00Z")
    now = t0 + timedelta(minutes=45)
    topo = build_topology(now)
    effects = {"statusupdater": Effect(latency_ms=820, availability_loss=11.5)}

    def shape(ts: datetime) -> float:
        return ramp(ts, t0, None, timedelta(0))

    events = [
        change_event(
            topo,
            "payforadoption",
            t0 - timedelta(minutes=14),
            kind="CUSTOM_DEPLOYMENT",
            name="PayForAdoption 1.14.0",
            details={
                "deployment.name": "PayForAdoption",
                "deployment.version": "1.14.0",
                "deployment.previous_version": "1.13.4",
                "event.provider": "AWS CodePipeline",
            },
            duration_s=240,
        ),
        change_event(
            topo,
            "ddb-food",
            t0 - timedelta(minutes=50),
            kind="CUSTOM_CONFIGURATION",
            name="UpdateTable petfood-catalog: TTL",
            details={
                "config.key": "TimeToLiveSpecification.Enabled",
                "config.old_value": "false",
                "config.new_value": "true",
                "event.provider": "AWS Config",
            },
        ),
    ]
    start = t0 - HISTORY
    p_start = t0 + timedelta(minutes=5)
    prob = problem(
        topo,
        display_id="P-2505207",
        title="Multiple service problems",
        severity="ERROR",
        start=p_start,
        end=None,
        affected=["payforadoption", "apigw-status"],
        impacted=["payforadoption", "petsite"],
        evidence=[
            ("payforadoption", "Failure rate", 0.1, 11.9, "Percent"),
            ("apigw-status", "5XX error rate", 0.05, 11.6, "Percent"),
            ("payforadoption", "Response time", 96.0, 905.0, "MilliSecond"),
        ],
        root_cause="payforadoption",
    )
    case = case_json(
        case_id="alt-aws-lambda-memory",
        title="Adoption payments fail after the status-updater Lambda's memory was cut",
        description=(
            "AWS pet-adoption app, metrics only at 5-minute resolution. At 09:35 the memory setting of the "
            "petstatusupdater Lambda "
            "is lowered from 512 MB to 128 MB (outside any pipeline: no change event reaches Dynatrace). "
            "With less memory it gets a "
            "slice of the CPU: invocations take ~0.9 s instead of 0.12 s and about 12% time out or run out "
            "of memory. Its API Gateway and "
            "PayForAdoption (which calls it on every adoption) show the same latency and availability "
            "drop; Davis names "
            "PayForAdoption, which was also deployed 14 minutes before (decoy). Category: the cause is a "
            "configuration change "
            "(the memory limit), not resource exhaustion by growth, so configuration although no event "
            "records it."
        ),
        now=now,
        problem="P-2505207",
        root_cause={
            "entity_id": topo.id("statusupdater"),
            "name": ["petstatusupdater (Lambda)", "petstatusupdater"],
        },
        category="configuration",
        change_event_id=None,
        facts=[
            "petstatusupdater latency rose from ~115 ms to ~900 ms at 09:35 and its availability fell to "
            "~88%",
            "PayForAdoption's errors come from its calls to the status-updater API",
            "the PayForAdoption deployment at 09:21 is not the cause",
        ],
        tags=[
            "kind:configuration",
            "signal:latency",
            "signal:availability",
            "metrics-only",
            "interval:5m",
            "no-change-event",
            "davis:symptom",
        ],
    )
    return CaseBundle(
        case, topo.listing(), [prob], events=events, metrics=metrics(topo, rng, start, now, effects, shape)
    )


def case_c(seed: int | None = None) -> CaseBundle:
    """A mid-tier service starts failing on its own; its downstream stays healthy."""
    rng = case_rng("alt-aws-listadoptions-errors", seed)
    t0 = utc("2025-06-02T18:50:00Z")
    end = t0 + timedelta(minutes=35)
    now = t0 + timedelta(minutes=60)
    topo = build_topology(now)
    effects = {"petlistadoptions": Effect(latency_ms=-25, availability_loss=28.0)}

    def shape(ts: datetime) -> float:
        return ramp(ts, t0, end, timedelta(minutes=5))

    blips = {"petfood": (t0 + timedelta(minutes=10), 3.0), "stepfn": (t0 - timedelta(minutes=70), 4.0)}
    events = [
        change_event(
            topo,
            "aurora",
            t0 - timedelta(minutes=6),
            kind="CUSTOM_CONFIGURATION",
            name="ModifyDBClusterParameterGroup petadoptions-aurora",
            details={
                "config.key": "log_min_duration_statement",
                "config.old_value": "1000",
                "config.new_value": "500",
                "event.provider": "AWS Config",
            },
        ),
        change_event(
            topo,
            "petfood-lambda",
            t0 + timedelta(minutes=2),
            kind="CUSTOM_DEPLOYMENT",
            name="petfood-catalog v57",
            details={
                "deployment.name": "petfood-catalog",
                "deployment.version": "57",
                "deployment.previous_version": "56",
                "event.provider": "AWS SAM",
            },
            duration_s=60,
        ),
    ]
    start = t0 - HISTORY
    p_start = t0 + timedelta(minutes=5)
    prob = problem(
        topo,
        display_id="P-2506021",
        title="Availability drop",
        severity="AVAILABILITY",
        start=p_start,
        end=end,
        affected=["petsite"],
        impacted=["petsite", "alb"],
        evidence=[("petsite", "Availability", 99.9, 94.3, "Percent")],
        root_cause="petsite",
    )
    case = case_json(
        case_id="alt-aws-listadoptions-errors",
        title="PetListAdoptions fails a third of its requests",
        description=(
            "AWS pet-adoption app, metrics only at 5-minute resolution. From 18:50 to 19:25 "
            "PetListAdoptions (ECS) fails about 28% "
            "of its requests (an injected fault in the service itself, no change event); it answers faster "
            "because failures are "
            "quick. PetSite, which calls it for a fifth of its page views, loses ~6 points of "
            "availability; Davis names PetSite. "
            "Its downstreams (Aurora, the PetSearch API) stay healthy; a decoy parameter-group change on "
            "Aurora 6 minutes before, "
            "a petfood-catalog Lambda deployment and a petfood latency blip during the incident."
        ),
        now=now,
        problem="P-2506021",
        root_cause={"entity_id": topo.id("petlistadoptions"), "name": "PetListAdoptions"},
        category="code",
        change_event_id=None,
        facts=[
            "PetListAdoptions availability fell from 99.95% to about 72% between 18:50 and 19:25",
            "Aurora and the PetSearch API it calls stayed healthy",
            "PetSite's availability drop is a symptom of PetListAdoptions",
        ],
        tags=["kind:code", "signal:availability", "metrics-only", "interval:5m", "davis:symptom"],
    )
    return CaseBundle(
        case,
        topo.listing(),
        [prob],
        events=events,
        metrics=metrics(topo, rng, start, now, effects, shape, blips),
    )
