"""Spans from Grail: latency percentiles, failure rate, slowest traces, failure origins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, query_spans
from dynatrace_agent.tools.base import TIMEFRAME_END, TIMEFRAME_START, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["QUERY_TRACES", "QueryTracesArgs"]


class QueryTracesArgs(ToolArgs):
    """Which spans to analyse."""

    service: OneLine | None = Field(
        default=None,
        max_length=200,
        description="Name or SERVICE- id.",
    )
    endpoint: OneLine | None = Field(default=None, max_length=300)
    failed_only: bool = Field(default=False, description="Failed spans only.")
    min_duration_ms: float | None = Field(default=None, ge=0, le=86_400_000)
    trace_id: OneLine | None = Field(default=None, max_length=64)
    timeframe_start: str = Field(default="now-1h", description=TIMEFRAME_START)
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    sample_size: int = Field(default=500, ge=10, le=10_000)
    slowest_traces: bool = False


async def _run(client: DynatraceClient, args: QueryTracesArgs) -> CapabilityResult[Any]:
    return await query_spans(
        client,
        service=args.service,
        endpoint=args.endpoint,
        failed_only=args.failed_only,
        min_duration_ms=args.min_duration_ms,
        trace_id=args.trace_id,
        timeframe_start=args.timeframe_start,
        timeframe_end=args.timeframe_end,
        sample_size=args.sample_size,
        slowest=args.slowest_traces,
        resolve_names=True,
    )


QUERY_TRACES = ToolSpec(
    name="dynatrace_query_traces",
    capability="traces",
    description=(
        "Traces: p50/p90/p99 latency, failure rate, slowest traces, failing endpoints, where failures "
        "originate."
    ),
    args_schema=QueryTracesArgs,
    run=_run,
    empty_hint="Check the service name with dynatrace_list_entities (entity_type SERVICE).",
)
