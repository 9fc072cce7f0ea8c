"""Problems API v2 records and the classic custom-integration notifications about them.

Davis's view is reproduced with its habits: the affected entities are those its events
fired on, evidence carries before/after values taken from the same fault model, change
events on affected entities appear as evidence, and ``rootCauseEntity`` is whatever the
scenario says Davis picked — the culprit, a symptom, or nothing at all.
"""

from __future__ import annotations

from typing import Any

from evals.generators.base.clock import NS_PER_MIN, NS_PER_MS
from evals.generators.base.dynamics import Dynamics
from evals.generators.base.events import event_id
from evals.generators.base.model import OldProblem, ProblemSpec
from evals.generators.base.rng import CaseRandom
from evals.generators.base.tenant import Tenant

WEBHOOK_IMPACT = {
    "SERVICES": "SERVICE",
    "APPLICATION": "APPLICATION",
    "INFRASTRUCTURE": "INFRASTRUCTURE",
    "ENVIRONMENT": "ENVIRONMENT",
}


def problem_id(rng: CaseRandom, start_ms: int) -> str:
    sign = "-" if rng.random() < 0.6 else ""
    return f"{sign}{rng.digits(19)}_{start_ms}V2"


class ProblemWriter:
    """Renders problems with evidence and impact analysis, and their notifications."""

    def __init__(
        self, tenant: Tenant, dyn: Dynamics, rng: CaseRandom, start_ns: int, now_ns: int, env_url: str
    ) -> None:
        self.tenant = tenant
        self.dyn = dyn
        self.rng = rng
        self.start_ns = start_ns
        self.now_ns = now_ns
        self.env_url = env_url.rstrip("/")

    def _ms(self, rel_min: float) -> int:
        return (self.start_ns + int(rel_min * NS_PER_MIN)) // NS_PER_MS

    def _avg(self, fn: str, key: str, a: int, b: int) -> float:
        vals = []
        for m in range(a, b):
            v = self.dyn.minute(m)
            if fn == "latency":
                lat = v.service_latency(key)
                if lat is not None:
                    vals.append(lat * 1000.0)
            else:
                count = v.service_count(key)
                if count > 0:
                    vals.append(100.0 * v.service_failures(key) / count)
        return round(sum(vals) / len(vals), 2) if vals else 0.0

    def _host_cpu(self, key: str, rel: float) -> float:
        return round(min(100.0, self.tenant.hosts[key].cpu + self.dyn.host_deltas(key, rel)["cpu"]), 1)

    def main(
        self, spec: ProblemSpec, davis: list[dict[str, Any]], changes: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """The problem as ``GET /api/v2/problems/{id}?fields=evidenceDetails,impactAnalysis`` returns it."""
        t = self.tenant
        start_ms = self._ms(spec.start)
        end_ms = (
            -1 if spec.end is None or self._ms(spec.end) > self.now_ns // NS_PER_MS else self._ms(spec.end)
        )
        affected: list[str] = []
        for ev in spec.events:
            if ev.target not in affected:
                affected.append(ev.target)
        details: list[dict[str, Any]] = []
        for ev, rec in zip(spec.events, davis, strict=True):
            details.append(
                {
                    "evidenceType": "EVENT",
                    "displayName": ev.name,
                    "entity": t.stub(ev.target),
                    "groupingEntity": t.stub(ev.target),
                    "rootCauseRelevant": ev.root_cause_relevant,
                    "startTime": self._ms(ev.at),
                    "endTime": -1 if rec["event.end"] is None else self._ms(ev.end or spec.start),
                    "eventId": rec["event.id"],
                    "eventType": ev.classic_type,
                }
            )
            before_a, before_b = int(spec.start) - 20, int(spec.start) - 2
            after_a, after_b = int(ev.at) + 1, int(ev.at) + 9
            if ev.target in t.services and ev.event_type == "ERROR_EVENT":
                details.append(
                    {
                        "evidenceType": "TRANSACTIONAL",
                        "displayName": "Failure rate",
                        "entity": t.stub(ev.target),
                        "groupingEntity": t.stub(ev.target),
                        "rootCauseRelevant": ev.root_cause_relevant,
                        "startTime": self._ms(ev.at),
                        "endTime": end_ms,
                        "unit": "Percent",
                        "valueBeforeChangePoint": self._avg("failure", ev.target, before_a, before_b),
                        "valueAfterChangePoint": self._avg("failure", ev.target, after_a, after_b),
                    }
                )
            elif ev.target in t.services and ev.event_type == "PERFORMANCE_EVENT":
                details.append(
                    {
                        "evidenceType": "TRANSACTIONAL",
                        "displayName": "Response time",
                        "entity": t.stub(ev.target),
                        "groupingEntity": t.stub(ev.target),
                        "rootCauseRelevant": ev.root_cause_relevant,
                        "startTime": self._ms(ev.at),
                        "endTime": end_ms,
                        "unit": "MicroSecond",
                        "valueBeforeChangePoint": self._avg("latency", ev.target, before_a, before_b),
                        "valueAfterChangePoint": self._avg("latency", ev.target, after_a, after_b),
                    }
                )
        for key in spec.metric_evidence:
            if key in t.hosts:
                details.append(
                    {
                        "evidenceType": "METRIC",
                        "displayName": "CPU usage",
                        "entity": t.stub(key),
                        "rootCauseRelevant": False,
                        "startTime": start_ms,
                        "endTime": end_ms,
                        "metricId": "builtin:host.cpu.usage",
                        "unit": "Percent",
                        "valueBeforeChangePoint": self._host_cpu(key, spec.start - 10),
                        "valueAfterChangePoint": self._host_cpu(key, spec.start + 5),
                    }
                )
            else:
                details.append(
                    {
                        "evidenceType": "METRIC",
                        "displayName": "Response time",
                        "entity": t.stub(key),
                        "rootCauseRelevant": False,
                        "startTime": start_ms,
                        "endTime": end_ms,
                        "metricId": "builtin:service.response.time",
                        "unit": "MicroSecond",
                        "valueBeforeChangePoint": self._avg(
                            "latency", key, int(spec.start) - 20, int(spec.start) - 2
                        ),
                        "valueAfterChangePoint": self._avg(
                            "latency", key, int(spec.start) + 1, int(spec.start) + 9
                        ),
                    }
                )
        for change_key in spec.evidence_changes:
            rec = changes[change_key]
            target = next(
                k for k in [*t.services, *t.hosts, *t.process_groups] if t.id_of(k) == rec["dt.source_entity"]
            )
            props = {
                k: v for k, v in rec.items() if k.startswith(("deployment.", "config.")) and v is not None
            }
            details.append(
                {
                    "evidenceType": "EVENT",
                    "displayName": rec["event.name"],
                    "entity": t.stub(target),
                    "rootCauseRelevant": False,
                    "startTime": int(rec["event.id"].rsplit("_", 1)[1]),
                    "endTime": int(rec["event.id"].rsplit("_", 1)[1]) + self.rng.randint(20_000, 170_000),
                    "eventId": rec["event.id"],
                    "eventType": rec["event.type"],
                    "data": {
                        "eventType": rec["event.type"],
                        "title": rec["event.name"],
                        "entityId": t.stub(target)["entityId"],
                        "properties": [{"key": k, "value": str(v)} for k, v in props.items()],
                    },
                }
            )
        impacts: list[dict[str, Any]] = []
        for key in spec.impacted:
            if key in t.applications:
                users = max(
                    1,
                    int(
                        sum(e.per_minute for e in t.applications[key].entries)
                        * 0.9
                        * self.rng.uniform(0.6, 1.4)
                    ),
                )
                impacts.append(
                    {
                        "impactType": "APPLICATION",
                        "impactedEntity": t.stub(key),
                        "estimatedAffectedUsers": users,
                    }
                )
            elif key in t.services:
                calls = int(
                    sum(
                        self.dyn.minute(m).service_count(key)
                        for m in range(int(spec.start), int(spec.start) + 15)
                    )
                )
                impacts.append(
                    {
                        "impactType": "SERVICE",
                        "impactedEntity": t.stub(key),
                        "estimatedAffectedUsers": 0,
                        "numberOfPotentiallyAffectedServiceCalls": calls,
                    }
                )
        tags: list[dict[str, Any]] = []
        seen: set[str] = set()
        for key in [*affected, *spec.impacted]:
            for tag in t.tags_of(key):
                if tag["context"] == "CONTEXTLESS" and tag["stringRepresentation"] not in seen:
                    seen.add(tag["stringRepresentation"])
                    tags.append({k: tag[k] for k in ("context", "key", "value", "stringRepresentation")})
        record: dict[str, Any] = {
            "problemId": problem_id(self.rng, start_ms),
            "displayId": spec.display_id,
            "title": spec.title,
            "impactLevel": spec.impact,
            "severityLevel": spec.severity,
            "status": "OPEN" if end_ms == -1 else "CLOSED",
            "affectedEntities": [t.stub(k) for k in affected],
            "impactedEntities": [t.stub(k) for k in spec.impacted],
            "managementZones": [{"id": t.zone[0], "name": t.zone[1]}],
            "entityTags": tags,
            "problemFilters": [{"id": "c21f969b-5f03-333d-83e0-4f8f136e7682", "name": "Default"}],
            "startTime": start_ms,
            "endTime": end_ms,
            "evidenceDetails": {"totalCount": len(details), "details": details},
            "impactAnalysis": {"impacts": impacts},
            "recentComments": {"comments": [], "totalCount": 0, "pageSize": 10},
        }
        if spec.root_cause is not None:
            record["rootCauseEntity"] = t.stub(spec.root_cause)
        namespaces = sorted(
            {
                t.services[k].namespace or ""
                for k in [*affected, *spec.impacted]
                if k in t.services and t.services[k].namespace
            }
        )
        if namespaces and t.clusters:
            record["k8s.cluster.name"] = [c.name for c in t.clusters.values()]
            record["k8s.namespace.name"] = namespaces
        return record

    def old(self, spec: OldProblem) -> dict[str, Any]:
        t = self.tenant
        start_ms = (
            self.start_ns // NS_PER_MS - int(spec.hours_before * 3_600_000) + self.rng.randint(0, 59_000)
        )
        end_ms = start_ms + int(spec.duration_min * 60_000)
        return {
            "problemId": problem_id(self.rng, start_ms),
            "displayId": spec.display_id,
            "title": spec.title,
            "impactLevel": spec.impact,
            "severityLevel": spec.severity,
            "status": "CLOSED",
            "affectedEntities": [t.stub(spec.target)],
            "impactedEntities": [t.stub(spec.target)],
            "rootCauseEntity": t.stub(spec.target),
            "managementZones": [{"id": t.zone[0], "name": t.zone[1]}],
            "entityTags": [
                {k: tag[k] for k in ("context", "key", "value", "stringRepresentation")}
                for tag in t.tags_of(spec.target)
                if tag["context"] == "CONTEXTLESS"
            ],
            "problemFilters": [{"id": "c21f969b-5f03-333d-83e0-4f8f136e7682", "name": "Default"}],
            "startTime": start_ms,
            "endTime": end_ms,
            "evidenceDetails": {
                "totalCount": 1,
                "details": [
                    {
                        "evidenceType": "EVENT",
                        "displayName": spec.title,
                        "entity": t.stub(spec.target),
                        "groupingEntity": t.stub(spec.target),
                        "rootCauseRelevant": True,
                        "startTime": start_ms,
                        "endTime": end_ms,
                        "eventId": event_id(self.rng, start_ms),
                        "eventType": spec.classic_type,
                    }
                ],
            },
            "impactAnalysis": {"impacts": []},
            "recentComments": {"comments": [], "totalCount": 0, "pageSize": 10},
        }

    def notifications(self, problem: dict[str, Any], severity_map: dict[str, str]) -> list[dict[str, Any]]:
        """OPEN (and RESOLVED when closed) bodies of a classic custom-integration webhook (§8a)."""
        t = self.tenant
        impacted = [
            {"type": s["entityId"]["type"], "name": s["name"], "entity": s["entityId"]["id"]}
            for s in problem["impactedEntities"]
        ]
        names = ", ".join(e["name"] for e in impacted)
        tags = ", ".join(tag["stringRepresentation"] for tag in problem["entityTags"])
        number = problem["displayId"].removeprefix("P-")
        root = problem.get("rootCauseEntity")
        root_line = f"Root cause: {root['name']}" if root else "Root cause: not identified"
        detail_lines = [
            f"Problem {number} in environment {t.zone[1]}",
            f"Problem detected at: {problem['startTime']}",
            f"{len(impacted)} impacted entities",
            root_line,
        ]
        for d in problem["evidenceDetails"]["details"]:
            if d["evidenceType"] == "EVENT":
                detail_lines.append(f"{d['displayName']} on {d['entity']['name']}")
        body: dict[str, Any] = {
            "State": "OPEN",
            "PID": problem["problemId"],
            "ProblemID": number,
            "ProblemTitle": problem["title"],
            "ProblemImpact": WEBHOOK_IMPACT[problem["impactLevel"]],
            "ProblemSeverity": severity_map.get(problem["severityLevel"], problem["severityLevel"]),
            "ProblemURL": f"{self.env_url}/#problems/problemdetail;pid={problem['problemId']}",
            "ImpactedEntities": impacted,
            "ImpactedEntity": impacted[0]["name"]
            if len(impacted) == 1
            else f"{len(impacted)} impacted entities",
            "ImpactedEntityNames": names,
            "Tags": tags,
            "ProblemDetailsText": "\n".join(detail_lines),
            "ProblemStartTime": problem["startTime"],
            "ProblemEndTime": -1,
        }
        out = [body]
        if problem["status"] == "CLOSED":
            out.append(
                {
                    **body,
                    "State": "RESOLVED",
                    "ProblemEndTime": problem["endTime"],
                    "ProblemDetailsText": body["ProblemDetailsText"].replace(
                        f"Problem {number}", f"Problem {number} resolved", 1
                    ),
                }
            )
        return out
