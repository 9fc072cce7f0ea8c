"""Metric signals of each candidate and its process groups against their baseline."""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import (
    EvidenceItem,
    MetricDeviation,
)
from dynatrace_agent.analysis.ranking.context import RankContext, metric_owner
from dynatrace_agent.analysis.ranking.scoring import clamp, fmt
from dynatrace_agent.analysis.ranking.strength import (
    INVERSE_METRIC,
    RESTART_METRIC,
    STARVATION_METRIC,
    availability_loss,
    deviation_strength,
    metric_strength,
    persistence,
    saturated_level,
)

_RESOURCE_KINDS = {"cpu", "memory", "disk", "saturation"}


def metric_signals(ctx: RankContext) -> None:
    """Metrics of each candidate (and of its process groups) against their baseline."""
    evidence = ctx.evidence
    index = ctx.index
    states = ctx.states
    own_resource = ctx.own_resource
    by_entity: dict[str, list[MetricDeviation]] = {}
    for m in evidence.metrics:
        c = metric_owner(index, m)
        if c is not None:
            by_entity.setdefault(c.entity_id, []).append(m)
    for st in states.values():
        c = st.candidate
        own = list(by_entity.get(c.entity_id, []))
        for pg in c.process_groups:
            pg_c = index.resolve(pg)
            own += (
                by_entity.get(pg_c.entity_id, [])
                if pg_c
                else [m for m in evidence.metrics if m.entity_id == pg]
            )
        for m in own:
            if m.kind in _RESOURCE_KINDS:
                ctx.resource_seen.add(c.entity_id)
            s = deviation_strength(m)
            if s <= 0:
                continue
            label = (
                f"{m.metric_key} {fmt(m.baseline_mean)} → {fmt(m.incident_mean)} (z={m.z_score:.1f})"
                if m.z_score is not None
                else m.metric_key
            )
            item = EvidenceItem(
                kind="metric", summary=label, entity_id=c.entity_id, source=m.source, records=[m.metric_key]
            )
            if INVERSE_METRIC.search(m.metric_key):
                st.add("failure_metric", s, f"availability fell: {label}", item)
                # Lost availability is a failure rate: requests that failed (often fast, so
                # latency may even fall); it counts like a failure-rate jump of that size.
                st.add("failure_rate", clamp(availability_loss(m) * 5.0) * persistence(m), None)
            elif m.kind in _RESOURCE_KINDS:
                if (c.type or "").upper() == "HOST" and not saturated_level(m):
                    # A quiet host whose usage moved is not saturated: weak evidence only.
                    st.add("resource", s * 0.3, f"{m.kind} rose (below saturation): {label}", item)
                    continue
                st.add("resource", s, f"{m.kind} rose: {label}", item)
                if STARVATION_METRIC.search(m.metric_key):
                    # Throttling or waiting says the process was starved, not that it consumed more.
                    ctx.starved[c.entity_id] = max(ctx.starved.get(c.entity_id, 0.0), s)
                else:
                    own_resource[c.entity_id] = max(own_resource.get(c.entity_id, 0.0), s)
            elif m.kind == "network":
                st.add("network", s, f"network metric rose: {label}", item)
                ctx.net_metric[c.entity_id] = max(ctx.net_metric.get(c.entity_id, 0.0), s)
            elif m.kind == "failure":
                st.add("failure_metric", s * (0.4 if st.counter else 1.0), f"failures rose: {label}", item)
            elif m.kind == "throughput":
                thr = metric_strength(m, min_rel=0.5)
                st.add("throughput", thr, f"throughput rose: {label}", item)
            elif m.kind == "latency" and st.traces is None:
                st.add("latency", s, f"response time rose: {label}", item)
            elif RESTART_METRIC.search(m.metric_key):
                # Restarts are a resource symptom when the logs say out of memory; otherwise they
                # may be a crash loop of any cause, so they count half.
                weight = 1.0 if st.hints.get("resource", 0.0) > 0 else 0.5
                st.add("resource", s * weight, f"restarts rose: {label}", item)
