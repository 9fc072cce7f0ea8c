"""Business events from Grail: volumes over time and a before/after comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, query_business_events
from dynatrace_agent.tools.base import TIMEFRAME_END, TIMEFRAME_START, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["QUERY_BUSINESS_EVENTS", "QueryBusinessEventsArgs"]


class QueryBusinessEventsArgs(ToolArgs):
    """Which business events to count."""

    event_types: list[OneLine] = Field(
        default_factory=list,
        max_length=20,
        description="E.g. com.shop.order.completed; empty for all.",
    )
    providers: list[OneLine] = Field(
        default_factory=list,
        max_length=20,
        description="Event providers.",
    )
    timeframe_start: str = Field(default="now-2h", description=TIMEFRAME_START)
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    split_at: str | None = Field(
        default=None,
        description="ISO time (e.g. problem start) to compare rates before/after.",
    )
    max_events: int = Field(default=5000, ge=1, le=100_000)


async def _run(client: DynatraceClient, args: QueryBusinessEventsArgs) -> CapabilityResult[Any]:
    return await query_business_events(
        client,
        event_types=args.event_types,
        providers=args.providers,
        timeframe_start=args.timeframe_start,
        timeframe_end=args.timeframe_end,
        split_at=args.split_at,
        max_events=args.max_events,
    )


QUERY_BUSINESS_EVENTS = ToolSpec(
    name="dynatrace_query_business_events",
    capability="business_events",
    description=(
        "Business events (orders, payments): volume per type over time, and the rate before/after split_at."
    ),
    args_schema=QueryBusinessEventsArgs,
    run=_run,
    empty_hint="Leave event_types empty to see which event types exist.",
)
