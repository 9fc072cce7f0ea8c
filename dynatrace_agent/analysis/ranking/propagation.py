"""Classic RCA on the call graph: an anomaly that a downstream anomaly explains is a symptom."""

from __future__ import annotations

from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext
from dynatrace_agent.analysis.ranking.scoring import DEVIATION_SIGNALS, PROPAGATING, combine

#: A deviation counts as an anomaly for propagation rules from this combined strength on.
ANOMALY_THRESHOLD = 0.15
#: A callee explains a caller's symptoms only when at least this anomalous relative to it.
COMPARABLE = 0.5


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
    sym = {cid: _explaining_deviation(st) for cid, st in ctx.states.items()}
    for d in _consequences(ctx, sym):
        sym[d] = 0.0  # explained by the changed caller above it: not a culprit for anyone
    below = {
        cid: [d for d in downstream_of(ctx, cid) if sym.get(d, 0.0) >= ANOMALY_THRESHOLD]
        for cid in ctx.states
    }
    credit: dict[str, tuple[float, list[str]]] = {}
    for cid, st in ctx.states.items():
        if sym[cid] < ANOMALY_THRESHOLD:
            continue
        # A callee far less anomalous than the caller cannot explain the caller's trouble.
        culprits = [d for d in below[cid] if sym[d] >= COMPARABLE * sym[cid]]
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


#: Deviations that cannot explain a caller's trouble: a callee receiving more requests is
#: receiving them from its callers, so its traffic rise is their effect, not their cause.
_EFFECT_OF_CALLERS = frozenset({"throughput"})


def seen_inside(ctx: RankContext, cid: str) -> bool:
    """Whether the candidate's own trouble is confirmed from inside: it calls candidates we see,
    and nothing below it is anomalous.

    An entity seen only from its callers' side (no callees known: a remote endpoint, a load
    balancer, an opaque service) may be relaying trouble from something no one can see, so an
    equal anomaly on it says less than one whose callees were checked and found normal.
    """
    below = downstream_of(ctx, cid)
    return bool(below) and all(
        _explaining_deviation(ctx.states[d]) < ANOMALY_THRESHOLD for d in below if d in ctx.states
    )


def _explaining_deviation(st: CandidateState) -> float:
    """How anomalous a candidate is, counting only deviations that can propagate to callers."""
    return combine(
        {k: v for k, v in st.signals.items() if k in DEVIATION_SIGNALS and k not in _EFFECT_OF_CALLERS}
    )


#: Signals that are a candidate's own trouble, never relayed from a callee.
_OWN_TROUBLE = ("resource", "neighbour")
#: A deployment or configuration change this close before the start (minutes) can trigger it.
_TRIGGER_WINDOW = (-30.0, 2.0)


def _changed_before_start(ctx: RankContext, st: CandidateState) -> bool:
    c = st.candidate
    own = {c.entity_id.lower(), *(p.lower() for p in c.process_groups)}
    for ch in ctx.changes:
        m = ch.minutes_from_start
        if ch.kind not in {"deployment", "configuration"} or m is None:
            continue
        if _TRIGGER_WINDOW[0] <= m <= _TRIGGER_WINDOW[1] and own.intersection(
            e.lower() for e in ch.entity_ids
        ):
            return True
    return False


def _own_trouble(st: CandidateState) -> float:
    own = {k: v for k, v in st.signals.items() if k in _OWN_TROUBLE}
    if "origin" in st.signals and not st.client_origin:
        own["origin"] = st.signals["origin"]
    return combine(own)


def _consequences(ctx: RankContext, sym: dict[str, float]) -> list[str]:
    """Anomalous callees whose trouble a changed, crashing caller explains.

    A caller changed right before the start that now fails or restarts on its own (its own
    resource trouble, failures that originate in its spans) is a trigger; a direct callee that
    only shows symptoms (slower answers, failures, no resource trouble and no change of its
    own) is reacting to it — reconnect storms, retries — and is discounted as a consequence.
    """
    triggers = [
        cid
        for cid, st in sorted(ctx.states.items())
        if sym[cid] >= ANOMALY_THRESHOLD
        and _own_trouble(st) >= ANOMALY_THRESHOLD
        and _changed_before_start(ctx, st)
    ]
    out: list[str] = []
    for cid in triggers:
        for d in sorted(ctx.callees.get(cid, ())):
            dep = ctx.states[d]
            if d in triggers or d in out or sym.get(d, 0.0) < ANOMALY_THRESHOLD:
                continue
            if _own_trouble(dep) > 0.0 or _changed_before_start(ctx, dep):
                continue
            dep.explain(
                PROPAGATING,
                0.5,
                cid,
                f"{ctx.states[cid].candidate.label} changed right before the problem and fails on its "
                "own; this deviation of a service it calls is likely a consequence",
            )
            out.append(d)
    return out
