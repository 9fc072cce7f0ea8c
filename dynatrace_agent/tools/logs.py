"""Logs from Grail: counts by level and service, top message patterns, new vs usual."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, query_logs
from dynatrace_agent.tools.base import TIMEFRAME_END, TIMEFRAME_START, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["QUERY_LOGS", "QueryLogsArgs"]

Level = Literal["ERROR", "WARN", "INFO", "DEBUG", "FATAL", "SEVERE", "WARNING", "TRACE", "NONE"]


class QueryLogsArgs(ToolArgs):
    """Which logs to look at."""

    service: OneLine | None = Field(
        default=None,
        max_length=200,
        description="Name or SERVICE- id.",
    )
    host: OneLine | None = Field(default=None, max_length=200, description="Name or HOST- id.")
    entity_ids: list[OneLine] = Field(default_factory=list, max_length=50)
    levels: list[Level] = Field(default_factory=list)
    text: OneLine | None = Field(
        default=None,
        max_length=500,
        description="Case-insensitive substring.",
    )
    timeframe_start: str = Field(default="now-1h", description=TIMEFRAME_START)
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    baseline_start: str | None = Field(
        default=None,
        description="Earlier start (e.g. now-3h) to mark new patterns.",
    )
    sample_size: int = Field(default=1000, ge=10, le=10_000)


async def _run(client: DynatraceClient, args: QueryLogsArgs) -> CapabilityResult[Any]:
    return await query_logs(
        client,
        service=args.service,
        host=args.host,
        entity_ids=args.entity_ids,
        levels=list(args.levels),
        text=args.text,
        timeframe_start=args.timeframe_start,
        timeframe_end=args.timeframe_end,
        baseline_start=args.baseline_start,
        sample_size=args.sample_size,
    )


QUERY_LOGS = ToolSpec(
    name="dynatrace_query_logs",
    capability="logs",
    description=("Logs: counts by level and service, top message patterns with examples, new patterns."),
    args_schema=QueryLogsArgs,
    run=_run,
    empty_hint="Check the service name with dynatrace_list_entities (entity_type SERVICE).",
)
