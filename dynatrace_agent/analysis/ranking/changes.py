"""Changes: a deployment or configuration change counts by how much trouble it can explain.

A decoy change on a healthy entity stays weak; a change on an entity whose trouble
something else explains counts a third."""

from __future__ import annotations

import re
import statistics
from datetime import timedelta

from dynatrace_agent.analysis.evidence import (
    ChangeEvent,
    ChangeKind,
    Evidence,
    EvidenceItem,
)
from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext
from dynatrace_agent.analysis.ranking.davis import CHANGE_EVENT_TYPES
from dynatrace_agent.analysis.ranking.restarts import is_restart
from dynatrace_agent.analysis.ranking.scoring import CHANGE_EXPLAINS, clamp, combine, fmt


def davis_changes(evidence: Evidence) -> list[ChangeEvent]:
    """Change events Davis cites in its evidence (deployments, configuration changes).

    Tenants without Grail events still show them here; merged with the changes read from
    Grail (by event id) so each is counted once.
    """
    known = {c.event_id for c in evidence.changes}
    start = evidence.problem.start
    out: list[ChangeEvent] = []
    for ev in evidence.problem.davis_evidence:
        if not ev.event_type or not CHANGE_EVENT_TYPES.search(ev.event_type) or ev.entity_id is None:
            continue
        event_id = ev.event_id or f"{ev.event_type}@{ev.start.isoformat() if ev.start else '?'}"
        if event_id in known:
            continue
        known.add(event_id)
        kind: ChangeKind = (
            "deployment" if re.search(r"DEPLOY|RELEASE|ROLLOUT", ev.event_type, re.I) else "configuration"
        )
        minutes = (ev.start - start).total_seconds() / 60.0 if ev.start and start else None
        out.append(
            ChangeEvent(
                event_id=event_id,
                event_type=ev.event_type,
                name=ev.display_name,
                kind=kind,
                entity_ids=[ev.entity_id],
                timestamp=ev.start,
                minutes_from_start=round(minutes, 2) if minutes is not None else None,
                details=dict(ev.properties),
                source=evidence.problem.source,
            )
        )
    return out


#: How much a step at the change counts as the entity's own deviation (0.4 = full credit).
STEP_WEIGHT = 0.4
#: Metric kinds a change of the entity itself can move.
_CHANGEABLE = ("latency", "failure", "availability", "cpu", "memory", "saturation")
#: Minutes before the change that show the entity's normal level, and after it its new one.
_BEFORE_MIN, _AFTER_MIN = 60.0, 5.0
_STEP_MARK = "right after the change"
#: Latest a change can come (minutes after the start) and still be a trigger.
_TRIGGER_LATEST = 2.0


def _stepped(st: CandidateState) -> bool:
    return any(_STEP_MARK in r for r in st.reasons)


def _step_at_change(ctx: RankContext, st: CandidateState, ch: ChangeEvent) -> tuple[float, str] | None:
    """How sharply the changed entity's own metrics moved right at the change (0..1, and why).

    Baseline-against-incident windows can hide a change's effect: a change minutes before the
    start lands its step inside the baseline, or a transient step fades by the incident. A
    step from the level of the hour before the change to the first points after it is what
    the change itself did.
    """
    start = ctx.evidence.problem.start
    if start is None or ch.minutes_from_start is None or ch.minutes_from_start > _TRIGGER_LATEST:
        return None  # what follows the start (autoscaling, rollbacks) reacts to the problem
    at = ch.timestamp or start + timedelta(minutes=ch.minutes_from_start)
    own = {st.candidate.entity_id.lower(), *(p.lower() for p in st.candidate.process_groups)}
    later = [
        c.timestamp or start + timedelta(minutes=c.minutes_from_start or 0.0)
        for c in ctx.changes
        if c is not ch and (c.timestamp is not None or c.minutes_from_start is not None)
    ]
    until = min((t for t in later if t > at), default=at + timedelta(minutes=_AFTER_MIN))
    best: tuple[float, str] | None = None
    for m in ctx.evidence.metrics:
        if m.kind not in _CHANGEABLE or (m.entity_id or "").lower() not in own:
            continue
        points = m.points()
        width = timedelta(seconds=m.series_step_s or 60.0)
        before = [v for ts, v in points if at - timedelta(minutes=_BEFORE_MIN) <= ts and ts + width <= at]
        # The bucket holding the change and those starting soon after it, up to the next event
        # (a later change or an on-sale may be what moved them instead).
        after = [
            v
            for ts, v in points
            if ts + width > at and ts < at + timedelta(minutes=_AFTER_MIN) and ts + width <= until
        ][:3]
        if len(before) < 3 or not after:
            continue
        level = statistics.median(before)
        # Counts of rare things (failures per interval) start from zero: a step must be several
        # of them per interval, not a fraction.
        floor = 1.0 if m.kind == "failure" and "count" in m.metric_key.lower() else 1e-9
        spread = max(statistics.median(abs(v - level) for v in before) * 1.4826, 0.05 * abs(level), floor)
        moved = statistics.fmean(after) - level
        if m.kind == "availability":
            moved = -moved  # availability falls when things break
        z = moved / spread
        strength = clamp((z - 3.0) / 6.0)
        if strength > 0 and (best is None or strength > best[0]):
            best = (
                strength,
                f"{m.metric_key} moved {fmt(level)} → {fmt(statistics.fmean(after))} {_STEP_MARK} "
                f"(the hour before it was steady)",
            )
    return best


def change_signals(ctx: RankContext) -> None:
    """Changes: a change counts in proportion to how much of the entity's own trouble it can explain."""
    states = ctx.states
    for st in states.values():
        c = st.candidate
        own_ids = {c.entity_id.lower(), *(p.lower() for p in c.process_groups)}
        own_dev = combine({k: v for k, v in st.signals.items() if k in CHANGE_EXPLAINS})
        explained = 0.35 if (st.explained_by or st.late) else 1.0
        best = 0.0
        for ch in ctx.changes:
            if is_restart(ch) or not own_ids.intersection(e.lower() for e in ch.entity_ids):
                continue  # a restart is the entity's trouble (restart_signals), not a change
            m = ch.minutes_from_start
            if m is None or m < -180 or m > 15:
                continue
            dev = own_dev
            step = _step_at_change(ctx, st, ch)
            if step is not None and STEP_WEIGHT * step[0] > dev:
                dev = STEP_WEIGHT * step[0]
                st.reasons.append(step[1])
            closeness = 1.0 if -30 <= m <= 2 else (0.5 if m > 2 else clamp(1.0 + (m + 30) / 150 * 0.7, 0.3))
            kind_factor = 1.0 if ch.kind in {"deployment", "configuration"} else 0.5
            strength = closeness * kind_factor * (0.25 + 0.75 * clamp(dev / 0.4)) * explained
            when = f"{abs(m):.0f} min {'before' if m <= 0 else 'after'} the problem started"
            label = ch.name or ch.event_type
            if strength > best:
                best = strength
                st.best_change = ch
            st.add(
                "change",
                strength,
                f"{ch.kind} “{label}” {when} (event {ch.event_id})",
                EvidenceItem(
                    kind="change",
                    summary=f"{ch.kind}: {label}, {when}",
                    entity_id=c.entity_id,
                    source=ch.source,
                    records=[ch.event_id],
                ),
            )
        if st.best_change is not None and own_dev < 0.1 and not _stepped(st):
            st.counter.append("changed shortly before the problem, but shows no deviation of its own")
        elif st.best_change is not None and st.explained_by:
            st.counter.append(
                "changed before the problem, but its trouble is explained by "
                + ctx.states[st.explained_by[0]].candidate.label
            )
