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
        description="Service name (e.g. checkout) or service entity id (SERVICE-…).",
    )
    endpoint: OneLine | None = Field(
        default=None, max_length=300, description="Endpoint or span name, e.g. 'POST /api/checkout'."
    )
    failed_only: bool = Field(default=False, description="Only failed requests.")
    min_duration_ms: float | None = Field(
        default=None, ge=0, le=86_400_000, description="Only spans at least this slow, in milliseconds."
    )
    trace_id: OneLine | None = Field(
        default=None, max_length=64, description="Only the spans of this trace id (hex)."
    )
    timeframe_start: str = Field(default="now-1h", description=TIMEFRAME_START)
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    sample_size: int = Field(default=500, ge=10, le=10_000, description="How many slowest spans to sample.")


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
    )


QUERY_TRACES = ToolSpec(
    name="dynatrace_query_traces",
    capability="traces",
    description=(
        "Analyse distributed traces (spans in Grail) by service, endpoint, failed only, minimum duration or "
        "trace id. Returns p50/p90/p99 latency and failure rate over the window, the slowest traces "
        "(trace ids), "
        "the top failing endpoints and the service where failures originate."
    ),
    args_schema=QueryTracesArgs,
    run=_run,
    empty_hint="Check the service name with dynatrace_list_entities (entity_type SERVICE).",
)
