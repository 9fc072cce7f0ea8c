"""Changes: a deployment or configuration change counts by how much trouble it can explain.

A decoy change on a healthy entity stays weak; a change on an entity whose trouble
something else explains counts a third."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import (
    ChangeEvent,
    ChangeKind,
    Evidence,
    EvidenceItem,
)
from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.davis import CHANGE_EVENT_TYPES
from dynatrace_agent.analysis.ranking.restarts import is_restart
from dynatrace_agent.analysis.ranking.scoring import CHANGE_EXPLAINS, clamp, combine


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


def change_signals(ctx: RankContext) -> None:
    """Changes: a change counts in proportion to how much of the entity's own trouble it can explain."""
    states = ctx.states
    for st in states.values():
        c = st.candidate
        own_ids = {c.entity_id.lower(), *(p.lower() for p in c.process_groups)}
        dev = combine({k: v for k, v in st.signals.items() if k in CHANGE_EXPLAINS})
        explained = 0.35 if (st.explained_by or st.late) else 1.0
        best = 0.0
        for ch in ctx.changes:
            if is_restart(ch) or not own_ids.intersection(e.lower() for e in ch.entity_ids):
                continue  # a restart is the entity's trouble (restart_signals), not a change
            m = ch.minutes_from_start
            if m is None or m < -180 or m > 15:
                continue
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
        if st.best_change is not None and dev < 0.1:
            st.counter.append("changed shortly before the problem, but shows no deviation of its own")
        elif st.best_change is not None and st.explained_by:
            st.counter.append(
                "changed before the problem, but its trouble is explained by "
                + ctx.states[st.explained_by[0]].candidate.label
            )
