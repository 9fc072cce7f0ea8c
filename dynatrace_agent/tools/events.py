"""Change events: what changed (deployments, configuration, annotations) around a time or entity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, query_change_events
from dynatrace_agent.capabilities.events import CHANGE_EVENT_TYPES
from dynatrace_agent.tools.base import TIMEFRAME_END, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["QUERY_EVENTS", "QueryEventsArgs"]


class QueryEventsArgs(ToolArgs):
    """Which change events to list."""

    entity_ids: list[OneLine] = Field(
        default_factory=list,
        max_length=50,
    )
    event_types: list[OneLine] = Field(
        default_factory=lambda: list(CHANGE_EVENT_TYPES),
        max_length=20,
        description="CUSTOM_DEPLOYMENT, CUSTOM_CONFIGURATION, CUSTOM_INFO, CUSTOM_ANNOTATION.",
    )
    include_sdlc: bool = Field(default=True, description="Pipeline events too.")
    timeframe_start: str = Field(default="now-6h", description="ISO or now-1d.")
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    anchor: str | None = Field(
        default=None,
        description="Incident ISO time: changes just before it first.",
    )
    max_events: int = Field(default=200, ge=1, le=5000)


async def _run(client: DynatraceClient, args: QueryEventsArgs) -> CapabilityResult[Any]:
    return await query_change_events(
        client,
        entity_ids=args.entity_ids,
        event_types=args.event_types,
        include_sdlc=args.include_sdlc,
        timeframe_start=args.timeframe_start,
        timeframe_end=args.timeframe_end,
        anchor=args.anchor,
        max_events=args.max_events,
        resolve_names=True,
    )


QUERY_EVENTS = ToolSpec(
    name="dynatrace_query_events",
    capability="events",
    description=("What changed: deployments, configuration changes and annotations, with versions."),
    args_schema=QueryEventsArgs,
    run=_run,
)
