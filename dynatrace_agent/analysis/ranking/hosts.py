"""Noisy neighbour: a saturated host points at the co-located process whose own use rose.

Throttling is starvation, not consumption, so a throttled process is a victim."""

from __future__ import annotations

from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext


def host_signals(ctx: RankContext) -> None:
    """Hosts: a process whose own use rose starves its neighbours (noisy neighbour)."""
    states = ctx.states
    own_resource = ctx.own_resource
    for st in states.values():
        host = st.candidate
        host_resource = own_resource.get(host.entity_id, 0.0)
        if host_resource <= 0:
            continue
        residents = [o for o in states.values() if host.entity_id in o.candidate.hosts]
        culprits = [o for o in residents if own_resource.get(o.candidate.entity_id, 0.0) >= 0.3]
        victims = [o for o in residents if o not in culprits]
        suffering = max((v.deviation() for v in victims), default=0.0)
        for o in residents:
            if o in culprits:
                names = [v.candidate.label for v in victims]
                o.reasons.append(
                    f"its own resource use rose on host {host.label}, which it shares with "
                    + (", ".join(names[:3]) or "other processes")
                )
                o.hint("resource", 1.0)
                if suffering > 0:
                    o.add("neighbour", suffering, None)
            elif culprits:
                o.explain(
                    ("latency", "resource", "logs", "failure_rate", "failure_metric", "davis_evidence"),
                    0.5,
                    culprits[0].candidate.entity_id,
                    f"its own process is not saturated; host {host.label} is saturated by "
                    + ", ".join(c.candidate.label for c in culprits[:2]),
                )
            elif _process_data(ctx, o):
                o.explain(
                    ("latency",),
                    0.5,
                    None,
                    f"runs on host {host.label}, which is saturated; its own process is not",
                )
                if ctx.starved.get(o.candidate.entity_id, 0.0) > 0:
                    st.add("neighbour", o.deviation(), None)
        if culprits:
            st.signals["resource"] = host_resource * 0.6
            st.counter.append(
                "its saturation is driven by " + ", ".join(c.candidate.label for c in culprits[:2])
            )


def _process_data(ctx: RankContext, st: CandidateState) -> bool:
    """Whether resource metrics of the candidate or its process groups were seen (else unknown)."""
    ids = [st.candidate.entity_id, *st.candidate.process_groups]
    found = [ctx.index.resolve(i) for i in ids]
    return any(f is not None and f.entity_id in ctx.resource_seen for f in found) or any(
        i in ctx.resource_seen for i in ids
    )
