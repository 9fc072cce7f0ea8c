"""Grail ``timeseries`` records → per-series min/avg/max/last and change points.

A model cannot read a thousand data points, but it can read "p90 of checkout rose from 40 ms
to 900 ms at 10:15". Each series is reduced to its statistics plus the single most
significant level shift (the split that best separates the series into two means), and the
series with the biggest shifts are listed first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dynatrace_agent.summarise._common import Record, fmt_num, fmt_time, safe_timestamp, text_of
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    fit_sections,
    grail_facts_line,
    table_section,
    top_n,
)
from dynatrace_agent.values import as_float, as_int

__all__ = ["ChangePoint", "SeriesStats", "change_point", "series_stats", "summarise_metrics"]

_META_FIELDS = {"timeframe", "interval"}
MIN_SEGMENT = 3
MIN_SHIFT = 0.2  # relative change below which a shift is not reported


@dataclass(frozen=True)
class ChangePoint:
    """The biggest level shift of a series: where, and the means before and after."""

    index: int
    at: datetime | None
    before: float
    after: float

    @property
    def relative(self) -> float:
        base = abs(self.before) if self.before else 1.0
        return (self.after - self.before) / base


@dataclass(frozen=True)
class SeriesStats:
    """One series reduced to the figures a reader needs."""

    metric: str
    dimensions: dict[str, str]
    points: int
    minimum: float | None
    average: float | None
    maximum: float | None
    last: float | None
    change: ChangePoint | None


def change_point(
    values: Sequence[float | None], start: datetime | None = None, step: timedelta | None = None
) -> ChangePoint | None:
    """The split minimising within-segment squared error, if it shifts the mean by ≥ 20 % and 2σ.

    Gaps (None) are skipped; one pass with prefix sums keeps this O(n).
    """
    points = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    n = len(points)
    if n < 2 * MIN_SEGMENT:
        return None
    xs = [v for _, v in points]
    prefix = [0.0]
    prefix_sq = [0.0]
    for v in xs:
        prefix.append(prefix[-1] + v)
        prefix_sq.append(prefix_sq[-1] + v * v)
    total, total_sq = prefix[-1], prefix_sq[-1]
    best: tuple[float, int] | None = None
    for k in range(MIN_SEGMENT, n - MIN_SEGMENT + 1):
        left, right = prefix[k], total - prefix[k]
        sse = (prefix_sq[k] - left * left / k) + ((total_sq - prefix_sq[k]) - right * right / (n - k))
        if best is None or sse < best[0]:
            best = (sse, k)
    assert best is not None
    sse, k = best
    before = prefix[k] / k
    after = (total - prefix[k]) / (n - k)
    noise = math.sqrt(max(sse, 0.0) / n)
    shift = abs(after - before)
    if shift < 2 * noise or shift < MIN_SHIFT * max(abs(before), abs(after), 1e-12):
        return None
    index = points[k][0]
    try:
        at = start + step * index if start is not None and step is not None else None
    except OverflowError:  # a nonsensical interval must not break the summary
        at = None
    return ChangePoint(index=index, at=at, before=before, after=after)


def _interval(record: Record) -> timedelta | None:
    """The series' bucket width; None when missing, non-positive or absurdly large."""
    nanos = as_int(record.get("interval"))
    if not nanos or nanos <= 0:
        return None
    try:
        return timedelta(microseconds=nanos / 1000)
    except OverflowError:
        return None


def _start(record: Record) -> datetime | None:
    frame = record.get("timeframe")
    if isinstance(frame, Mapping):
        return safe_timestamp(frame.get("start"))
    return safe_timestamp(record.get("start"))


def series_stats(records: Sequence[Record], metric_fields: Sequence[str] | None = None) -> list[SeriesStats]:
    """Per-series statistics for every array-valued metric field of every record."""
    result: list[SeriesStats] = []
    for record in records:
        fields = metric_fields or [
            k for k, v in record.items() if isinstance(v, list) and k not in _META_FIELDS
        ]
        dims = {
            k: str(v)
            for k, v in record.items()
            if k not in _META_FIELDS and k not in fields and not isinstance(v, list | dict) and v is not None
        }
        start, step = _start(record), _interval(record)
        for name in fields:
            raw = record.get(name)
            if not isinstance(raw, list):
                continue
            values = [as_float(v) for v in raw]
            present = [v for v in values if v is not None]
            result.append(
                SeriesStats(
                    metric=name,
                    dimensions=dims,
                    points=len(present),
                    minimum=min(present) if present else None,
                    average=sum(present) / len(present) if present else None,
                    maximum=max(present) if present else None,
                    last=present[-1] if present else None,
                    change=change_point(values, start, step),
                )
            )
    return result


def _dims_label(dims: Mapping[str, str], names: Mapping[str, str]) -> str:
    parts = []
    for value in dims.values():
        name = names.get(value)
        parts.append(f"{name} ({value})" if name else value)
    return ", ".join(parts) or "(all)"


def summarise_metrics(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    metric_fields: Sequence[str] | None = None,
    units: Mapping[str, str] | None = None,
    entity_names: Mapping[str, str] | None = None,
    narrow: str | None = "fewer metric keys, entity ids or a shorter timeframe",
) -> str:
    """A budgeted summary of timeseries records: one row per series, shifted series first."""
    stats = series_stats(records, metric_fields)
    if not stats:
        return fit_sections(
            "No metric data matched. Check the metric key (Grail keys like dt.host.cpu.usage), "
            "the entity ids, or widen the timeframe.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    names = dict(entity_names or {})
    for record in records:
        for key, value in record.items():
            if key.endswith(".name") and isinstance(value, str):
                entity = text_of(record, key.removesuffix(".name"))
                if entity:
                    names.setdefault(entity, value)
    changed = [s for s in stats if s.change is not None]
    metrics = sorted({s.metric for s in stats})
    headline = (
        f"{len(stats):,} series of {', '.join(metrics[:5])}{' …' if len(metrics) > 5 else ''}; "
        f"{len(changed):,} with a level shift"
    )
    if units:
        headline += "; units: " + ", ".join(f"{k} {v}" for k, v in units.items())

    def order(s: SeriesStats) -> tuple[float, float]:
        shift = abs(s.change.relative) if s.change else -1.0
        return (-shift, -(s.maximum or 0.0))

    rows = []
    for s in sorted(stats, key=order)[: top_n(budget, per_item=60)]:
        change = "–"
        if s.change is not None:
            change = (
                f"{fmt_num(s.change.before)}→{fmt_num(s.change.after)} at "
                f"{fmt_time(s.change.at) if s.change.at else f'point {s.change.index}'}"
            )
        rows.append(
            [
                _dims_label(s.dimensions, names),
                s.metric,
                fmt_num(s.minimum),
                fmt_num(s.average),
                fmt_num(s.maximum),
                fmt_num(s.last),
                change,
            ]
        )
    section = table_section(
        None,
        ["series", "metric", "min", "avg", "max", "last", "change point"],
        rows,
        noun="series",
        total=len(stats),
        max_cell_chars=70,
    )
    return fit_sections(
        headline,
        [section],
        budget=budget,
        facts=grail_facts_line(grail, returned=len(records)),
        narrow=narrow,
    )
