"""Metric series (case-file or Grail ``timeseries`` shape) → ``MetricDeviation`` per series."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import (
    NAME_DIMENSIONS,
    MetricDeviation,
    Window,
    metric_kind,
)
from dynatrace_agent.analysis.signals.records import Record, clean_text
from dynatrace_agent.values import as_float, parse_timestamp

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h|d)\s*$")


_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


_ENTITY_DIM_PREFERENCE = (
    "dt.entity.service",
    "dt.entity.process_group_instance",
    "dt.entity.process_group",
    "dt.entity.host",
    "dt.entity.kubernetes_node",
    "dt.entity.cloud_application",
    "dt.entity.kubernetes_cluster",
)


#: |z| shown for a series whose baseline did not vary at all.
_ZERO_VARIANCE_Z_CAP = 50.0


_SERIES_META = {"timeframe", "interval", "metric.key", "dimensions", "start", "values", "unit"}


def parse_interval(value: object) -> timedelta | None:
    """A bucket interval from a DQL duration (``1m``, ``30s``) or a nanosecond number/string."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            return timedelta(seconds=seconds) if seconds > 0 else None
    nanos = as_float(value)
    if nanos is None or nanos <= 0:
        return None
    return timedelta(seconds=nanos / 1e9)


def _series_entity(dimensions: Mapping[str, str]) -> str | None:
    for key in _ENTITY_DIM_PREFERENCE:
        if dimensions.get(key):
            return dimensions[key]
    for key, value in dimensions.items():
        if key.startswith("dt.entity.") and value:
            return value
    # Series keyed only by names (OpenTelemetry or Kubernetes metrics): the name stands in for
    # the entity; the ranking resolves it to a candidate by display name or pod-name prefix.
    for key in NAME_DIMENSIONS:
        if dimensions.get(key):
            return dimensions[key]
    return None


def _metric_name(field: str) -> str:
    """The metric key inside a Grail field name (``avg(latency)``, ``avg(`my-key`)``)."""
    match = re.match(r"^\w+\((.+?)(?:,.*)?\)$", field)
    name = match.group(1).strip() if match else field
    return name[1:-1] if len(name) > 2 and name.startswith("`") and name.endswith("`") else name


def _expand_series(
    series: Record,
) -> list[tuple[str, dict[str, str], datetime, timedelta, list[Any], str | None]]:
    """Normalise one series record (case-file or Grail ``timeseries`` shape) to flat tuples."""
    if isinstance(series.get("values"), list) and "start" in series:
        start = parse_timestamp(series.get("start"))
        step = parse_interval(series.get("interval"))
        key = clean_text(series.get("metric.key"))
        raw_dims = series.get("dimensions")
        dims = (
            {str(k): str(v) for k, v in raw_dims.items() if v is not None}
            if isinstance(raw_dims, Mapping)
            else {}
        )
        if start is None or step is None or key is None:
            return []
        return [(key, dims, start, step, list(series["values"]), clean_text(series.get("unit")))]
    timeframe = series.get("timeframe")
    start = parse_timestamp(timeframe.get("start")) if isinstance(timeframe, Mapping) else None
    step = parse_interval(series.get("interval"))
    if start is None or step is None:
        return []
    dims = {
        str(k): str(v)
        for k, v in series.items()
        if k not in _SERIES_META and isinstance(v, str | int | float) and not isinstance(v, bool)
    }
    fixed_key = clean_text(series.get("metric.key"))
    out = []
    for field, values in series.items():
        if isinstance(values, list) and field not in _SERIES_META:
            key = (
                fixed_key
                if fixed_key and len([v for v in series.values() if isinstance(v, list)]) == 1
                else None
            )
            out.append(
                (key or _metric_name(field), dims, start, step, values, clean_text(series.get("unit")))
            )
    return out


_COUNTER_KEY = re.compile(r"_total\Z", re.IGNORECASE)


def counter_increments(key: str, values: list[Any]) -> list[Any]:
    """Per-interval increases of a cumulative counter; other series unchanged.

    Prometheus counters (``container_cpu_usage_seconds_total``) only ever grow, so their raw
    values rise through any window and would read as a deviation everywhere; what moves is
    the increase per interval. A series is treated as a counter when its key ends in
    ``_total`` and its values never fall except at a reset (a drop to below half, after
    which the new value is the increase). Gaps stay gaps; the first point has no increase.
    """
    if not _COUNTER_KEY.search(key):
        return values
    numbers = [as_float(v) for v in values]
    present = [v for v in numbers if v is not None]
    if len(present) < 3:
        return values
    falls = sum(1 for a, b in itertools.pairwise(present) if b < a)
    if falls > max(1, len(present) // 20):
        return values  # not cumulative: a gauge that happens to be named like a counter
    out: list[Any] = []
    previous: float | None = None
    for value in numbers:
        if value is None:
            out.append(None)
            continue
        if previous is None:
            out.append(None)
        elif value >= previous:
            out.append(value - previous)
        else:
            out.append(value if value < previous / 2 else None)
        previous = value
    return out


def _robust_spread(baseline: list[float], b_std: float) -> float:
    """The baseline's spread, not inflated by a few outlying points.

    A change a few minutes before the problem opens moves the last baseline points already
    (or a spike sits in it); the standard deviation then swells and hides a doubling. The
    median absolute deviation (scaled to a normal's sigma) ignores such points; the smaller
    of the two is the spread (never below half the standard deviation), and the floor below
    still keeps a flat baseline from alarming.
    """
    if len(baseline) < 8:
        return b_std
    centre = statistics.median(baseline)
    mad = statistics.median(abs(v - centre) for v in baseline) * 1.4826
    # At most halved: a baseline that really is noisy stays noisy.
    return max(min(b_std, mad), 0.5 * b_std) if mad > 0 else b_std


def _spread_floor(key: str, b_mean: float) -> float:
    """The smallest spread a z-score divides by: 5 % of the baseline mean.

    An availability sits near its ceiling (100 % or 1.0), so 5 % of its mean would hide a
    drop from 99.9 % to 87 %; its floor is 5 % of the *unavailable* share instead, at least
    a tenth of a percentage point.
    """
    if metric_kind(key) == "availability" and b_mean > 0:
        ceiling = 100.0 if b_mean > 1.5 else 1.0
        return max(abs(ceiling - b_mean) * 0.05, ceiling * 0.001)
    return max(abs(b_mean) * 0.05, 1e-9)


#: Points of a series kept on its deviation (the newest), for rules that look at one moment.
_MAX_SERIES_POINTS = 500


def metric_deviations(
    series: Iterable[Record], window: Window, *, source: str | None = None
) -> list[MetricDeviation]:
    """How far each series moved from its baseline: z-score and relative change of the incident mean.

    The z-score divides by the baseline's standard deviation floored at 5 % of its mean, so a
    perfectly flat baseline does not turn a tiny wobble into an alarm. Series without both a
    baseline and an incident point are reported with what is known (no z-score).
    """
    result: list[MetricDeviation] = []
    for record in series:
        if not isinstance(record, Mapping):
            continue
        for key, dims, start, step, raw_values, unit in _expand_series(record):
            values = counter_increments(key, raw_values)
            baseline: list[float] = []
            incident: list[float] = []
            for i, raw in enumerate(values):
                value = as_float(raw)
                if value is None:
                    continue
                ts = start + step * i
                if window.in_incident(ts):
                    incident.append(value)
                elif window.in_baseline(ts):
                    baseline.append(value)
            b_mean = statistics.fmean(baseline) if baseline else None
            b_std = statistics.pstdev(baseline) if len(baseline) > 1 else (0.0 if baseline else None)
            i_mean = statistics.fmean(incident) if incident else None
            z: float | None = None
            rel: float | None = None
            persistence: float | None = None
            if b_mean is not None and i_mean is not None and b_std is not None:
                floor = _spread_floor(key, b_mean)
                spread = max(_robust_spread(baseline, b_std), floor)
                z = (i_mean - b_mean) / spread
                if b_std == 0.0:
                    # A flat baseline makes any move look infinite; keep the figure readable.
                    z = max(-_ZERO_VARIANCE_Z_CAP, min(_ZERO_VARIANCE_Z_CAP, z))
                sign = 1.0 if i_mean >= b_mean else -1.0
                beyond = sum(1 for v in incident if (v - b_mean) * sign > 3.0 * spread)
                persistence = beyond / len(incident)
                rel = (i_mean - b_mean) / abs(b_mean) if b_mean != 0 else (math.inf if i_mean > 0 else 0.0)
                if math.isinf(rel):
                    rel = 1e6
            result.append(
                MetricDeviation(
                    entity_id=_series_entity(dims),
                    metric_key=key,
                    kind=metric_kind(key),
                    dimensions=dims,
                    unit=unit,
                    baseline_mean=b_mean,
                    baseline_std=b_std,
                    incident_mean=i_mean,
                    incident_max=max(incident) if incident else None,
                    z_score=z,
                    relative_change=rel,
                    baseline_points=len(baseline),
                    incident_points=len(incident),
                    incident_persistence=persistence,
                    series_start=start + step * max(0, len(values) - _MAX_SERIES_POINTS),
                    series_step_s=step.total_seconds(),
                    series=[as_float(v) for v in values[-_MAX_SERIES_POINTS:]],
                    source=source,
                )
            )
    return result
