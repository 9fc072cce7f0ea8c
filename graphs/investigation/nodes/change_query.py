"""The window's change events, asked once per run though two branches need them.

The changes branch reports every change event in the window, and the topology branch hands
the entities changed just before the start to the metrics (``nodes.changed_entities``). Both
run at the same time, so neither can wait for the other's result: the first to ask starts the
query in the run's context and the second awaits the same result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import cast

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Window
from dynatrace_agent.capabilities import CapabilityResult, query_change_events
from dynatrace_agent.capabilities.events import CHANGE_EVENT_TYPES, ChangeEvent
from dynatrace_agent.client import DynatraceClient
from graphs.investigation.context import InvestigationContext

__all__ = ["CHANGE_QUERY_TYPES", "MAX_CHANGE_EVENTS", "forget_shared_calls", "window_change_events"]

#: Change events, plus restarts: a crash-looping process is the analysis's own-trouble sign.
CHANGE_QUERY_TYPES = (*CHANGE_EVENT_TYPES, "PROCESS_RESTART")
#: Change events are few; every one in the window is fetched and the analysis picks.
MAX_CHANGE_EVENTS = 500


async def window_change_events(
    client: DynatraceClient,
    runtime: Runtime[InvestigationContext],
    window: Window,
    anchor: datetime | None,
) -> CapabilityResult[ChangeEvent]:
    """Every change event (and restart) from the baseline start to the incident end.

    One query per run and window: callers awaiting at the same time share it. A caller that
    gives up (its branch's deadline) does not cancel the query for the other one.
    """
    ctx = runtime.context

    def ask() -> Awaitable[CapabilityResult[ChangeEvent]]:
        return query_change_events(
            client,
            timeframe_start=window.baseline_start,
            timeframe_end=window.incident_end,
            anchor=anchor,
            event_types=CHANGE_QUERY_TYPES,
            max_events=MAX_CHANGE_EVENTS,
        )

    if ctx is None:  # no context to share through: each caller asks on its own
        return await ask()
    key = ("change_events", id(client), window.baseline_start, window.incident_end, anchor)
    shared = ctx.shared_calls.get(key)
    if shared is None:
        shared = asyncio.ensure_future(ask())
        ctx.shared_calls[key] = shared
    return cast(CapabilityResult[ChangeEvent], await asyncio.shield(shared))


def forget_shared_calls(ctx: InvestigationContext | None) -> None:
    """Drop an earlier run's shared results: a caller may pass one context to several runs."""
    if ctx is not None:
        ctx.shared_calls.clear()
