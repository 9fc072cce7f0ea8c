"""Naive investigators scored beside the graph, so every number has a comparison.

Each baseline reads the case's tenant data directly (what an engineer could get with one
obvious query) and returns a ranked list of entities:

- ``davis``: Davis's own root-cause entity, taken as-is;
- ``most_error_logs``: services ordered by ERROR log lines during the incident;
- ``largest_metric_deviation``: entities ordered by their largest metric shift against the
  baseline window;
- ``latest_change``: entities by their latest change event before the problem start, newest
  first (the on-call reflex "what changed?");
- ``deepest_failing_span``: in every trace with a failure during the incident (a failed span,
  or a span an ERROR log line names), the service of the deepest failing span; services by how
  many traces they end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import Window
from dynatrace_agent.analysis.signals import metric_deviations
from dynatrace_agent.analysis.stats import failure_origins
from dynatrace_agent.case import IncidentCase
from dynatrace_agent.values import parse_timestamp
from graphs.investigation.nodes.trace_evidence import mark_logged_failures

Ranked = list[dict[str, Any]]


def _problem(case: IncidentCase) -> dict[str, Any] | None:
    for problem in case.problems:
        if case.problem in (problem.get("displayId"), problem.get("problemId")):
            return problem
    return None


def _names(case: IncidentCase) -> dict[str, str]:
    return {str(e.get("entityId")): str(e.get("displayName", "")) for e in case.entities}


def _window(case: IncidentCase) -> Window:
    problem = _problem(case) or {}
    start = parse_timestamp(problem.get("startTime")) or case.now - timedelta(minutes=30)
    return Window(
        baseline_start=start - timedelta(minutes=60),
        baseline_end=start,
        incident_start=start,
        incident_end=case.now,
    )


def davis(case: IncidentCase) -> Ranked:
    """Davis's root-cause entity, if the problem names one."""
    root = (_problem(case) or {}).get("rootCauseEntity")
    if not isinstance(root, dict):
        return []
    ref = root.get("entityId")
    entity_id = ref.get("id") if isinstance(ref, dict) else ref
    return [{"entity_id": entity_id, "name": root.get("name"), "score": 1.0}] if entity_id else []


def most_error_logs(case: IncidentCase) -> Ranked:
    """Services by ERROR log lines after the problem started."""
    window = _window(case)
    counts: Counter[str] = Counter()
    for record in case.tables.get("logs", []):
        level = str(record.get("loglevel") or record.get("status") or "").upper()
        if level not in ("ERROR", "SEVERE", "FATAL", "CRITICAL"):
            continue
        when = parse_timestamp(record.get("timestamp"))
        if when is None or not window.incident_start <= when <= window.incident_end:
            continue
        service = record.get("dt.entity.service") or record.get("service.name")
        if service:
            counts[str(service)] += 1
    names = _names(case)
    total = sum(counts.values()) or 1
    return [
        {"entity_id": entity, "name": names.get(entity, entity), "score": round(n / total, 4)}
        for entity, n in counts.most_common()
    ]


def largest_metric_deviation(case: IncidentCase) -> Ranked:
    """Entities by the largest absolute shift of any of their metrics."""
    deviations = metric_deviations(case.metrics, _window(case), source="metrics.jsonl")
    best: dict[str, float] = {}
    for deviation in deviations:
        if deviation.entity_id is None:
            continue
        size = abs(deviation.z_score) if deviation.z_score is not None else 0.0
        best[deviation.entity_id] = max(best.get(deviation.entity_id, 0.0), size)
    names = _names(case)
    ordered = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    return [{"entity_id": e, "name": names.get(e, e), "score": round(s, 3)} for e, s in ordered]


#: Event types that are changes someone made (not problems or availability events).
_CHANGE_TYPES = ("DEPLOYMENT", "CONFIGURATION", "CONFIG", "CHANGE", "RELEASE")


def _event_entities(event: dict[str, Any]) -> list[str]:
    found = [str(v) for k, v in event.items() if k.startswith("dt.entity.") and isinstance(v, str) and v]
    for key in ("dt.source_entity", "affected_entity_ids"):
        value = event.get(key)
        if isinstance(value, str) and value:
            found.append(value)
        elif isinstance(value, list):
            found.extend(str(v) for v in value if isinstance(v, str) and v)
    return list(dict.fromkeys(found))


def latest_change(case: IncidentCase) -> Ranked:
    """Entities by their latest change event before the problem start, newest first."""
    start = _window(case).incident_start
    latest: dict[str, Any] = {}
    for event in case.tables.get("events", []):
        kind = f"{event.get('event.type', '')} {event.get('event.kind', '')}".upper()
        if not any(word in kind for word in _CHANGE_TYPES):
            continue
        when = parse_timestamp(event.get("event.start")) or parse_timestamp(event.get("timestamp"))
        if when is None or when > start:
            continue
        for entity in _event_entities(event):
            if entity not in latest or when > latest[entity]:
                latest[entity] = when
    names = _names(case)
    ordered = sorted(latest.items(), key=lambda item: (item[1], item[0]), reverse=True)
    return [
        {"entity_id": e, "name": names.get(e, e), "score": round(1.0 / (i + 1), 4)}
        for i, (e, _) in enumerate(ordered)
    ]


def deepest_failing_span(case: IncidentCase) -> Ranked:
    """Services by how many failing incident traces their span is the deepest failure of."""
    window = _window(case)
    logged = {
        str(r["span_id"])
        for r in case.tables.get("logs", [])
        if r.get("span_id") and str(r.get("loglevel") or r.get("status") or "").upper() in ("ERROR", "FATAL")
    }
    spans = []
    for span in case.tables.get("spans", []):
        when = parse_timestamp(span.get("start_time"))
        if when is None or not window.incident_start <= when <= window.incident_end:
            continue
        spans.append(span)
    counts = failure_origins(mark_logged_failures(spans, logged))
    names = _names(case)
    total = sum(counts.values()) or 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"entity_id": e, "name": names.get(e, e), "score": round(n / total, 4)} for e, n in ordered]


BASELINES: dict[str, Callable[[IncidentCase], Ranked]] = {
    "davis": davis,
    "most_error_logs": most_error_logs,
    "largest_metric_deviation": largest_metric_deviation,
    "latest_change": latest_change,
    "deepest_failing_span": deepest_failing_span,
}
