"""``timeseries`` over metric series and ``makeTimeseries`` over records.

Both produce Grail's time-series record shape: ``timeframe {start, end}``, ``interval`` (a
duration), the group-by fields and one array per aggregation with a value (or null) per bucket.
The timeframe is widened to whole intervals, as Grail aligns it.

``timeseries`` re-buckets the stored series to the requested interval: every stored data
point falls into the output bucket containing its start time, and the aggregation is applied
to all points of a group's series in that bucket (``avg`` is the mean of those points, ``sum``
their total, ``count`` their number). An interval finer than the stored resolution is raised to
that resolution, with a notification, because data cannot be invented.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import ast
from .aggregate import AggFn, compile_aggregation, percentile_of
from .compile import CompileContext, Record, compile_expr
from .datasource import DataSource, MetricSeries
from .errors import DQLParseError
from .types import Duration, Timeframe, Timestamp

__all__ = ["SeriesResult", "aligned", "make_timeseries", "metric_timeseries"]

_MAX_BUCKETS = 10_000


@dataclass
class SeriesResult:
    """Records plus what Grail reports about them."""

    records: list[Record]
    timeframe: tuple[int, int]
    metrics_metadata: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    scanned_data_points: int = 0


def aligned(start: int, end: int, interval: int, query: str, where: tuple[int, int]) -> tuple[int, int, int]:
    """Widen ``[start, end)`` to whole intervals; return (start, end, bucket count)."""
    a_start = start - start % interval
    a_end = -((-end) // interval) * interval
    count = (a_end - a_start) // interval
    if count > _MAX_BUCKETS:
        raise DQLParseError(
            "TOO_MANY_BUCKETS",
            f"The timeframe holds {count} intervals; at most {_MAX_BUCKETS} are allowed. "
            "Choose a larger interval or a shorter timeframe.",
            query,
            where[0],
            where[1],
        )
    return a_start, a_end, max(count, 1) if a_end > a_start else 0


def _notification(severity: str, kind: str, message: str) -> dict[str, Any]:
    return {
        "severity": severity,
        "notificationType": kind,
        "message": message,
        "messageFormat": message,
        "arguments": [],
        "messageFormatSpecifierTypes": [],
        "syntaxPosition": None,
    }


def _metric_reducer(name: str, call: ast.Call) -> Callable[[list[float]], Any]:
    if name == "avg":
        return lambda vs: sum(vs) / len(vs)
    if name == "sum":
        return lambda vs: float(sum(vs))
    if name == "min":
        return min
    if name == "max":
        return max
    if name == "count":
        return len
    pct = 50.0 if name == "median" else float(call.args[1].value)  # type: ignore[union-attr, arg-type]
    return lambda vs: percentile_of(vs, pct)


def metric_timeseries(
    cmd: ast.TimeseriesCmd,
    data: DataSource,
    ctx: CompileContext,
    query: str,
    timeframe: tuple[int, int],
    interval: int | None,
) -> SeriesResult:
    """Evaluate a ``timeseries`` command over the metric series."""
    notifications: list[dict[str, Any]] = []
    filt = compile_expr(cmd.filter, ctx) if cmd.filter is not None else None
    dims = [(item.name, item.expr.name) for item in cmd.by if isinstance(item.expr, ast.FieldRef)]
    selected: list[tuple[ast.NamedExpr, ast.Call, list[MetricSeries]]] = []
    for item in cmd.aggregations:
        call = item.expr
        assert isinstance(call, ast.Call) and isinstance(call.args[0], ast.FieldRef)
        key = call.args[0].name
        all_series = data.metrics.get(key, [])
        if not all_series:
            notifications.append(
                _notification(
                    "WARN",
                    "UNKNOWN_METRIC_KEY",
                    f"No series of the metric {key!r} exist in this environment.",
                )
            )
        series = [s for s in all_series if filt is None or filt(dict(s.dimensions)) is True]
        selected.append((item, call, series))
    native = max((s.interval_ns for _, _, ss in selected for s in ss), default=60_000_000_000)
    from .timeframes import auto_interval

    if interval is None:
        interval = auto_interval(timeframe[1] - timeframe[0], native)
    elif interval < native:
        notifications.append(
            _notification(
                "INFO",
                "INTERVAL_ADJUSTED",
                f"The interval was raised to the stored resolution of {native // 1_000_000_000}s.",
            )
        )
        interval = native
    start, end, buckets = aligned(timeframe[0], timeframe[1], interval, query, (cmd.start, cmd.end - 1))
    groups: dict[tuple[Any, ...], dict[str, list[Any]]] = {}
    metadata: list[dict[str, Any]] = []
    points = 0
    for item, call, series in selected:
        reduce = _metric_reducer(call.name, call)
        default = compile_expr(dict(call.named)["default"], ctx)({}) if call.named else None
        per_group: dict[tuple[Any, ...], list[list[float]]] = {}
        for s in series:
            gkey = tuple(s.dimensions.get(d) for _, d in dims)
            bucket_values = per_group.setdefault(gkey, [[] for _ in range(buckets)])
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                t = s.start_ns + i * s.interval_ns
                if start <= t < end:
                    bucket_values[(t - start) // interval].append(v)
                    points += 1
        for gkey, bucket_values in per_group.items():
            arrays = groups.setdefault(gkey, {})
            arrays[item.name] = [reduce(vs) if vs else default for vs in bucket_values]
        unit = next((s.unit for s in series if s.unit), None)
        metadata.append(
            {
                "metric.key": call.args[0].name,  # type: ignore[union-attr]
                "fieldName": item.name,
                "displayName": call.args[0].name,  # type: ignore[union-attr]
                "description": "",
                "unit": unit or "unspecified",
                "aggregation": call.name,
                "rollup": "",
                "rate": "",
                "scalar": False,
                "shifted": False,
            }
        )
    records: list[Record] = []
    tf = Timeframe(Timestamp(start), Timestamp(end))
    for gkey, arrays in groups.items():
        rec: Record = {"timeframe": tf, "interval": Duration(interval)}
        for (name, _), value in zip(dims, gkey, strict=True):
            rec[name] = value
        for item, _, _ in selected:
            rec[item.name] = arrays.get(item.name)
        records.append(rec)
    return SeriesResult(records, (start, end), metadata, notifications, points)


def make_timeseries(
    cmd: ast.MakeTimeseriesCmd,
    records: list[Record],
    ctx: CompileContext,
    query: str,
    timeframe: tuple[int, int],
    interval: int | None,
) -> SeriesResult:
    """Evaluate ``makeTimeseries`` over the records flowing into it."""
    from .timeframes import auto_interval

    if interval is None:
        interval = auto_interval(timeframe[1] - timeframe[0], 1_000_000_000)
    start, end, buckets = aligned(timeframe[0], timeframe[1], interval, query, (cmd.start, cmd.end - 1))
    by_fns = [(item.name, compile_expr(item.expr, ctx)) for item in cmd.by]
    aggs: list[tuple[str, AggFn, Any]] = []
    for item in cmd.aggregations:
        call = item.expr
        assert isinstance(call, ast.Call)
        default = (
            compile_expr(dict(call.named)["default"], ctx)({}) if "default" in dict(call.named) else None
        )
        plain = ast.Call(call.name, call.args, (), call.start, call.end)
        aggs.append((item.name, compile_aggregation(plain, ctx), default))
    time_field = cmd.time_field
    groups: dict[tuple[Any, ...], tuple[list[Any], list[list[Record]]]] = {}
    for rec in records:
        t = rec.get(time_field)
        if t.__class__ is not Timestamp or not start <= t < end:
            continue
        values = [f(rec) for _, f in by_fns]
        gkey = tuple(_hashable_key(v) for v in values)
        entry = groups.get(gkey)
        if entry is None:
            entry = groups[gkey] = (values, [[] for _ in range(buckets)])
        entry[1][(int(t) - start) // interval].append(rec)
    out: list[Record] = []
    tf = Timeframe(Timestamp(start), Timestamp(end))
    for values, bucket_rows in groups.values():
        rec_out: Record = {"timeframe": tf, "interval": Duration(interval)}
        for (name, _), value in zip(by_fns, values, strict=True):
            rec_out[name] = value
        for name, fn, default in aggs:
            rec_out[name] = [fn(rows) if rows else default for rows in bucket_rows]
        out.append(rec_out)
    return SeriesResult(out, (start, end))


def _hashable_key(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", tuple(_hashable_key(v) for v in value))
    if isinstance(value, dict):
        return ("rec", tuple(sorted((k, _hashable_key(v)) for k, v in value.items())))
    return (value.__class__.__name__, value)
