"""Change events from Grail: deployments, configuration changes, annotations, SDLC events.

Distinct from Davis problems: these are what *people and pipelines* did, the usual trigger
of an incident. Filtered to change types, optionally around entities, newest first.

Which table holds them varies by tenant generation: Events API v2 events are in ``events``,
some tenants expose Davis events in ``dt.davis.events`` as well. So ``events`` is asked
first and ``dt.davis.events`` only when it has nothing, with both queries cited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from dynatrace_agent.capabilities.base import (
    CapabilityResult,
    Record,
    Text,
    check_limit,
    fetch_records,
)
from dynatrace_agent.capabilities.names import display_names
from dynatrace_agent.dql import (
    Expr,
    Query,
    entity_field,
    entity_id,
    eq,
    field_ref,
    func,
    in_,
    or_,
    timeframe,
)
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.summarise._common import safe_timestamp
from dynatrace_agent.summarise.events import event_entity, summarise_events

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "CHANGE_EVENT_TABLES", "CHANGE_EVENT_TYPES", "ChangeEvent", "query_change_events"]

CAPABILITY = "events"
CHANGE_EVENT_TYPES = ("CUSTOM_DEPLOYMENT", "CUSTOM_CONFIGURATION", "CUSTOM_INFO", "CUSTOM_ANNOTATION")
#: Where change events live, in the order asked (the second only when the first has none).
CHANGE_EVENT_TABLES = ("events", "dt.davis.events")


class ChangeEvent(Record):
    """One change event."""

    timestamp: Text = None
    event_id: Text = Field(default=None, alias="event.id")
    event_type: Text = Field(default=None, alias="event.type")
    event_kind: Text = Field(default=None, alias="event.kind")
    name: Text = Field(default=None, alias="event.name")
    source_entity: Text = Field(default=None, alias="dt.source_entity")


def _entity_condition(ids: Sequence[str]) -> Expr:
    parts: list[Expr] = []
    for raw in ids:
        checked = entity_id(raw)
        parts.append(eq("dt.source_entity", checked))
        parts.append(eq(entity_field(checked), checked))
        parts.append(func("in", checked, field_ref("affected_entity_ids")))
    return or_(*parts)


async def query_change_events(
    client: DynatraceClient,
    *,
    entity_ids: Sequence[str] = (),
    event_types: Sequence[str] = CHANGE_EVENT_TYPES,
    include_sdlc: bool = True,
    timeframe_start: str | datetime = "now-6h",
    timeframe_end: str | datetime | None = None,
    anchor: str | datetime | None = None,
    max_events: int = 200,
    resolve_names: bool = False,
) -> CapabilityResult[ChangeEvent]:
    """Change events (and SDLC events) in the window, around ``entity_ids`` when given.

    ``anchor`` (e.g. the problem start) makes the summary list the changes closest before it
    first. ``resolve_names`` looks up the display names of the changed entities (one Entities
    API request), since events carry only their ids.
    """
    check_limit(max_events, "max_events", 1, 5000)
    types = []
    for kind in event_types:
        upper = kind.strip().upper()
        if not upper.replace("_", "").isalnum():
            raise InvalidArgumentError(f"{kind!r} is not an event type such as CUSTOM_DEPLOYMENT")
        types.append(upper)
    if not types and not include_sdlc:
        raise InvalidArgumentError("ask for at least one event type or include SDLC events")
    kinds: list[Expr] = []
    if types:
        kinds.append(in_("event.type", types))
    if include_sdlc:
        kinds.append(eq("event.kind", "SDLC_EVENT"))
    anchor_at = anchor if isinstance(anchor, datetime) else safe_timestamp(anchor) if anchor else None
    names: dict[str, str] = {}
    tried: list[str] = []
    result: CapabilityResult[ChangeEvent] | None = None
    for table in CHANGE_EVENT_TABLES:
        query = Query.fetch(table, timeframe(timeframe_start, timeframe_end)).filter(or_(*kinds))
        if entity_ids:
            query = query.filter(_entity_condition(entity_ids))
        query = query.sort("timestamp", descending=True).limit(max_events)
        result = await fetch_records(
            client,
            CAPABILITY,
            ChangeEvent,
            query,
            limit=max_events,
            limit_name="max_events",
            summarise=lambda raw, grail, budget: summarise_events(
                raw, budget=budget, grail=grail, anchor=anchor_at, entity_names=names
            ),
        )
        tried.extend(result.queries)
        if result.raw:
            break
    assert result is not None
    result.queries = tried
    if len(tried) > 1:
        result.notes.append(
            "fetch events had no change events; "
            + ("dt.davis.events had them" if result.raw else "dt.davis.events had none either")
        )
    if resolve_names:
        names.update(await display_names(client, [e for r in result.raw if (e := event_entity(r))]))
    return result
