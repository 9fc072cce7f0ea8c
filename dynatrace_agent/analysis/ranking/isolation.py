"""Entities nothing connects to the problem: background, unless something else ties them in.

An entity that shows up only in metric dimensions (no topology relation, no call in the
traces, no log errors, no change, no shared host) moves for its own reasons all the time: a
busy admin job, a batch, a scrape. Its deviation is real but unconnected to the affected
services, so it counts for less than the same deviation on a service the problem can reach.
"""

from __future__ import annotations

from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import DEVIATION_SIGNALS

#: Weight kept by an unconnected entity's deviations.
UNCONNECTED = 0.5


def unconnected_signals(ctx: RankContext) -> None:
    """Discount the deviations of candidates that only metric dimensions brought in."""
    changed = {e.lower() for ch in ctx.changes for e in ch.entity_ids}
    for cid, st in ctx.states.items():
        c = st.candidate
        if set(c.relations) != {"other"} or st.traces is not None or st.logs is not None:
            continue
        if ctx.callees.get(cid) or ctx.callers.get(cid) or c.hosts or c.process_groups:
            continue
        if cid.lower() in changed or (c.name or "").lower() in changed:
            continue
        st.explain(
            [k for k in DEVIATION_SIGNALS if k in st.signals],
            UNCONNECTED,
            None,
            "nothing connects it to the affected services (no call, trace, log, change or shared host)",
        )
