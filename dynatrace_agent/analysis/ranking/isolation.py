"""Entities nothing connects to the problem: background, unless something else ties them in.

An entity that shows up only in metric dimensions (no topology relation, no call in the
traces, no log errors, no change, no shared host) moves for its own reasons all the time: a
busy admin job, a batch, a scrape. Its deviation is real but unconnected to the affected
services, so it counts for less than the same deviation on a service the problem can reach -- when such
a service deviates too. When none does, the topology may just be partial, and nothing changes.
"""

from __future__ import annotations

from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import DEVIATION_SIGNALS

#: Weight kept by an unconnected entity's deviations.
UNCONNECTED = 0.5
#: A connected candidate deviating this much is a lead; without one, nothing is discounted
#: (with a partial topology the only deviation may well be the cause).
LEAD = 0.15


def unconnected_signals(ctx: RankContext) -> None:
    """Discount the deviations of candidates that only metric dimensions brought in."""
    changed = {e.lower() for ch in ctx.changes for e in ch.entity_ids}
    isolated = [cid for cid, st in ctx.states.items() if _unconnected(ctx, cid, changed)]
    leads = [st for cid, st in ctx.states.items() if cid not in isolated and st.deviation() >= LEAD]
    if not leads:
        return  # partial topology: the only deviation may well be the cause
    for cid in isolated:
        ctx.states[cid].explain(
            [k for k in DEVIATION_SIGNALS if k in ctx.states[cid].signals],
            UNCONNECTED,
            None,
            "nothing connects it to the affected services (no call, trace, log, change or shared host)",
        )


def _unconnected(ctx: RankContext, cid: str, changed: set[str]) -> bool:
    st = ctx.states[cid]
    c = st.candidate
    if set(c.relations) != {"other"} or st.traces is not None or st.logs is not None:
        return False
    if ctx.callees.get(cid) or ctx.callers.get(cid) or c.hosts or c.process_groups:
        return False
    return cid.lower() not in changed and (c.name or "").lower() not in changed
