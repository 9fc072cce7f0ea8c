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
from dynatrace_agent.summarise.metrics import summarise_metrics

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "CLASSIC_TO_GRAIL", "MetricSeries", "grail_metric_key", "query_metrics"]

CAPABILITY = "metrics"
Aggregation = Literal["avg", "sum", "min", "max", "count", "p50", "p90", "p95", "p99"]
CLASSIC_TO_GRAIL = {
    "builtin:service.response.time": "dt.service.request.response_time",
    "builtin:service.errors.total.rate": "dt.service.request.failure_rate",
    "builtin:service.errors.total.count": "dt.service.request.failure_count",
    "builtin:service.requestCount.total": "dt.service.request.count",
    "builtin:host.cpu.usage": "dt.host.cpu.usage",
    "builtin:host.mem.usage": "dt.host.memory.usage",
    "builtin:host.disk.usedPct": "dt.host.disk.used.percent",
}


class MetricSeries(Record):
    """One timeseries record: dimensions as extras, values under the aggregation's field name."""

    interval: Text = None


def grail_metric_key(key: str) -> str:
    """A Grail metric key; classic ``builtin:`` keys are translated when an equivalent is known."""
    text = key.strip() if isinstance(key, str) else ""
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
        raise DQLValueError("give 1 to 5 metric keys, e.g. dt.host.cpu.usage")
    keys = [grail_metric_key(k) for k in metric_keys]
    dims = [identifier(d) for d in by]
    for raw_id in entity_ids:
        dim = entity_field(entity_id(raw_id))
        if dim not in dims:
            dims.append(dim)
    aggs: list[tuple[str | None, Expr]] = [(None, _aggregate(aggregation, key)) for key in keys]
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
    units = {
        str(m.get("metric.key")): str(m.get("unit"))
        for m in (result.metadata.get("metrics") or [])
        if isinstance(m, dict) and m.get("unit")
    }
    fields = [expr.text for _, expr in aggs]
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
        notes=[f"{k} was translated to {CLASSIC_TO_GRAIL[k]}" for k in metric_keys if k in CLASSIC_TO_GRAIL],
        summariser=lambda budget: summarise_metrics(
            raw, budget=budget, grail=result, metric_fields=fields, units=units or None, entity_names=names
        ),
    )
