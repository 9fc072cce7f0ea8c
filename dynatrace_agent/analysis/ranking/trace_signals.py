"""Trace signals: failure origins, own failure rate, self latency, wire time and throughput.

Failures are credited to where they originate and latency to a service's *self* time, so a
caller that relays a callee's failures or waits on a slow callee does not look guilty."""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import (
    Evidence,
    EvidenceItem,
    TraceStats,
)
from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import clamp, fmt, ratio_strength

#: Fewer incident requests than this make a self-time p90 only partly trustworthy.
MIN_SPANS_FOR_P90 = 5


def window_scale(evidence: Evidence) -> float:
    """Incident minutes per baseline minute, to compare counts from windows of unequal length.

    Minutes that hold spans count, not the nominal windows: a baseline only partly covered by
    data (retention, an agent that started late, a recorded case) would otherwise make every
    baseline count look tiny and every service's failures look new.
    """
    w = evidence.window
    if w is None:
        return 1.0
    covered = next((t for t in evidence.traces if t.baseline.covered_minutes is not None), None)
    base = _minutes(w.baseline_minutes, covered.baseline.covered_minutes if covered else None)
    inc = _minutes(w.incident_minutes, covered.incident.covered_minutes if covered else None)
    return inc / base


#: A long-baseline response-time metric this far from its mean confirms a latency rise.
CONFIRMING_Z = 2.0
#: Metric points in the baseline that make it longer, and so more telling, than a span sample.
LONG_BASELINE_POINTS = 10


def latency_unconfirmed(ctx: RankContext, entity_id: str) -> bool:
    """Whether the entity's own response-time metric, over a long baseline, shows no rise.

    Span baselines are often short (a sample, a partly covered window); a service's response
    time metric usually has a much longer history. When that history says the incident value is
    within the usual variation, a rise seen only against the short span baseline is noise.
    """
    zs = [
        m.z_score
        for m in ctx.evidence.metrics
        if m.kind == "latency"
        and m.z_score is not None
        and m.baseline_points >= LONG_BASELINE_POINTS
        and (m.entity_id == entity_id or entity_id in m.dimensions.values())
    ]
    return bool(zs) and max(zs) < CONFIRMING_Z


def excess_origins(t: TraceStats, scale: float) -> float:
    """Failure origins in the incident beyond the baseline's, scaled to the incident's length."""
    """Failure origins beyond what the baseline leads one to expect.

    A service that already failed in the baseline is judged per request too, and with room
    for how little a short baseline says (one more failure than seen): a service failing at
    its usual rate on more traffic is not where a new fault starts.
    """
    base, inc = t.baseline, t.incident
    expected = base.failure_origins * scale
    if base.failure_origins > 0 and base.requests > 0 and inc.requests > 0:
        expected = max(expected, inc.requests * (base.failure_origins + 1) / (base.requests + 1))
    return max(0.0, inc.failure_origins - expected)


def trace_signals(ctx: RankContext) -> None:
    """Traces: failure origins, failure rate, self latency, network gap, throughput."""
    evidence, states = ctx.evidence, ctx.states
    scale, total_excess, any_origins = ctx.scale, ctx.total_excess, ctx.any_origins
    entries, system_shift = traffic_shift(evidence)
    for st in states.values():
        t = st.traces
        if t is None:
            continue
        cid = st.candidate.entity_id
        inc, base = t.incident, t.baseline
        ex = excess_origins(t, scale)
        if ex > 0 and total_excess > 0:
            # One failing trace is noise: the excess must reach two traces to count at all.
            strength = (ex / total_excess) * clamp((ex - 1.0) / 3.0)
            st.client_origin = inc.client_origin_failures * 2 >= inc.failure_origins > 0
            where = "in its outgoing calls" if st.client_origin else "in its own spans"
            st.add(
                "origin",
                strength,
                f"failures originate here {where}: {inc.failure_origins} incident traces "
                f"(baseline {base.failure_origins}), {ex / total_excess:.0%} of all failure origins",
                EvidenceItem(
                    kind="traces",
                    summary=f"deepest failing span in {inc.failure_origins} traces",
                    entity_id=cid,
                    source=t.source,
                    records=list(t.example_trace_ids),
                ),
            )
        delta = inc.failure_rate - base.failure_rate
        if inc.failures >= 3 and delta >= 0.02:
            own = 1.0 if not any_origins else clamp(inc.failure_origins / max(inc.failures, 1))
            strength = clamp(delta / 0.2) * (0.2 + 0.8 * own)
            st.add(
                "failure_rate",
                strength,
                f"failure rate {base.failure_rate:.1%} → {inc.failure_rate:.1%} "
                f"({inc.failures} of {inc.requests} requests)",
                EvidenceItem(
                    kind="traces",
                    summary=f"failure rate {base.failure_rate:.1%} → {inc.failure_rate:.1%}",
                    entity_id=cid,
                    source=t.source,
                ),
            )
            if own < 0.3 and any_origins:
                downstream = sorted(
                    (o for o in states.values() if o.traces and excess_origins(o.traces, scale) > 0),
                    key=lambda o: -excess_origins(o.traces, scale) if o.traces else 0,
                )
                names = ", ".join(o.candidate.label for o in downstream[:2] if o is not st) or "elsewhere"
                st.counter.append(f"most of its failures are relayed: they originate downstream in {names}")
        self_strength = ratio_strength(base.self_p90_ms, inc.self_p90_ms, min_abs=5.0)
        if inc.requests < MIN_SPANS_FOR_P90:
            # A p90 of a handful of spans is one outlier: trust it only partly.
            self_strength *= inc.requests / MIN_SPANS_FOR_P90
        if self_strength > 0 and latency_unconfirmed(ctx, cid):
            self_strength *= 0.3
            st.counter.append("its response-time metric over a longer baseline shows no unusual rise")
        if self_strength > 0:
            st.add(
                "latency",
                self_strength,
                f"own (self) time p90 {fmt(base.self_p90_ms, ' ms')} → {fmt(inc.self_p90_ms, ' ms')}",
                EvidenceItem(
                    kind="traces",
                    summary=f"self time p90 {fmt(base.self_p90_ms)} → {fmt(inc.self_p90_ms)} ms",
                    entity_id=cid,
                    source=t.source,
                ),
            )
        elif base.self_p90_ms is None or inc.self_p90_ms is None:
            total_strength = ratio_strength(base.p90_ms, inc.p90_ms, min_abs=5.0) * 0.5
            st.add(
                "latency",
                total_strength,
                f"response time p90 {fmt(base.p90_ms, ' ms')} → {fmt(inc.p90_ms, ' ms')}",
                EvidenceItem(kind="traces", summary="response time p90 rose", entity_id=cid, source=t.source),
            )
        elif ratio_strength(base.p90_ms, inc.p90_ms, min_abs=5.0) > 0:
            st.counter.append(
                f"response time rose ({fmt(base.p90_ms)} → {fmt(inc.p90_ms)} ms) but its own time did not: "
                "it waits on something it calls"
            )
        net = ratio_strength(base.network_p90_ms, inc.network_p90_ms, min_abs=10.0)
        if net > 0:
            st.add(
                "network",
                net,
                f"time on the wire of its outgoing calls p90 {fmt(base.network_p90_ms, ' ms')} → "
                f"{fmt(inc.network_p90_ms, ' ms')} while the callees' own time is steady",
                EvidenceItem(kind="traces", summary="outgoing call gap rose", entity_id=cid, source=t.source),
            )
        w = evidence.window
        if w is not None and inc.requests >= 20:
            # Rates over the time that holds data: a window only partly covered (retention, an
            # agent that started late, a recorded case) must not read as a traffic change.
            b_rate = base.requests / _minutes(w.baseline_minutes, base.covered_minutes)
            i_rate = inc.requests / _minutes(w.incident_minutes, inc.covered_minutes)
            if cid not in entries:
                # Below the entry points, traffic is judged against the whole system's shift:
                # when every service sees 1.6x the requests, none of them is the cause.
                b_rate *= system_shift
            thr = ratio_strength(b_rate, i_rate, min_abs=0.0, span=2.0) if i_rate >= 1.5 * b_rate else 0.0
            st.add(
                "throughput",
                thr,
                f"request rate {b_rate:.1f}/min → {i_rate:.1f}/min",
                EvidenceItem(kind="traces", summary="request rate jump", entity_id=cid, source=t.source),
            )


def traffic_shift(evidence: Evidence) -> tuple[set[str], float]:
    """Entry services (no traced caller) and the median request-rate ratio of the others.

    A load change at the entry reaches every service below it; what is new for one service is
    its rate change beyond that shared shift. The shift is never taken below 1 (a system-wide
    drop must not make a steady service look busy).
    """
    called = {callee for t in evidence.traces for callee in t.callees}
    entries = {t.service for t in evidence.traces if t.service not in called}
    scale = window_scale(evidence)  # incident minutes per baseline minute
    ratios = sorted(
        t.incident.requests / (t.baseline.requests * scale)
        for t in evidence.traces
        if t.service not in entries and t.baseline.requests >= 10 and t.incident.requests >= 10
    )
    if len(ratios) < 3:
        return entries, 1.0
    return entries, max(1.0, ratios[len(ratios) // 2])


def _minutes(window_minutes: float, covered: float | None) -> float:
    """The minutes a rate is taken over: the window's, or less when only part of it holds data."""
    if covered is None:
        return window_minutes
    return min(window_minutes, max(covered, 1.0))
