"""Restart events: a process that keeps crashing (OOM kills, restarts) is in trouble itself.

Restarts arrive as events (``PROCESS_RESTART``, "Container … OOMKilled") as often as metrics;
read as a change they would only say "something happened". Counted as the candidate's own
resource trouble, they are not a symptom its callees could explain, so a downstream anomaly
does not take the blame for a service that is crashing."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import ChangeEvent, EvidenceItem
from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext
from dynatrace_agent.analysis.ranking.scoring import clamp

#: Event names and types that say a process was killed or restarted.
_RESTART = re.compile(r"restart|oom.?kill|out of memory|crash.?loop|evict|exit code 137|killed", re.I)
#: Restarts count from shortly before the problem to well into it (a crash loop repeats).
_WINDOW_MINUTES = (-15.0, 120.0)


def is_restart(ch: ChangeEvent) -> bool:
    """Whether a change event reports a process restart or kill rather than a change."""
    return ch.kind == "other" and bool(_RESTART.search(f"{ch.event_type} {ch.name}"))


def _own(st: CandidateState, ch: ChangeEvent) -> bool:
    c = st.candidate
    own = {c.entity_id.lower(), *(p.lower() for p in c.process_groups)}
    return bool(own.intersection(e.lower() for e in ch.entity_ids))


def restart_signals(ctx: RankContext) -> None:
    """Resource trouble for candidates whose processes restart during the problem."""
    for st in ctx.states.values():
        hits = [
            ch
            for ch in ctx.changes
            if is_restart(ch)
            and ch.minutes_from_start is not None
            and _WINDOW_MINUTES[0] <= ch.minutes_from_start <= _WINDOW_MINUTES[1]
            and _own(st, ch)
        ]
        if not hits:
            continue
        first = hits[0]
        st.add(
            "resource",
            clamp(0.3 + 0.15 * len(hits)),
            f"restarted {len(hits)}× during the problem: “{(first.name or first.event_type)[:120]}”",
            EvidenceItem(
                kind="change",
                summary=f"{len(hits)} restart events on {st.candidate.label}",
                entity_id=st.candidate.entity_id,
                source=first.source,
                records=[ch.event_id for ch in hits[:5]],
            ),
        )
