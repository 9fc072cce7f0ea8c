"""Classic RCA on the call graph: an anomaly that a downstream anomaly explains is a symptom."""

from __future__ import annotations

from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import PROPAGATING

#: A deviation counts as an anomaly for propagation rules from this combined strength on.
ANOMALY_THRESHOLD = 0.15


def downstream_of(ctx: RankContext, cid: str, depth: int = 6) -> list[str]:
    """Candidates reachable along calls from ``cid`` (nearest first), and the hosts they run on."""
    seen: list[str] = []
    frontier = [cid]
    for _ in range(depth):
        nxt: list[str] = []
        for node in frontier:
            for callee in sorted(ctx.callees.get(node, ())):
                if callee != cid and callee not in seen:
                    seen.append(callee)
                    nxt.append(callee)
        frontier = nxt
    hosts: list[str] = []
    for node in seen:
        for h in ctx.states[node].candidate.hosts:
            found = ctx.index.resolve(h)
            if found is not None and found.entity_id not in seen and found.entity_id not in hosts:
                hosts.append(found.entity_id)
    own_hosts = {h.lower() for h in ctx.states[cid].candidate.hosts}
    return seen + [h for h in hosts if h.lower() not in own_hosts]


def downstream_explanation(ctx: RankContext) -> None:
    """Classic RCA on the call graph: an anomaly a downstream anomaly explains is a symptom.

    A caller of a misbehaving service shows slower responses, more failures and more error
    logs because of it; so when anything the candidate calls (directly or further down, or
    the host such a callee runs on) is itself anomalous, the candidate's propagating symptoms
    are discounted. Evidence that the trouble starts in the candidate itself, from its own
    spans (failure origins, its own self time), is kept.
    """
    sym = {cid: st.deviation() for cid, st in ctx.states.items()}
    below = {
        cid: [d for d in downstream_of(ctx, cid) if sym.get(d, 0.0) >= ANOMALY_THRESHOLD]
        for cid in ctx.states
    }
    credit: dict[str, tuple[float, list[str]]] = {}
    for cid, st in ctx.states.items():
        if sym[cid] < ANOMALY_THRESHOLD:
            continue
        culprits = below[cid]
        if not culprits:
            continue
        deepest = [d for d in culprits if not below[d]] or culprits[:1]
        for d in deepest:
            strength, explained = credit.get(d, (0.0, []))
            credit[d] = (max(strength, sym[cid]), [*explained, cid])
        keep: set[str] = set()
        if "origin" in st.signals and not st.client_origin:
            keep |= {"failure_rate", "logs"}
        if st.traces is not None and st.traces.incident.self_p90_ms is not None:
            keep.add("latency")  # already judged on its own (self) time
        first = culprits[0]
        st.explain(
            [k for k in PROPAGATING if k not in keep],
            0.5,
            first,
            "it calls "
            + ", ".join(ctx.states[d].candidate.label for d in culprits[:2])
            + ", which is anomalous too: its own symptoms are likely propagated",
        )
    for d, (strength, explained) in sorted(credit.items()):
        ctx.states[d].add(
            "propagation",
            strength,
            "its anomaly explains those of the services that depend on it: "
            + ", ".join(ctx.states[e].candidate.label for e in explained[:3]),
        )
