"""How strongly a metric deviation counts, in its bad direction.

Shared by the metric pass and by candidate discovery (an entity seen only in a deviating
series becomes a candidate), so both agree on what a real deviation is."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import (
    MetricDeviation,
)
from dynatrace_agent.analysis.ranking.scoring import clamp

#: A host is saturated only from this utilisation (percent) on, whatever its z-score.
SATURATION_LEVEL = 80.0


INVERSE_METRIC = re.compile(r"availab|success|apdex|uptime", re.I)


STARVATION_METRIC = re.compile(r"throttl|steal|wait", re.I)


RESTART_METRIC = re.compile(r"restart|oom.?kill|evict", re.I)


_PERCENT_METRIC = re.compile(r"usage|percent|util", re.I)


def metric_strength(m: MetricDeviation, *, min_rel: float = 0.2) -> float:
    """0..1 for a metric deviation: nothing below z 3 or ``min_rel`` change, then rising with z."""
    if m.z_score is None or m.relative_change is None:
        return 0.0
    if m.z_score < 3.0 or m.relative_change < min_rel:
        return 0.0
    return clamp(m.z_score / 8.0 + 0.25)


def deviation_strength(m: MetricDeviation) -> float:
    """Strength of a metric's move in its bad direction (down for availability-like metrics).

    A count that rises from nothing to a fraction of one per interval is noise, whatever its
    z-score: counts must rise by at least one per two intervals.
    """
    if (
        m.kind in {"failure", "throughput"}
        and re.search(r"count|total|number", m.metric_key, re.I)
        and (m.incident_mean or 0.0) - (m.baseline_mean or 0.0) < 0.5
    ):
        return 0.0
    if INVERSE_METRIC.search(m.metric_key):
        if m.z_score is None or m.relative_change is None or m.z_score > -3.0 or m.relative_change > -0.02:
            return 0.0
        return clamp(-m.z_score / 8.0 + 0.25) * persistence(m)
    return metric_strength(m) * persistence(m)


def persistence(m: MetricDeviation) -> float:
    """A move sustained through the incident counts fully; a brief blip inside it counts less."""
    if m.incident_persistence is None or m.incident_points < 3:
        return 1.0
    return 0.3 + 0.7 * min(1.0, m.incident_persistence / 0.5)


def saturated_level(m: MetricDeviation) -> bool:
    """Whether a host's utilisation reached saturation (in percent; other units are trusted)."""
    if STARVATION_METRIC.search(m.metric_key):
        return True
    percent = (m.unit or "").lower() in {"percent", "%"} or (
        not m.unit and _PERCENT_METRIC.search(m.metric_key)
    )
    if not percent or m.kind not in {"cpu", "memory", "disk"}:
        return True
    peak = m.incident_max if m.incident_max is not None else m.incident_mean
    return peak is not None and peak >= SATURATION_LEVEL


def availability_loss(m: MetricDeviation) -> float:
    """Share of requests lost (0..1) when an availability-like metric in percent fell."""
    if m.baseline_mean is None or m.incident_mean is None:
        return 0.0
    drop = m.baseline_mean - m.incident_mean
    scale = 100.0 if m.baseline_mean > 1.5 else 1.0  # percent or fraction
    return clamp(drop / scale)
