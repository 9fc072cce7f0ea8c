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
            "1-5 keys, e.g. dt.host.cpu.usage, dt.host.memory.usage, dt.service.request.response_time, "
            "dt.service.request.failure_count (builtin: keys are translated)."
        ),
    )
    aggregation: Literal["avg", "sum", "min", "max", "count", "p50", "p90", "p95", "p99"] = Field(
        default="avg", description="Per interval."
    )
    by: list[OneLine] = Field(
        default_factory=list,
        max_length=5,
        description="Split by, e.g. dt.entity.host.",
    )
    entity_ids: list[OneLine] = Field(
        default_factory=list,
        max_length=50,
        description="Only these entity ids.",
    )
    timeframe_start: str = Field(default="now-1h", description=TIMEFRAME_START)
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    interval: str | None = Field(default=None, description="1m, 5m, 1h; empty for auto.")
    max_series: int = Field(default=100, ge=1, le=1000)


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
        resolve_names=True,
    )


QUERY_METRICS = ToolSpec(
    name="dynatrace_query_metrics",
    capability="metrics",
    description=(
        "Metric timeseries (Grail) per entity or dimension: min/avg/max/last per series and where it "
        "changed sharply."
    ),
    args_schema=QueryMetricsArgs,
    run=_run,
    empty_hint="List hosts or services with dynatrace_list_entities to check the entity ids.",
)
