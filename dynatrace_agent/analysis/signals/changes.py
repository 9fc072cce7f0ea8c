"""Events → ``ChangeEvent`` for deployments and configuration changes touching a candidate.

Davis-detected anomalies are not changes; keeping them out stops an anomaly from posing as
its own trigger."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from dynatrace_agent.analysis.evidence import (
    ChangeEvent,
    ChangeKind,
)
from dynatrace_agent.analysis.signals.records import Record, clean_text, first_time

_DETAIL_PREFIXES = ("deployment.", "config.", "configuration.", "dt.event.", "vcs.", "cicd.", "change.")


_DETAIL_KEYS = ("event.description", "event.provider", "event.category", "event.status", "user")


def _change_kind(event: Record) -> ChangeKind | None:
    etype = (clean_text(event.get("event.type")) or "").upper()
    kind = (clean_text(event.get("event.kind")) or "").upper()
    name = (clean_text(event.get("event.name")) or "").lower()
    keys = " ".join(event.keys()).lower()
    if "DEPLOY" in etype or "deployment." in keys or "RELEASE" in etype:
        return "deployment"
    if "CONFIG" in etype or "config." in keys or "configuration." in keys:
        return "configuration"
    if kind in {"SDLC_EVENT", "AUDIT_EVENT"} or etype in {
        "CUSTOM_ANNOTATION",
        "MARKED_FOR_TERMINATION",
        "PROCESS_RESTART",
        "CUSTOM_INFO",
    }:
        if "deploy" in name or "release" in name or "rollout" in name:
            return "deployment"
        if "config" in name or "feature flag" in name or "setting" in name:
            return "configuration"
        return "other"
    return None


def _event_entities(event: Record) -> list[str]:
    ids: list[str] = []
    for key, value in event.items():
        if key == "dt.source_entity" or key == "affected_entity_ids" or key.startswith("dt.entity."):
            if key.endswith(".name"):
                continue
            values = value if isinstance(value, list) else [value]
            for item in values:
                text = clean_text(item)
                if text and text not in ids:
                    ids.append(text)
    return ids


def change_events(
    events: Iterable[Record],
    candidate_ids: Collection[str],
    problem_start: datetime | None,
    *,
    source: str | None = None,
) -> list[ChangeEvent]:
    """Deployments, configuration changes and other change events that touch a candidate.

    Davis-detected anomalies (error, slowdown, resource events) are not changes and are left
    out. With no candidate ids every change is kept. Sorted by time; ``minutes_from_start`` is
    negative before the problem started.
    """
    wanted = set(candidate_ids)
    result: list[ChangeEvent] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        kind = _change_kind(event)
        if kind is None:
            continue
        entities = _event_entities(event)
        if wanted and not wanted.intersection(entities):
            continue
        ts = first_time(event, "event.start", "timestamp", "start_time")
        minutes = (ts - problem_start).total_seconds() / 60.0 if ts and problem_start else None
        details: dict[str, str] = {}
        for key, value in event.items():
            if key.startswith(_DETAIL_PREFIXES) or key in _DETAIL_KEYS:
                text = clean_text(value) if not isinstance(value, dict) else None
                if text is not None:
                    details[key] = text[:200]
        event_id = (
            clean_text(event.get("event.id"))
            or f"{clean_text(event.get('event.type')) or 'event'}@{ts.isoformat() if ts else '?'}"
        )
        result.append(
            ChangeEvent(
                event_id=event_id,
                event_type=clean_text(event.get("event.type")) or "UNKNOWN",
                name=clean_text(event.get("event.name")) or "",
                kind=kind,
                entity_ids=entities,
                timestamp=ts,
                minutes_from_start=round(minutes, 2) if minutes is not None else None,
                details=details,
                source=source,
            )
        )
    result.sort(key=lambda c: (c.timestamp is None, c.timestamp or datetime.min, c.event_id))
    return result
