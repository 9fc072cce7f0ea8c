"""Metrics from Grail ``timeseries``: per-series min/avg/max/last and change points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, query_metrics
from dynatrace_agent.tools.base import TIMEFRAME_END, TIMEFRAME_START, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["QUERY_METRICS", "QueryMetricsArgs"]


class QueryMetricsArgs(ToolArgs):
    """Which metrics, for what, over which window."""

    metric_keys: list[OneLine] = Field(
        min_length=1,
        max_length=5,
        description=(
            "1-5 Grail metric keys, e.g. dt.host.cpu.usage, dt.host.memory.usage, "
            "dt.service.request.response_time, dt.service.request.count, dt.service.request.failure_count. "
            "Classic keys like builtin:host.cpu.usage are translated when a Grail key is known."
        ),
    )
    aggregation: Literal["avg", "sum", "min", "max", "count", "p50", "p90", "p95", "p99"] = Field(
        default="avg", description="How values are aggregated per interval."
    )
    by: list[OneLine] = Field(
        default_factory=list,
        max_length=5,
        description="Dimensions to split by, e.g. ['dt.entity.host'] or ['dt.entity.service'].",
    )
    entity_ids: list[OneLine] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "Only series of these entities, e.g. ['HOST-7F8FC2CE5CE8047F'] (ids from "
            "dynatrace_list_entities)."
        ),
    )
    timeframe_start: str = Field(default="now-1h", description=TIMEFRAME_START)
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    interval: str | None = Field(
        default=None, description="Resolution such as 1m, 5m or 1h; leave empty to let Grail choose."
    )
    max_series: int = Field(default=100, ge=1, le=1000, description="At most this many series.")


async def _run(client: DynatraceClient, args: QueryMetricsArgs) -> CapabilityResult[Any]:
    return await query_metrics(
        client,
        args.metric_keys,
        aggregation=args.aggregation,
        by=args.by,
        entity_ids=args.entity_ids,
        timeframe_start=args.timeframe_start,
        timeframe_end=args.timeframe_end,
        interval=args.interval,
        max_series=args.max_series,
    )


QUERY_METRICS = ToolSpec(
    name="dynatrace_query_metrics",
    capability="metrics",
    description=(
        "Query metric timeseries from Dynatrace Grail for metric keys (CPU, memory, response time, "
        "request and "
        "failure counts…), per entity or dimension, with an aggregation and interval. Returns per-series "
        "min/avg/max/last with entity ids and the points where a series changed sharply."
    ),
    args_schema=QueryMetricsArgs,
    run=_run,
    empty_hint="List hosts or services with dynatrace_list_entities to check the entity ids.",
)
