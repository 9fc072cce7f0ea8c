"""Traffic: a request-rate jump at an entry point explains load-induced trouble below it."""

from __future__ import annotations

from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.propagation import downstream_of


def traffic_signals(ctx: RankContext) -> None:
    """Traffic: a jump at an entry point explains load-induced trouble downstream.

    An entry point (nobody upstream has more traffic) whose request rate jumped explains the
    symptoms of every service below it whose own request rate jumped too: they are
    overloaded, not broken. Their hosts' CPU rise is load as well.
    """
    states = ctx.states
    callers = ctx.callers
    for cid, st in states.items():
        thr = st.signals.get("throughput", 0.0)
        if thr <= 0:
            continue
        upstream = [c for c in callers[cid] if states[c].signals.get("throughput", 0.0) > 0]
        if upstream:
            st.signals["throughput"] = thr * 0.3
            st.counter.append(
                "its extra traffic comes from "
                + ", ".join(states[c].candidate.label for c in sorted(upstream)[:2])
            )
    for cid, st in states.items():
        thr = st.signals.get("throughput", 0.0)
        if thr < 0.5 or any(states[c].signals.get("throughput", 0.0) > 0 for c in callers[cid]):
            continue
        loaded = [
            d for d in downstream_of(ctx, cid) if d in ctx.callees and "throughput" in states[d].signals
        ]
        strength = 0.0
        for d in loaded:
            other = states[d]
            strength = max(strength, other.deviation())
            other.explain(
                # Overloaded: its symptoms, and the trouble it passes on, are the surge's.
                ("origin", "failure_rate", "failure_metric", "latency", "logs", "resource", "propagation"),
                0.5,
                cid,
                f"its trouble coincides with a traffic surge from {st.candidate.label}: "
                "overload, not a fault",
            )
            for h in other.candidate.hosts:
                host = ctx.index.resolve(h)
                if host is not None and "resource" in states[host.entity_id].signals:
                    states[host.entity_id].explain(
                        ("resource",),
                        0.5,
                        cid,
                        f"its load comes from the traffic surge on {st.candidate.label}",
                    )
        st.hint("traffic", 2.0)
        if strength > 0:
            st.add(
                "load",
                min(thr, strength),
                "the services it calls are overloaded by its extra traffic: "
                + ", ".join(states[d].candidate.label for d in loaded[:3]),
            )
