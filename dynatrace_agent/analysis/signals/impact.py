"""Sessions, business events and SLOs → ``Impact``: who was affected and what is at risk."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from dynatrace_agent.analysis.evidence import (
    BizEventVolume,
    Impact,
    SloRisk,
    Window,
)
from dynatrace_agent.analysis.signals.records import Record, clean_text, first_time
from dynatrace_agent.rum import session_crashed, session_error_kinds, session_errors, session_frustrated
from dynatrace_agent.values import as_float

_USER_KEYS = ("dt.rum.user_tag", "userId", "internalUserId", "user.id", "dt.rum.instance.id", "usr.id")


_SESSION_KEYS = ("dt.rum.session.id", "userSessionId", "session.id")


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    number = as_float(value)
    return bool(number)


def _slo_risk(slo: Record) -> SloRisk | None:
    status = (clean_text(slo.get("status")) or "").upper() or None
    value = as_float(slo.get("evaluatedPercentage"))
    budget = as_float(slo.get("errorBudget"))
    target = as_float(slo.get("target"))
    criteria = slo.get("criteria")
    if target is None and isinstance(criteria, list) and criteria and isinstance(criteria[0], Mapping):
        target = as_float(criteria[0].get("target"))
    results = slo.get("evaluationResults")
    if isinstance(results, list) and results and isinstance(results[0], Mapping):
        status = (clean_text(results[0].get("status")) or status or "").upper() or None
        value = as_float(results[0].get("value")) if value is None else value
        budget = as_float(results[0].get("errorBudget")) if budget is None else budget
    at_risk = (
        status in {"FAILURE", "WARNING"}
        or (budget is not None and budget < 0)
        or (value is not None and target is not None and value < target)
    )
    if not at_risk:
        return None
    definition = slo.get("definition")
    name = clean_text(slo.get("name")) or (
        clean_text(definition.get("name")) if isinstance(definition, Mapping) else None
    )
    return SloRisk(
        slo_id=clean_text(slo.get("id")),
        name=name or "unnamed SLO",
        status=status,
        value=value,
        target=target,
        error_budget=budget,
    )


def impact(
    sessions: Iterable[Record],
    bizevents: Iterable[Record],
    slos: Iterable[Record],
    window: Window,
    *,
    estimated_affected_users: int | None = None,
    source: str | None = None,
) -> Impact:
    """Users and sessions seen during the incident, business-event volume vs baseline, SLOs at risk.

    Session counts stay ``None`` when no session record falls in the incident, so "no data"
    never reads as "nobody affected".
    """
    users: set[str] = set()
    session_ids: set[str] = set()
    session_count = errors = frustrated = 0
    error_names: Counter[str] = Counter()
    for record in sessions:
        if not isinstance(record, Mapping):
            continue
        if not window.in_incident(first_time(record, "start_time", "startTime", "timestamp")):
            continue
        sid = next((t for k in _SESSION_KEYS if (t := clean_text(record.get(k)))), None)
        if sid is not None:
            if sid in session_ids:
                continue
            session_ids.add(sid)
        session_count += 1
        user = next((t for k in _USER_KEYS if (t := clean_text(record.get(k)))), None)
        if user is not None:
            users.add(user)
        # New RUM (Grail user.sessions): frustration and errors from the error.* counters, the
        # same definition the session summary uses.
        if session_frustrated(record) or _truthy(record.get("frustrated")):
            frustrated += 1
        if session_errors(record) > 0 or session_crashed(record):
            errors += 1
        for kind, count in session_error_kinds(record).items():
            error_names[kind] += count

    volumes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in bizevents:
        if not isinstance(record, Mapping):
            continue
        ts = first_time(record, "timestamp")
        phase = 1 if window.in_incident(ts) else 0 if window.in_baseline(ts) else None
        if phase is None:
            continue
        volumes[clean_text(record.get("event.type")) or "unknown"][phase] += 1
    biz: list[BizEventVolume] = []
    for event_type, (b, i) in sorted(volumes.items()):
        b_rate, i_rate = b / window.baseline_minutes, i / window.incident_minutes
        biz.append(
            BizEventVolume(
                event_type=event_type,
                baseline_count=b,
                incident_count=i,
                baseline_per_min=round(b_rate, 4),
                incident_per_min=round(i_rate, 4),
                relative_change=round((i_rate - b_rate) / b_rate, 4) if b_rate > 0 else None,
            )
        )
    risks = [r for slo in slos if isinstance(slo, Mapping) and (r := _slo_risk(slo)) is not None]
    has_sessions = session_count > 0
    return Impact(
        affected_users=len(users) if has_sessions else None,
        sessions=session_count if has_sessions else None,
        error_sessions=errors if has_sessions else None,
        frustrated_sessions=frustrated if has_sessions else None,
        top_errors=[name for name, _ in error_names.most_common(5)],
        bizevents=biz,
        slos_at_risk=risks,
        estimated_affected_users=estimated_affected_users,
        source=source,
    )
