"""One PetShop issue as an incident case: entities, metrics, the problem, change events, the truth.

The pieces come from the sibling modules (files, topology, series, problem, changes); this
module only assembles them into ``case.json`` and the tenant tables, on the case's clock
(real issue times plus :attr:`Timeline.offset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dynatrace_agent.importers.common import iso, stable_int
from dynatrace_agent.importers.petshop_changes import Change
from dynatrace_agent.importers.petshop_files import Graph, MetricTable, Target
from dynatrace_agent.importers.petshop_problem import Detection, NoAlert, detect
from dynatrace_agent.importers.petshop_series import Timeline, build_series, column_values, make_timeline
from dynatrace_agent.importers.petshop_topology import (
    SERVICE,
    base_name,
    build_entities,
    forms_of,
    link_forms,
    node_id,
    split_name,
)

__all__ = ["Issue", "NoAlert", "Scenario", "build_case"]

_REFERENCE = "https://github.com/amazon-science/petshop-root-cause-analysis"


@dataclass
class Issue:
    """One labelled issue folder (``<scenario>/<split>/issue_<n>``)."""

    scenario: str
    split: str
    number: int
    folder: Path
    target: Target
    change: Change

    @property
    def case_id(self) -> str:
        """The case folder name: scenario, split and issue number."""
        return f"petshop-{self.scenario}-{self.split}-{self.number}"

    def event_id(self, offset: float) -> str:
        """The change event's id (Davis style ``<number>_<epoch ms>``) on a case clock."""
        when = int((self.target.timestamp + offset) * 1000)
        return f"{stable_int('petshop', self.scenario, self.split, str(self.number), 'change')}_{when}"


@dataclass
class Scenario:
    """A scenario folder: its call graph, its fault-free window (if present) and all its issues."""

    name: str
    folder: Path
    graph: Graph
    baseline: MetricTable | None
    issues: list[Issue] = field(default_factory=list)


def _stub(node: str) -> dict[str, Any]:
    return {"entityId": {"id": node_id(node), "type": SERVICE}, "name": node}


def _event(issue: Issue, offset: float) -> dict[str, Any]:
    change = issue.change
    when = iso(issue.target.timestamp + offset)
    source = node_id(issue.target.root_cause)
    record: dict[str, Any] = {
        "timestamp": when,
        "event.id": issue.event_id(offset),
        "event.kind": "DAVIS_EVENT",
        "event.type": change.event_type,
        "event.name": change.name,
        "event.description": change.description,
        "event.status": "CLOSED",
        "event.start": when,
        "event.end": when,
        "dt.source_entity": source,
        "dt.entity.service": source,
        "affected_entity_ids": [source],
    }
    record.update(change.details)
    return record


def _events(scenario: Scenario, issue: Issue, timeline: Timeline) -> list[dict[str, Any]]:
    """This issue's change plus every other change of the scenario that falls inside the case."""
    rows = []
    for other in scenario.issues:
        if not other.change.has_event:
            continue
        when = other.target.timestamp + timeline.offset
        if other is issue or timeline.start <= when <= timeline.end:
            rows.append(_event(other, timeline.offset))
    rows.sort(key=lambda r: (r["timestamp"], r["event.id"]))
    return rows


def _problem(issue: Issue, timeline: Timeline, found: Detection) -> dict[str, Any]:
    target = issue.target
    start = timeline.bucket_end(found.first_bucket)
    end = -1 if found.last_bucket is None else int(timeline.bucket_end(found.last_bucket + 1) * 1000)
    start_ms = int(start * 1000)
    latency = target.metric == "latency"
    title = "Response time degradation" if latency else "Failure rate increase"
    unit = "MicroSecond" if latency else "Percent"
    scale = 1_000_000.0 if latency else 1.0
    stub = _stub(target.node)
    return {
        "problemId": f"-{stable_int('petshop', issue.case_id, 'problem', digits=18)}_{start_ms}V2",
        "displayId": f"P-{stable_int('petshop', issue.case_id, 'display', digits=7):07d}",
        "title": title,
        "impactLevel": "SERVICES",
        "severityLevel": "PERFORMANCE" if latency else "ERROR",
        "status": "OPEN" if end == -1 else "CLOSED",
        "startTime": start_ms,
        "endTime": end,
        "affectedEntities": [stub],
        "impactedEntities": [stub],
        "managementZones": [],
        "entityTags": [],
        "evidenceDetails": {
            "totalCount": 2,
            "details": [
                {
                    "evidenceType": "EVENT",
                    "displayName": title,
                    "entity": stub,
                    "groupingEntity": stub,
                    "rootCauseRelevant": True,
                    "startTime": start_ms,
                    "endTime": end,
                    "eventId": f"{stable_int('petshop', issue.case_id, 'davis')}_{start_ms}",
                    "eventType": "SERVICE_SLOWDOWN" if latency else "SERVICE_ERROR_RATE_INCREASED",
                },
                {
                    "evidenceType": "TRANSACTIONAL",
                    "displayName": "Response time" if latency else "Availability",
                    "entity": stub,
                    "rootCauseRelevant": True,
                    "startTime": start_ms,
                    "endTime": end,
                    "unit": unit,
                    "valueBeforeChangePoint": round(found.baseline_mean * scale, 3),
                    "valueAfterChangePoint": round(found.peak * scale, 3),
                },
            ],
        },
        "impactAnalysis": {"impacts": [{"impactType": "SERVICE", "impactedEntity": stub}]},
    }


def _hhmm(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%H:%M UTC")


def build_case(
    scenario: Scenario,
    issue: Issue,
    table: MetricTable,
    *,
    match_levels: bool = False,
    without_changes: bool = False,
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """``case.json`` and the tenant tables for one issue; raises :class:`NoAlert` when nothing alerts.

    ``without_changes`` leaves every change event out (an ablation): the case then asks what the
    metrics and the call graph alone say, as for a fault no change event records (extra load, a
    change made outside the deployment pipeline).
    """
    target = issue.target
    timeline = make_timeline(table, scenario.baseline, target.timestamp, match_levels=match_levels)
    injection = target.timestamp + timeline.offset
    first_candidate = timeline.pre_change
    watched = column_values(timeline, table, scenario.baseline, target.node, target.metric, "Average")
    found = detect(target.metric, watched, timeline.baseline_buckets, first_candidate)

    extra_nodes = [o.target.root_cause for o in scenario.issues] + [o.target.node for o in scenario.issues]
    nodes = list(dict.fromkeys([*scenario.graph.nodes, *table.nodes(), *extra_nodes]))
    if scenario.baseline is not None:
        nodes = list(dict.fromkeys([*nodes, *scenario.baseline.nodes()]))
    calls = link_forms(scenario.graph, nodes)
    now = timeline.end
    entities = build_entities(
        nodes, calls, first_seen_ms=int(timeline.start * 1000), last_seen_ms=int(now * 1000)
    )
    problem = _problem(issue, timeline, found)
    events = [] if without_changes else _events(scenario, issue, timeline)
    change = issue.change

    root = target.root_cause
    names = [n for n in forms_of(root, nodes) if split_name(n)[1] != "client"]
    if base_name(root) not in names:
        names.append(base_name(root))
    problem_start = problem["startTime"] / 1000
    unit = "ms" if target.metric == "latency" else "%"
    scale = 1000.0 if target.metric == "latency" else 1.0
    facts = []
    if change.has_event and not without_changes:
        facts.append(f"{change.name} on {root} at {_hhmm(injection)}")
    elif change.kind == "traffic":
        facts.append(
            f"extra load ({change.name}) hit {root} from about {_hhmm(injection)}; nothing was changed"
        )
    facts.append(
        f"{target.node} {target.metric} went from about {found.baseline_mean * scale:.4g} {unit} "
        f"to {found.peak * scale:.4g} {unit} (alert at {_hhmm(problem_start)})"
    )
    baseline_note = (
        f"the last {timeline.baseline_buckets} buckets of {scenario.name}/noissue/metrics.csv, shifted by "
        f"{timeline.baseline_shift or 0:+.0f} s so they end where the issue window starts"
        + (
            "; latency and request series scaled so their mean matches the issue's buckets before the change"
            if match_levels
            else "; values as recorded"
        )
        if timeline.baseline_buckets
        else f"none ({scenario.name}/noissue/metrics.csv is missing or on another interval); the threshold "
        "comes from the issue's buckets before the change"
    )
    meta: dict[str, Any] = {
        "id": issue.case_id,
        "title": f"PetShop {scenario.name} {issue.split} issue {issue.number}: {target.node} {target.metric}",
        "description": (
            f"PetShop (AWS pet-adoption app), scenario {scenario.name}, {issue.split} issue {issue.number}. "
            f"Cause: {change.description} on {root}. Davis alerts on {target.node} ({target.metric}) "
            f"at {_hhmm(problem_start)}; it names no root cause."
        ),
        "now": iso(now),
        "problem": problem["displayId"],
        "expected": {
            "root_cause": {"entity_id": node_id(root), "name": names},
            "category": change.category,
            "change_event_id": (
                issue.event_id(timeline.offset) if change.has_event and not without_changes else None
            ),
            "facts": facts,
        },
        "tags": [
            "source:petshop",
            f"cause:{change.kind}",
            f"scenario:{scenario.name}",
            f"split:{issue.split}",
            f"metric:{target.metric}",
            *(["ablation:no-change-events"] if without_changes else []),
        ],
        "source": {
            "dataset": "petshop",
            "licence": "CC-BY-4.0 (PetShop dataset)",
            "reference": _REFERENCE,
            "path": f"dataset/{scenario.name}/{issue.split}/issue_{issue.number}",
            "clock": f"real issue times moved by {timeline.offset:+.0f} s to align 5-minute buckets",
            "injection_time": (
                f"target.json target.timestamp ({iso(target.timestamp)} real, "
                f"{iso(injection)} on the case clock)"
            ),
            "baseline": baseline_note,
            "alert_rule": (
                "problem starts at the end of the first bucket ending after the change whose "
                f"{target.metric} "
                f"crosses {found.threshold:.4g} (from the {found.baseline_source} baseline)"
            ),
            "metrics": "latency Average (s) -> response_time (µs); requests Sum -> count; "
            "availability -> failure_count = requests x (1 - availability/100)",
        },
    }
    tenant: dict[str, list[Any]] = {
        "entities": entities,
        "problems": [problem],
        "events": events,
        "metrics": build_series(timeline, table, scenario.baseline, nodes),
    }
    return meta, tenant
