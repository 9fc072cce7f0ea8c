"""Every tool spec, in the order tools are offered (the order a model reads them)."""

from __future__ import annotations

from typing import Any

from dynatrace_agent.tools.alerting import LIST_ALERTING_RULES
from dynatrace_agent.tools.base import ToolSpec
from dynatrace_agent.tools.bizevents import QUERY_BUSINESS_EVENTS
from dynatrace_agent.tools.dql import EXECUTE_DQL
from dynatrace_agent.tools.entities import LIST_ENTITIES
from dynatrace_agent.tools.events import QUERY_EVENTS
from dynatrace_agent.tools.logs import QUERY_LOGS
from dynatrace_agent.tools.metrics import QUERY_METRICS
from dynatrace_agent.tools.problems import GET_PROBLEM, LIST_PROBLEMS
from dynatrace_agent.tools.sessions import QUERY_USER_SESSIONS
from dynatrace_agent.tools.slos import LIST_SLOS
from dynatrace_agent.tools.traces import QUERY_TRACES

__all__ = ["COMPACT_TOOL_NAMES", "TOOL_NAMES", "TOOL_SPECS", "spec"]

TOOL_SPECS: tuple[ToolSpec[Any], ...] = (
    LIST_PROBLEMS,
    GET_PROBLEM,
    QUERY_METRICS,
    QUERY_LOGS,
    QUERY_TRACES,
    QUERY_BUSINESS_EVENTS,
    QUERY_USER_SESSIONS,
    LIST_ENTITIES,
    QUERY_EVENTS,
    LIST_ALERTING_RULES,
    LIST_SLOS,
    EXECUTE_DQL,
)
TOOL_NAMES: tuple[str, ...] = tuple(s.name for s in TOOL_SPECS)

#: The compact set, for callers that want fewer definitions per model turn: find the problem,
#: read it, then logs, traces, changes and topology, with DQL for everything else. Metrics,
#: sessions and business events stay reachable through DQL.
COMPACT_TOOL_NAMES: tuple[str, ...] = (
    "dynatrace_list_problems",
    "dynatrace_get_problem",
    "dynatrace_query_logs",
    "dynatrace_query_traces",
    "dynatrace_list_entities",
    "dynatrace_query_events",
    "dynatrace_execute_dql",
)


def spec(name: str) -> ToolSpec[Any]:
    """The spec of tool ``name``; ``KeyError`` naming the known tools otherwise."""
    for item in TOOL_SPECS:
        if item.name == name:
            return item
    raise KeyError(f"no tool named {name!r}; known tools: {', '.join(TOOL_NAMES)}")
