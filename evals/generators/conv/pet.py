"""AWS pet-adoption style cases, as a converter would map them.

The raw dataset has, per component, 5-minute latency, request count and availability,
the call graph, and the change that caused each issue. The converter invents entity ids by
hashing the component names, types AWS resources as custom devices (or everything as a
service), writes the change as a custom event, and builds the problem from the alarm that
fired, mostly at the front door.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evals.generators.conv.common import (
    CaseMeta,
    Tenant,
    entity_stub,
    epoch_ms,
    hashed_id,
    iso,
    link_calls,
    minutes,
    series,
)

# component -> AWS kind (SERVICE kinds run our code, the rest are managed resources)
COMPONENTS: dict[str, str] = {
    "trafficgenerator": "AWS::ECS::Service",
    "PetSite-ALB": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "PetSite": "AWS::EKS::Service",
    "petsearch": "AWS::ECS::Service",
    "payforadoption": "AWS::ECS::Service",
    "petlistadoptions": "AWS::ECS::Service",
    "pethistory": "AWS::EKS::Service",
    "petfood": "AWS::EKS::Service",
    "petfood-metric": "AWS::EKS::Service",
    "PetAdoptionStatusUpdater-API": "AWS::ApiGateway::Stage",
    "statusupdater": "AWS::Lambda::Function",
    "petadoptions-sqs-processor": "AWS::Lambda::Function",
    "petadoptionshistory-cleanup": "AWS::Lambda::Function",
    "ReadDynamoDB": "AWS::Lambda::Function",
    "StepFnStateMachine": "AWS::StepFunctions::StateMachine",
    "ddbpetadoption": "AWS::DynamoDB::Table",
    "ddbpetfood": "AWS::DynamoDB::Table",
    "sqs-pets": "AWS::SQS::Queue",
    "sns-petadoption-topic": "AWS::SNS::Topic",
    "rds-adoptions": "AWS::RDS::DBCluster",
    "rds-pethistory": "AWS::RDS::DBCluster",
    "s3-petadoption-images": "AWS::S3::Bucket",
    "ssm-parameterstore": "AWS::SSM::Parameter",
    "payforadoption-ALB": "AWS::ElasticLoadBalancingV2::LoadBalancer",
}
# caller -> [(callee, share of caller latency spent waiting on it per unit)]
EDGES: dict[str, list[tuple[str, float]]] = {
    "trafficgenerator": [("PetSite-ALB", 1.0)],
    "PetSite-ALB": [("PetSite", 1.0)],
    "PetSite": [
        ("petsearch", 0.9),
        ("payforadoption-ALB", 0.3),
        ("petlistadoptions", 0.4),
        ("pethistory", 0.2),
        ("petfood", 0.2),
        ("ssm-parameterstore", 0.05),
    ],
    "payforadoption-ALB": [("payforadoption", 1.0)],
    "petsearch": [("ddbpetadoption", 1.5), ("s3-petadoption-images", 0.6), ("ssm-parameterstore", 0.1)],
    "payforadoption": [
        ("rds-adoptions", 1.0),
        ("ddbpetadoption", 0.5),
        ("sqs-pets", 0.3),
        ("PetAdoptionStatusUpdater-API", 0.6),
    ],
    "petlistadoptions": [("rds-adoptions", 1.0), ("petsearch", 0.5)],
    "pethistory": [("rds-pethistory", 1.0)],
    "petfood": [("ddbpetfood", 1.0), ("petfood-metric", 0.3)],
    "PetAdoptionStatusUpdater-API": [("statusupdater", 1.0)],
    "statusupdater": [("ddbpetadoption", 1.0)],
    "sqs-pets": [("petadoptions-sqs-processor", 0.0)],
    "petadoptions-sqs-processor": [("sns-petadoption-topic", 0.5)],
    "StepFnStateMachine": [("ReadDynamoDB", 1.0), ("petadoptionshistory-cleanup", 1.0)],
    "ReadDynamoDB": [("ddbpetadoption", 1.0)],
    "petadoptionshistory-cleanup": [("pethistory", 0.5)],
}


def ancestors(target: str) -> set[str]:
    found: set[str] = set()
    frontier = [target]
    while frontier:
        node = frontier.pop()
        for caller, callees in EDGES.items():
            if any(c == node for c, _ in callees) and caller not in found:
                found.add(caller)
                frontier.append(caller)
    return found


@dataclass(frozen=True)
class Decoy:
    component: str
    kind: str  # CUSTOM_DEPLOYMENT | CUSTOM_CONFIGURATION
    offset_min: float  # relative to the fault start; negative = before


@dataclass(frozen=True)
class PetSpec:
    """One case and the converter choices used for it."""

    case_id: str
    culprit: str
    change: str  # CUSTOM_DEPLOYMENT | CUSTOM_CONFIGURATION
    category: str
    effect: str  # latency | errors | throttle
    now: datetime
    change_lead_min: float = 5.0  # change happens this long before the symptoms
    types: str = "custom"  # custom (AWS resources CUSTOM_DEVICE) | service | all_custom
    rel_style: str = "from"
    dims: str = "entity"  # entity | name
    keys: tuple[str, str, str] = ("latency", "requests", "availability")
    event_key: str = "dt.entity.service"  # or dt.source_entity
    alert_on: tuple[str, ...] = ("PetSite",)
    impacted_extra: tuple[str, ...] = ()
    status: str = "OPEN"
    decoys: tuple[Decoy, ...] = ()
    noise: str = "petfood"
    strength: float = 1.0
    description: str = ""


def _etype(spec: PetSpec, comp: str) -> str:
    if spec.types == "service":
        return "SERVICE"
    if spec.types == "all_custom":
        return "CUSTOM_DEVICE"
    kind = COMPONENTS[comp]
    return "SERVICE" if kind.endswith(("::Service", "::Function")) else "CUSTOM_DEVICE"


def build(spec: PetSpec, seed: int) -> tuple[CaseMeta, Tenant]:
    rng = random.Random(f"{seed}:{spec.case_id}")
    names = sorted(COMPONENTS)
    ents: dict[str, dict[str, Any]] = {}
    for comp in names:
        etype = _etype(spec, comp)
        ents[comp] = {
            "entityId": hashed_id(etype, comp, spec.case_id[-4:]),
            "type": etype,
            "displayName": comp,
            "properties": {"awsResourceType": COMPONENTS[comp]},
        }
    edges = [(a, c) for a, cs in EDGES.items() for c, _ in cs]
    link_calls(ents, edges, spec.rel_style)
    tenant = Tenant(entities=[ents[c] for c in names])

    n = 72
    start = spec.now - minutes(5 * n)
    fault_i = n - 9  # symptoms from 45 minutes before now
    t_fault = start + minutes(5 * fault_i)
    end_i = n - 1 if spec.status == "CLOSED" else n
    _metrics(spec, rng, tenant, ents, start, n, fault_i, end_i)

    # the change that caused it, and decoys
    def event(comp: str, kind: str, when: datetime, text: str) -> dict[str, Any]:
        ent = ents[comp]
        key = spec.event_key
        if key == "dt.entity.service" and ent["type"] != "SERVICE":
            key = "dt.entity.custom_device"
        eid = f"{rng.randrange(10**18, 10**19)}_{epoch_ms(when)}"
        verb = "deployment" if kind == "CUSTOM_DEPLOYMENT" else "configuration change"
        rec: dict[str, Any] = {
            "timestamp": iso(when),
            "event.id": eid,
            "event.type": kind,
            "event.name": f"{verb} of {comp}",
            "event.kind": "DAVIS_EVENT",
            "event.start": iso(when),
            "event.description": text,
            key: ent["entityId"],
        }
        if kind == "CUSTOM_DEPLOYMENT":
            rec["deployment.version"] = f"v{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        else:
            rec["config.name"] = text.split(":")[0]
        return rec

    change_at = t_fault - minutes(spec.change_lead_min)
    change_text = {
        "latency": "timeout/retry settings changed",
        "errors": "new image rolled out",
        "throttle": "provisioned capacity: read capacity units lowered",
    }[spec.effect]
    cause = event(spec.culprit, spec.change, change_at, change_text)
    tenant.events.append(cause)
    for d in spec.decoys:
        tenant.events.append(
            event(
                d.component,
                d.kind,
                t_fault + minutes(d.offset_min),
                "routine change: feature flag / image bump",
            )
        )
    tenant.events.sort(key=lambda r: r["timestamp"])

    pstart = t_fault + minutes(rng.choice([5, 10]))
    pend = spec.now - minutes(2)
    affected = [entity_stub(ents[c]) for c in spec.alert_on]
    display = f"P-{spec.now:%y%m%d}{rng.randint(1, 9)}"
    perf = spec.effect == "latency"
    tenant.problems.append(
        {
            "problemId": f"-{rng.randrange(10**17, 10**18)}_{epoch_ms(pstart)}V2",
            "displayId": display,
            "title": "Response time degradation" if perf else "Availability alarm",
            "status": spec.status,
            "severityLevel": "PERFORMANCE" if perf else "AVAILABILITY",
            "impactLevel": "APPLICATION" if "PetSite" in spec.alert_on else "SERVICES",
            "startTime": epoch_ms(pstart),
            "endTime": epoch_ms(pend) if spec.status == "CLOSED" else -1,
            "affectedEntities": affected,
            "impactedEntities": affected + [entity_stub(ents[c]) for c in spec.impacted_extra],
        }
    )
    meta = CaseMeta(
        case_id=spec.case_id,
        title=f"{spec.change.split('_')[1].lower()} of {spec.culprit} degrades pet adoptions",
        description=spec.description
        or f"{spec.culprit}: {change_text} at {change_at:%H:%M} UTC; alarm fired on "
        f"{', '.join(spec.alert_on)}.",
        now=spec.now,
        problem=display,
        root_id=ents[spec.culprit]["entityId"],
        root_name=spec.culprit,
        category=spec.category,
        change_event_id=cause["event.id"],
        facts=[f"{spec.culprit} changed at {change_at:%H:%M} UTC ({change_text})"],
        tags=[f"effect:{spec.effect}", "dataset:pet-adoption-like", f"types:{spec.types}"],
        dataset="AWS pet-adoption RCA issues (converted stand-in)",
    )
    return meta, tenant


class _Graph:
    """Per-component latency and availability from the call graph, faulty or not."""

    def __init__(self, spec: PetSpec, own: dict[str, float]) -> None:
        self.spec = spec
        self.own_ms = own

    def latency(self, comp: str, bad: bool) -> float:
        own = self.own_ms[comp]
        s, k = self.spec, self.spec.strength
        if bad and comp == s.culprit:
            if s.effect == "latency":
                own = own * (1.0 + 2.2 * k) + 60.0 * k
            elif s.effect == "errors":
                own *= 1.15
            else:  # throttled requests are rejected fast
                own *= 1.1
        total = own
        for callee, share in EDGES.get(comp, []):
            child = self.latency(callee, bad)
            if bad and s.effect == "throttle" and callee == s.culprit:
                child *= 1.0 + 6.0 * k  # SDK retries with backoff live in the caller
            total += share * child
        return total

    def availability(self, comp: str, bad: bool) -> float:
        s, k = self.spec, self.spec.strength
        a = 1.0
        if bad and comp == s.culprit and s.effect == "errors":
            a = 1.0 - 0.22 * k
        if bad and comp == s.culprit and s.effect == "throttle":
            a = 1.0 - 0.015 * k  # the table itself reports few failures
        for callee, share in EDGES.get(comp, []):
            child = self.availability(callee, bad)
            if bad and s.effect == "throttle" and callee == s.culprit:
                child = 1.0 - 0.18 * k
            a *= 1.0 - min(1.0, share) * (1.0 - child)
        return a


def _metrics(
    spec: PetSpec,
    rng: random.Random,
    tenant: Tenant,
    ents: dict[str, dict[str, Any]],
    start: datetime,
    n: int,
    fault_i: int,
    end_i: int,
) -> None:
    own = {c: rng.uniform(4.0, 40.0) for c in COMPONENTS}
    graph = _Graph(spec, own)
    lat_key, req_key, avail_key = spec.keys
    for comp in sorted(COMPONENTS):
        ent = ents[comp]
        dims = {"dt.entity.service": ent["entityId"]} if spec.dims == "entity" else {"name": comp}
        ok_l, bad_l = graph.latency(comp, False), graph.latency(comp, True)
        ok_a, bad_a = graph.availability(comp, False), graph.availability(comp, True)
        base_r = rng.uniform(50, 1200)
        lat, req, avail, thr = [], [], [], []
        for i in range(n):
            bad = fault_i <= i < end_i
            diurnal = 1.0 + 0.25 * math.sin(2 * math.pi * (i / 288.0) + rng.random() * 0.05)
            lv = (bad_l if bad else ok_l) * (1.0 + rng.gauss(0, 0.07)) * (0.9 + 0.1 * diurnal)
            av = min(1.0, (bad_a if bad else ok_a) + rng.gauss(0, 0.002) - 0.001)
            rv = base_r * diurnal * (1.0 + rng.gauss(0, 0.05))
            if comp == spec.noise and n - 20 <= i < n - 12:  # innocent: a cache warm-up
                lv *= 2.6
                av -= 0.03
            if comp == "trafficgenerator":
                rv *= 1.0
            lat.append(lv)
            avail.append(max(0.0, av) * 100.0)
            req.append(rv)
            thr.append(
                rv * rng.uniform(0.12, 0.2)
                if bad and comp == spec.culprit and spec.effect == "throttle"
                else 0.0
            )
        tenant.metrics.append(series(lat_key, dims, start, "5m", lat) | {"unit": "MilliSecond"})
        tenant.metrics.append(series(req_key, dims, start, "5m", req) | {"unit": "Count"})
        tenant.metrics.append(series(avail_key, dims, start, "5m", avail) | {"unit": "Percent"})
        kind = COMPONENTS[comp]
        if kind == "AWS::DynamoDB::Table":
            tenant.metrics.append(series("aws.dynamodb.throttled_requests", dims, start, "5m", thr))
        if kind == "AWS::Lambda::Function":
            tenant.metrics.append(
                series("aws.lambda.duration", dims, start, "5m", [v * 0.8 for v in lat])
                | {"unit": "MilliSecond"}
            )
