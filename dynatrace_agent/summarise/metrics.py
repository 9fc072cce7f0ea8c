"""Grail ``timeseries`` records → per-series min/avg/max/last and change points.

A model cannot read a thousand data points, but it can read "p90 of checkout rose from 40 ms
to 900 ms at 10:15". Each series is reduced to its statistics plus the single most
significant level shift (the split that best separates the series into two means), and the
series with the biggest shifts are listed first.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

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
    """The biggest level shift of a series: where, and the means before and after.

    ``until`` is set when the shifted level ended again inside the window (an incident that
    was rolled back): the series left its usual level at ``at`` and returned at ``until``.
    """

    index: int
    at: datetime | None
    before: float
    after: float
    end_index: int | None = None
    until: datetime | None = None

    @property
    def relative(self) -> float:
        """The change as a share of the level before (against 1 when that level is 0)."""
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


class _Sums:
    """Prefix sums of a series: the mean and squared error of any stretch in O(1)."""

    def __init__(self, xs: Sequence[float]) -> None:
        self.s = [0.0, *accumulate(xs)]
        self.q = [0.0, *accumulate(v * v for v in xs)]

    def _totals(self, stretches: tuple[tuple[int, int], ...]) -> tuple[int, float, float]:
        n, total, squares = 0, 0.0, 0.0
        for i, j in stretches:
            n += j - i
            total += self.s[j] - self.s[i]
            squares += self.q[j] - self.q[i]
        return n, total, squares

    def sse(self, *stretches: tuple[int, int]) -> float:
        """Squared error of the stretches pooled around their common mean."""
        n, total, squares = self._totals(stretches)
        return squares - total * total / n if n else 0.0

    def mean(self, *stretches: tuple[int, int]) -> float:
        n, total, _ = self._totals(stretches)
        return total / n if n else 0.0

    def best_split(self, lo: int, hi: int) -> int | None:
        """The split of ``[lo, hi)`` into two stretches of least squared error (one O(n) pass)."""
        ps, pq = self.s, self.q
        s_lo, q_lo = ps[lo], pq[lo]
        s_all, q_all = ps[hi] - s_lo, pq[hi] - q_lo
        n = hi - lo
        best_sse, best_k = math.inf, None
        for k in range(lo + MIN_SEGMENT, hi - MIN_SEGMENT + 1):
            left, m = ps[k] - s_lo, k - lo
            right = s_all - left
            # sse(left) + sse(right) = q_all - left²/m - right²/(n-m); q_all is the same for every k
            sse = q_all - left * left / m - right * right / (n - m)
            if sse < best_sse:
                best_sse, best_k = sse, k
        return best_k


def _median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else 0.0


def change_point(
    values: Sequence[float | None], start: datetime | None = None, step: timedelta | None = None
) -> ChangePoint | None:
    """The level shift that best explains the series, if it moves the level by ≥ 20 % and 2σ.

    Candidates are the best single split (a step that lasts to the end of the window) and a
    shifted stretch that returns to the usual level (binary segmentation: the best split, then
    the best split on either side of it), so an incident that was rolled back inside the window
    is found instead of being averaged away. The median must move too: one outlier at the
    window's edge is not a level shift. Gaps (None) are skipped; every pass is O(n).
    """
    points = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    n = len(points)
    if n < 2 * MIN_SEGMENT:
        return None
    xs = [v for _, v in points]
    sums = _Sums(xs)
    k = sums.best_split(0, n)
    if k is None:
        return None
    # (shifted stretch, the usual level's stretches)
    candidates: list[tuple[tuple[int, int], tuple[tuple[int, int], ...]]] = [((k, n), ((0, k),))]
    k1 = sums.best_split(0, k)
    if k1 is not None:
        candidates.append(((k1, k), ((0, k1), (k, n))))
    k2 = sums.best_split(k, n)
    if k2 is not None:
        candidates.append(((k, k2), ((0, k), (k2, n))))
    inside, outside = min(candidates, key=lambda c: sums.sse(c[0]) + sums.sse(*c[1]))
    before, after = sums.mean(*outside), sums.mean(inside)
    noise = math.sqrt(max(sums.sse(inside) + sums.sse(*outside), 0.0) / n)
    shift = abs(after - before)
    if shift < 2 * noise or shift < MIN_SHIFT * max(abs(before), abs(after), 1e-12):
        return None
    median_in = _median(xs[inside[0] : inside[1]])
    median_out = _median([x for i, j in outside for x in xs[i:j]])
    if (median_in - median_out) * (after - before) <= 0:
        return None  # the means moved, the typical value did not: a few outliers
    index = points[inside[0]][0]
    end_index = points[inside[1]][0] if inside[1] < n else None
    return ChangePoint(
        index=index,
        at=_time_of(start, step, index),
        before=before,
        after=after,
        end_index=end_index,
        until=_time_of(start, step, end_index) if end_index is not None else None,
    )


def _time_of(start: datetime | None, step: timedelta | None, index: int) -> datetime | None:
    try:
        return start + step * index if start is not None and step is not None else None
    except OverflowError:  # a nonsensical interval must not break the summary
        return None


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
            if s.change.end_index is not None:
                back = s.change.until.strftime("%H:%M") if s.change.until else f"point {s.change.end_index}"
                change += f", back at {back}"
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
