"""Network localisation: slow wire time on calls blames what those calls have in common.

Client spans measure the wire, so a network fault looks like the caller's; comparing the
slow call paths finds the service (or its host) they share."""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import (
    EvidenceItem,
)
from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext
from dynatrace_agent.analysis.ranking.scoring import ratio_strength


def network_localisation(ctx: RankContext) -> None:
    """Slow wire time on calls: blame the element every slow call has in common.

    Each caller→callee edge whose wire time (client span minus the callee's span) rose is a
    vote for both ends. The service touching most slow edges is where the network trouble
    is; when one of its hosts shows a network metric anomaly, the host is. Services whose
    only network evidence is a slow edge to or from that place are discounted.
    """
    edges: dict[tuple[str, str], float] = {}
    added: dict[tuple[str, str], float] = {}
    for st in ctx.states.values():
        t = st.traces
        if t is None:
            continue
        for callee, gap in t.call_gaps.items():
            target = ctx.index.resolve(callee)
            if target is None or target.entity_id == st.candidate.entity_id:
                continue
            strength = ratio_strength(gap.baseline_p90_ms, gap.incident_p90_ms, min_abs=10.0)
            if strength > 0 and gap.incident_calls >= 2:
                key = (st.candidate.entity_id, target.entity_id)
                edges[key] = max(edges.get(key, 0.0), strength)
                extra = (gap.incident_p90_ms or 0.0) - (gap.baseline_p90_ms or 0.0)
                added[key] = max(added.get(key, 0.0), extra)
    if not edges:
        return
    if len(edges) == 1:
        _single_slow_edge(ctx, *next(iter(edges.items())))
        return
    cover: dict[str, list[float]] = {}
    for (src, dst), strength in edges.items():
        cover.setdefault(src, []).append(strength)
        cover.setdefault(dst, []).append(strength)
    dominant = _dominant_locus(added)
    if dominant is not None:
        # The wire time added on the paths through one place dwarfs the rest: that is where
        # the delay is; the smaller rises elsewhere are load or noise.
        through = [edge for edge in edges if dominant in edge]
        elsewhere = [edge for edge in edges if dominant not in edge]
        if len(through) == 1:
            _single_slow_edge(ctx, through[0], edges[through[0]])
            _secondary_edges(ctx, elsewhere, through)
            return
        ranked = [(dominant, cover[dominant])]
    else:
        ranked = sorted(cover.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]), kv[0]))
    locus_id, votes = ranked[0]
    ctx_edges = list(edges)
    if dominant is not None:
        edges = {edge: strength for edge, strength in edges.items() if dominant in edge}
    if _own_time_rose(ctx.states[locus_id]):
        # A network fault delays the wire, not the work: a place whose own requests slowed as
        # much is busy or broken itself (its own signals say so), not behind a slow network.
        return
    if len(votes) < 2 or (len(ranked) > 1 and len(ranked[1][1]) == len(votes)):
        return  # a tie does not say which end is at fault
    locus = ctx.states[locus_id]
    strength = max(votes)
    hosts = _hosts(ctx, locus)
    noisy_hosts = sorted(
        (h for h in hosts if ctx.net_metric.get(h, 0.0) > 0), key=lambda h: -ctx.net_metric[h]
    )
    blamed = ctx.states[noisy_hosts[0]] if noisy_hosts else locus
    peers = sorted({d if s == locus_id else s for s, d in edges if locus_id in (s, d)})
    peer_names = ", ".join(ctx.states[p].candidate.label for p in peers[:3])
    where = f"on {blamed.candidate.label}, which runs {locus.candidate.label}" if blamed is not locus else ""
    blamed.add(
        "path",
        strength,
        f"wire time rose on {len(votes)} call paths that all involve {locus.candidate.label} "
        f"(with {peer_names}) while the services' own time is steady"
        + (f"; network anomaly {where}" if where else ""),
        EvidenceItem(
            kind="traces",
            summary=f"slow calls share {locus.candidate.label}",
            entity_id=blamed.candidate.entity_id,
            source=locus.traces.source if locus.traces else None,
        ),
    )
    blamed.hint("network", 2.0)
    if dominant is not None:
        _secondary_edges(ctx, [e for e in ctx_edges if dominant not in e], list(edges))
    for pid in {*peers, locus_id} - {blamed.candidate.entity_id}:
        ctx.states[pid].explain(
            (
                "network",
                "latency",
                "dependency",
                "failure_rate",
                "logs",
                "failure_metric",
                *_timeouts(ctx.states[pid]),
            ),
            0.4,
            blamed.candidate.entity_id,
            f"its slow calls are explained by the network at {blamed.candidate.label}",
        )


def _secondary_edges(ctx: RankContext, edges: list[tuple[str, str]], through: list[tuple[str, str]]) -> None:
    """Smaller wire-time rises away from the dominant place are load or noise, not the fault."""
    ends = {e for edge in through for e in edge}
    blamed = [
        ctx.states[e]
        for e in sorted(ends)
        if "path" in ctx.states[e].signals
        or any("path" in ctx.states[h].signals for h in _hosts(ctx, ctx.states[e]))
    ]
    if not blamed:
        return  # the dominant place was not blamed after all: the other rises keep their weight
    for src, _dst in edges:
        ctx.states[src].explain(
            ("network",),
            0.4,
            None,
            "the wire time added on its calls is small next to that on the paths through "
            + blamed[0].candidate.label,
        )


def _timeouts(st: CandidateState) -> tuple[str, ...]:
    """A caller waiting on a slow wire fails by timing out, and the timeout is raised in its
    own code: its failure origins are the wire's doing too (unless its own time rose)."""
    return () if _own_time_rose(st, self_time=True) else ("origin",)


def _hosts(ctx: RankContext, st: CandidateState) -> list[str]:
    return [h.entity_id for h in (ctx.index.resolve(x) for x in st.candidate.hosts) if h is not None]


def _own_time_rose(st: CandidateState, *, self_time: bool = False) -> bool:
    """Whether the candidate's own requests (server spans, or their self time) slowed markedly."""
    t = st.traces
    if t is None:
        return False
    before, after = (
        (t.baseline.self_p90_ms, t.incident.self_p90_ms)
        if self_time
        else (t.baseline.p90_ms, t.incident.p90_ms)
    )
    return ratio_strength(before, after, min_abs=10.0) >= OWN_SLOWDOWN


#: How much its own p90 must rise (0..1 of two doublings) for a locus to be slow itself.
OWN_SLOWDOWN = 0.25


#: The place with the most added wire time must have this many times the next one's.
DOMINANCE = 1.5


def _dominant_locus(added: dict[tuple[str, str], float]) -> str | None:
    """The service whose slow call paths added far more wire time (ms) than any other's.

    Counting slow paths treats 20 ms and 2 s alike; a network fault adds its delay to every
    path through the faulty place, so the size of the added time, summed over the paths that
    touch a service, says where it is when one place clearly leads. The two ends of one path
    tie; then the single-edge rule decides which end it is.
    """
    total: dict[str, float] = {}
    for (src, dst), extra in added.items():
        if extra <= 0:
            continue
        total[src] = total.get(src, 0.0) + extra
        total[dst] = total.get(dst, 0.0) + extra
    ordered = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ordered:
        return None
    best = ordered[0]
    # Its peers on the slow paths share its added time; the rivals are the places apart from it.
    rivals = [v for k, v in ordered[1:] if (k, best[0]) not in added and (best[0], k) not in added]
    if rivals and best[1] < DOMINANCE * max(rivals[0], 1.0):
        return None
    return best[0]


def _single_slow_edge(ctx: RankContext, edge: tuple[str, str], strength: float) -> None:
    """One slow caller→callee edge: the callee's end when the caller's other calls are fine.

    The caller's spans measure the wire, so a network fault anywhere on the path looks like the
    caller's. When the caller reaches its other callees as fast as before and the callee's own
    time is steady, the trouble sits with the callee (its pod, node or link); a network
    anomaly on the callee or its host confirms it. Without other calls to compare and without
    such an anomaly the edge does not say which end is at fault.
    """
    src, dst = edge
    caller, callee = ctx.states[src], ctx.states[dst]
    others = [
        g
        for name, g in (caller.traces.call_gaps.items() if caller.traces else ())
        if (o := ctx.index.resolve(name)) is not None and o.entity_id != dst and g.incident_calls >= 2
    ]
    hosts = _hosts(ctx, callee)
    net = max([ctx.net_metric.get(dst, 0.0), *(ctx.net_metric.get(h, 0.0) for h in hosts)])
    callee_slow = callee.signals.get("latency", 0.0) > 0.0
    if callee_slow or not (others or net > 0.0):
        return
    callee.add(
        "path",
        strength,
        f"calls from {caller.candidate.label} to it slowed on the wire while its own time is steady"
        + (f" and {caller.candidate.label}'s {len(others)} other call path(s) are not" if others else "")
        + ("; network metrics of it or its host rose" if net > 0.0 else ""),
        EvidenceItem(
            kind="traces",
            summary=f"slow wire time on {caller.candidate.label} → {callee.candidate.label}",
            entity_id=dst,
            source=caller.traces.source if caller.traces else None,
        ),
    )
    callee.hint("network", 2.0)
    caller.explain(
        ("network", "latency", "failure_rate", "logs", "failure_metric", *_timeouts(caller)),
        0.4,
        dst,
        f"its slow calls are explained by the network at {callee.candidate.label}",
    )
