"""Business events from Grail by type and provider, for volumes over time and before/after."""

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
from dynatrace_agent.dql import Expr, Query, in_, timeframe
from dynatrace_agent.summarise._common import safe_timestamp
from dynatrace_agent.summarise.bizevents import summarise_bizevents

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "BizEvent", "query_business_events"]

CAPABILITY = "business_events"


class BizEvent(Record):
    """One business event; its payload attributes are kept as extras."""

    timestamp: Text = None
    event_id: Text = Field(default=None, alias="event.id")
    event_type: Text = Field(default=None, alias="event.type")
    provider: Text = Field(default=None, alias="event.provider")


async def query_business_events(
    client: DynatraceClient,
    *,
    event_types: Sequence[str] = (),
    providers: Sequence[str] = (),
    timeframe_start: str | datetime = "now-2h",
    timeframe_end: str | datetime | None = None,
    split_at: str | datetime | None = None,
    max_events: int = 5000,
) -> CapabilityResult[BizEvent]:
    """Business events of the given types/providers; ``split_at`` compares rates before and after."""
    check_limit(max_events, "max_events", 1, 100_000)
    conditions: list[Expr] = []
    if event_types:
        conditions.append(in_("event.type", list(event_types)))
    if providers:
        conditions.append(in_("event.provider", list(providers)))
    query = (
        Query.fetch("bizevents", timeframe(timeframe_start, timeframe_end))
        .filter(*conditions)
        .sort("timestamp", descending=True)
        .limit(max_events)
    )
    split = split_at if isinstance(split_at, datetime) else safe_timestamp(split_at) if split_at else None
    return await fetch_records(
        client,
        CAPABILITY,
        BizEvent,
        query,
        limit=max_events,
        limit_name="max_events",
        summarise=lambda raw, grail, budget: summarise_bizevents(
            raw, budget=budget, grail=grail, split_at=split
        ),
    )
