"""Metrics from Grail ``timeseries``, with classic ``builtin:`` keys translated where known.

Classic metric selectors (``builtin:service.response.time:percentile(90)``) are a different
language from Grail; only plain keys with a known Grail equivalent are translated, anything
else gets a clear error naming the Grail-native key to use instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from dynatrace_agent.capabilities.base import (
    CapabilityResult,
    Record,
    Text,
    check_limit,
    grail_query,
    to_models,
)
from dynatrace_agent.capabilities.filters import entities_condition
from dynatrace_agent.capabilities.names import display_names, entity_ids_in
from dynatrace_agent.dql import (
    DQLValueError,
    Expr,
    Query,
    entity_field,
    entity_id,
    func,
    identifier,
    metric_key,
    timeframe,
)
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.summarise.metrics import summarise_metrics
from dynatrace_agent.values import as_float

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = [
    "CAPABILITY",
    "CLASSIC_TO_GRAIL",
    "FAILURE_RATE",
    "MetricSeries",
    "failure_rate",
    "grail_metric_key",
    "query_metrics",
]

CAPABILITY = "metrics"
Aggregation = Literal["avg", "sum", "min", "max", "count", "p50", "p90", "p95", "p99"]
CLASSIC_TO_GRAIL = {
    "builtin:service.response.time": "dt.service.request.response_time",
    "builtin:service.errors.total.rate": "failure_rate",
    "builtin:service.errors.total.count": "dt.service.request.failure_count",
    "builtin:service.requestCount.total": "dt.service.request.count",
    "builtin:host.cpu.usage": "dt.host.cpu.usage",
    "builtin:host.mem.usage": "dt.host.memory.usage",
    "builtin:host.disk.usedPct": "dt.host.disk.used.percent",
}


#: Grail has no failure-rate metric: the rate is ``failure_count / count`` per bucket. Asking for
#: this name (or the classic errors-rate key, or the non-existent ``dt.service.request.failure_rate``)
#: fetches both counters and computes the percentage here.
FAILURE_RATE = "failure_rate"
_NOT_IN_GRAIL = {"dt.service.request.failure_rate": FAILURE_RATE}
_FAILURES, _REQUESTS = "dt.service.request.failure_count", "dt.service.request.count"
_RATE_PARTS = ("failure_rate_failures", "failure_rate_requests")


class MetricSeries(Record):
    """One timeseries record: dimensions as extras, values under the aggregation's field name."""

    interval: Text = None


def grail_metric_key(key: str) -> str:
    """A Grail metric key; classic ``builtin:`` keys are translated when an equivalent is known."""
    text = key.strip() if isinstance(key, str) else ""
    if text == FAILURE_RATE or text in _NOT_IN_GRAIL:
        return FAILURE_RATE
    if text.startswith(("builtin:", "ext:", "calc:", "func:")):
        if text in CLASSIC_TO_GRAIL:
            return CLASSIC_TO_GRAIL[text]
        known = ", ".join(f"{k} → {v}" for k, v in CLASSIC_TO_GRAIL.items())
        raise DQLValueError(
            f"{key!r} is a classic metric selector without a known Grail equivalent; use a Grail metric key "
            f"such as dt.service.request.response_time or dt.host.cpu.usage. Known translations: {known}"
        )
    return metric_key(text)


def _aggregate(aggregation: str, key: str) -> Expr:
    metric = Expr(metric_key(key))
    if aggregation in ("avg", "sum", "min", "max", "count"):
        return func(aggregation, metric)
    if aggregation in ("p50", "p90", "p95", "p99"):
        return func("percentile", metric, int(aggregation[1:]))
    raise DQLValueError(
        f"{aggregation!r} is not an aggregation; use avg, sum, min, max, count, p50, p90, p95 or p99"
    )


def failure_rate(failures: Any, requests: Any) -> list[float | None] | None:
    """Per-bucket failure percentage from the two counter series (null where nothing was counted)."""
    if not isinstance(failures, list) or not isinstance(requests, list):
        return None
    out: list[float | None] = []
    for f, r in zip(failures, requests, strict=False):
        fv, rv = as_float(f), as_float(r)
        out.append(None if fv is None or not rv else 100.0 * fv / rv)
    return out


async def query_metrics(
    client: DynatraceClient,
    metric_keys: Sequence[str],
    *,
    aggregation: Aggregation = "avg",
    by: Sequence[str] = (),
    entity_ids: Sequence[str] = (),
    timeframe_start: str | datetime = "now-1h",
    timeframe_end: str | datetime | None = None,
    interval: str | None = None,
    max_series: int = 200,
    resolve_names: bool = False,
) -> CapabilityResult[MetricSeries]:
    """Timeseries for up to 5 metric keys, split ``by`` dimensions, optionally for some entities.

    ``resolve_names`` looks up the display names of the entity ids among the dimensions (one
    Entities API request) so the summary reads ``payment (SERVICE-…)`` instead of a bare id.
    """
    check_limit(max_series, "max_series", 1, 5000)
    if not metric_keys or len(metric_keys) > 5:
        raise InvalidArgumentError("give 1 to 5 metric keys, e.g. dt.host.cpu.usage")
    keys = [grail_metric_key(k) for k in metric_keys]
    dims = [identifier(d) for d in by]
    for raw_id in entity_ids:
        dim = entity_field(entity_id(raw_id))
        if dim not in dims:
            dims.append(dim)
    aggs: list[tuple[str | None, Expr]] = []
    fields: list[str] = []
    for key in keys:
        if key == FAILURE_RATE:
            if FAILURE_RATE not in fields:
                aggs += [
                    (_RATE_PARTS[0], func("sum", Expr(_FAILURES))),
                    (_RATE_PARTS[1], func("sum", Expr(_REQUESTS))),
                ]
                fields.append(FAILURE_RATE)
            continue
        expr = _aggregate(aggregation, key)
        aggs.append((None, expr))
        fields.append(expr.text)
    query = Query.timeseries(
        aggs, by=dims, interval=interval, window=timeframe(timeframe_start, timeframe_end)
    )
    if entity_ids:
        query = query.filter(entities_condition(entity_ids))
    queries: list[str] = []
    result = await grail_query(
        client, CAPABILITY, query.limit(max_series), max_records=max_series, queries=queries
    )
    raw: list[dict[str, Any]] = result.records
    if FAILURE_RATE in fields:
        for record in raw:
            record[FAILURE_RATE] = failure_rate(record.get(_RATE_PARTS[0]), record.get(_RATE_PARTS[1]))
    units = {
        str(m.get("metric.key")): str(m.get("unit"))
        for m in (result.metadata.get("metrics") or [])
        if isinstance(m, dict) and m.get("unit")
    }
    if FAILURE_RATE in fields:
        units[FAILURE_RATE] = "Percent"
    names = await display_names(client, entity_ids_in(raw)) if resolve_names else {}
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(MetricSeries, raw),
        raw=raw,
        query=queries[0],
        grail=result,
        queries=queries,
        truncated=result.record_limit_reached,
        limits={"max_series": max_series},
        notes=[
            f"{k} was translated to {grail_metric_key(k)}"
            + (
                f" (sum({_FAILURES}) / sum({_REQUESTS}) per bucket, in %)"
                if grail_metric_key(k) == FAILURE_RATE
                else ""
            )
            for k in metric_keys
            if k in CLASSIC_TO_GRAIL or k in _NOT_IN_GRAIL
        ],
        summariser=lambda budget: summarise_metrics(
            raw, budget=budget, grail=result, metric_fields=fields, units=units or None, entity_names=names
        ),
    )
