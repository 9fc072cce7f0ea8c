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
        description="Only changes on these entity ids (e.g. the services of a problem); empty for all.",
    )
    event_types: list[OneLine] = Field(
        default_factory=lambda: list(CHANGE_EVENT_TYPES),
        max_length=20,
        description=(
            "Event types to include: CUSTOM_DEPLOYMENT, CUSTOM_CONFIGURATION, CUSTOM_INFO, CUSTOM_ANNOTATION "
            "(default: all four)."
        ),
    )
    include_sdlc: bool = Field(default=True, description="Also include SDLC (pipeline) events.")
    timeframe_start: str = Field(
        default="now-6h", description="How far back to look: now-6h, now-1d or an ISO timestamp."
    )
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    anchor: str | None = Field(
        default=None,
        description=(
            "ISO timestamp of the incident (e.g. the problem start from dynatrace_get_problem): the changes "
            "closest before it are listed first."
        ),
    )
    max_events: int = Field(default=200, ge=1, le=5000, description="At most this many events.")


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
    )


QUERY_EVENTS = ToolSpec(
    name="dynatrace_query_events",
    capability="events",
    description=(
        "List change events — deployments, configuration changes, custom info and annotations — around an "
        "entity "
        "or a time: a 'what changed' timeline with versions, who/what changed it and the event ids. "
        "Distinct from Davis problems."
    ),
    args_schema=QueryEventsArgs,
    run=_run,
)
