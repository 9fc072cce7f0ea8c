"""Resource starvation: a process whose CPU or memory use rose is slow in everything it does.

Self time subtracts the time a request spends in its outgoing calls, so that a caller waiting on
a slow callee does not look guilty. A starved process breaks that reasoning: with its CPU
saturated, even waiting for a quick database answer takes longer (its threads are not
scheduled to read the reply), so its requests slow down while its "self" time may not. When a
service's own resource use rose and its requests slowed, the slowdown is its own.
"""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import EvidenceItem
from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import fmt, ratio_strength

#: Resource evidence at least this strong makes a slowdown the service's own.
MIN_RESOURCE = 0.5
_WAITS = "but its own time did not: it waits on something it calls"


def starvation_signals(ctx: RankContext) -> None:
    """Credit a service's slowdown to itself when its own CPU/memory use rose sharply."""
    for entity_id, resource in ctx.own_resource.items():
        st = ctx.states.get(entity_id)
        if st is None or st.traces is None or resource < MIN_RESOURCE:
            continue
        base, inc = st.traces.baseline, st.traces.incident
        slowdown = ratio_strength(base.p90_ms, inc.p90_ms, min_abs=5.0)
        if slowdown <= 0:
            continue
        st.counter = [c for c in st.counter if _WAITS not in c]
        st.add(
            "latency",
            slowdown * resource,
            f"its requests slowed (p90 {fmt(base.p90_ms, ' ms')} → {fmt(inc.p90_ms, ' ms')}) while its own "
            "resource use rose: a starved process is slow in everything, its outgoing calls included",
            EvidenceItem(
                kind="traces",
                summary=f"response time p90 {fmt(base.p90_ms)} → {fmt(inc.p90_ms)} ms with resource use up",
                entity_id=entity_id,
                source=st.traces.source,
            ),
        )
        st.hint("resource", 1.0)
