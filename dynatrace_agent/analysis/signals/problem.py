"""The typed ``Problem`` → ``ProblemInfo``, with Davis's evidence details kept structured.

The ranking reads Davis's change points and events as weak evidence, so they are parsed
once here rather than re-read from the raw record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynatrace_agent.analysis.evidence import (
    DavisEvidence,
    EntityRef,
    ProblemInfo,
)
from dynatrace_agent.analysis.signals.records import Record, clean_text
from dynatrace_agent.models.problem import Problem
from dynatrace_agent.values import as_float, as_int, parse_timestamp


def _entity_ref(stub: object) -> EntityRef | None:
    if not isinstance(stub, Mapping):
        return None
    raw_id = stub.get("entityId")
    entity_type: str | None = None
    if isinstance(raw_id, Mapping):
        entity_type = clean_text(raw_id.get("type"))
        raw_id = raw_id.get("id")
    entity_id = clean_text(raw_id)
    if entity_id is None:
        return None
    return EntityRef(id=entity_id, name=clean_text(stub.get("name")), type=entity_type)


def _properties(data: object) -> dict[str, str]:
    """``data.properties`` of an event evidence (``[{key, value}]``) as a flat dict of strings."""
    props = data.get("properties") if isinstance(data, Mapping) else None
    out: dict[str, str] = {}
    for item in props if isinstance(props, list) else []:
        if (
            isinstance(item, Mapping)
            and (key := clean_text(item.get("key")))
            and (value := clean_text(item.get("value")))
        ):
            out[key] = value[:200]
    return out


def davis_evidence(item: Record) -> DavisEvidence | None:
    """One ``evidenceDetails.details`` item as a ``DavisEvidence`` (None when it names nothing)."""
    entity = _entity_ref(item.get("entity"))
    data = item.get("data")
    event_type = clean_text(item.get("eventType")) or (
        clean_text(data.get("eventType")) if isinstance(data, Mapping) else None
    )
    display = clean_text(item.get("displayName")) or event_type or ""
    if entity is None and not display:
        return None
    return DavisEvidence(
        evidence_type=(clean_text(item.get("evidenceType")) or "").upper(),
        display_name=display,
        event_type=event_type,
        event_id=clean_text(item.get("eventId")),
        entity_id=entity.id if entity else None,
        entity_name=entity.name if entity else None,
        entity_type=entity.type if entity else None,
        root_cause_relevant=item.get("rootCauseRelevant") is True,
        start=parse_timestamp(item.get("startTime")),
        before=as_float(item.get("valueBeforeChangePoint")),
        after=as_float(item.get("valueAfterChangePoint")),
        unit=clean_text(item.get("unit")),
        properties=_properties(data),
    )


def problem_info(problem: Problem | Mapping[str, Any], *, source: str | None = None) -> ProblemInfo:
    """The typed ``Problem`` (or its API record) as a ``ProblemInfo`` (-1 end time = open)."""
    if not isinstance(problem, Problem):
        problem = Problem.model_validate(problem)
    start = parse_timestamp(problem.start_time)
    end_ms = problem.end_time
    end = parse_timestamp(end_ms) if end_ms is not None and end_ms > 0 else None
    affected = [r for s in problem.affected_entities if (r := _entity_ref(s))]
    impacted = [r for s in problem.impacted_entities if (r := _entity_ref(s))]
    summary: list[str] = []
    structured: list[DavisEvidence] = []
    details = (problem.evidence_details or {}).get("details") or []
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, Mapping):
            continue
        parsed = davis_evidence(item)
        if parsed is not None:
            structured.append(parsed)
        entity = _entity_ref(item.get("entity"))
        text = clean_text(item.get("displayName")) or clean_text(item.get("evidenceType")) or "evidence"
        if entity is not None:
            text += f" on {entity.name or entity.id}"
        before, after = item.get("valueBeforeChangePoint"), item.get("valueAfterChangePoint")
        if as_float(before) is not None and as_float(after) is not None:
            unit = f" {item.get('unit')}" if item.get("unit") else ""
            text += f" ({as_float(before):g} → {as_float(after):g}{unit})"
        if item.get("rootCauseRelevant") is True:
            text += " [root-cause relevant]"
        summary.append(text)
    users = 0
    seen_users = False
    impacts = (problem.impact_analysis or {}).get("impacts") or []
    for item in impacts if isinstance(impacts, list) else []:
        count = as_int(item.get("estimatedAffectedUsers")) if isinstance(item, Mapping) else None
        if count is not None:
            users += count
            seen_users = True
    return ProblemInfo(
        problem_id=clean_text(problem.problem_id) or clean_text(problem.display_id) or "unknown",
        display_id=clean_text(problem.display_id),
        title=clean_text(problem.title) or "",
        severity=clean_text(problem.severity_level),
        impact=clean_text(problem.impact_level),
        status=clean_text(problem.status),
        start=start,
        end=end,
        affected=affected,
        impacted=impacted,
        root_cause_hint=_entity_ref(problem.root_cause_entity),
        evidence_summary=summary[:20],
        davis_evidence=structured[:50],
        estimated_affected_users=users if seen_users else None,
        source=source,
    )
