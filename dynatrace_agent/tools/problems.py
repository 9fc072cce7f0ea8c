"""Davis problems: list them with filters, or get one with its root cause and evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, get_problem, list_problems
from dynatrace_agent.tools.base import TIMEFRAME_END, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["GET_PROBLEM", "LIST_PROBLEMS", "GetProblemArgs", "ListProblemsArgs"]

Severity = Literal[
    "AVAILABILITY",
    "CUSTOM_ALERT",
    "ERROR",
    "INFO",
    "MONITORING_UNAVAILABLE",
    "PERFORMANCE",
    "RESOURCE_CONTENTION",
]
Impact = Literal["APPLICATION", "ENVIRONMENT", "INFRASTRUCTURE", "SERVICES"]


class ListProblemsArgs(ToolArgs):
    """Filters for Davis problems."""

    status: Literal["open", "closed"] | None = Field(
        default=None, description="Only open or only closed problems; leave empty for both."
    )
    severity: list[Severity] = Field(
        default_factory=list, description="Only these severity levels, e.g. ['ERROR', 'AVAILABILITY']."
    )
    impact: list[Impact] = Field(
        default_factory=list, description="Only these impact levels, e.g. ['SERVICES']."
    )
    entity_ids: list[OneLine] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "Only problems affecting these entities, by Dynatrace entity id such as SERVICE-5647DB217B04C447 "
            "(look ids up with dynatrace_list_entities)."
        ),
    )
    tags: list[OneLine] = Field(
        default_factory=list,
        max_length=20,
        description="Only problems on entities with these tags, e.g. 'team:web'.",
    )
    text: OneLine | None = Field(
        default=None,
        max_length=30,
        description="Words in the problem title or details (at most 30 characters).",
    )
    timeframe_start: str = Field(
        default="now-2h", description="How far back to look: now-2h, now-24h, now-7d or an ISO timestamp."
    )
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    max_problems: int = Field(
        default=50, ge=1, le=500, description="At most this many problems, newest first."
    )


async def _list(client: DynatraceClient, args: ListProblemsArgs) -> CapabilityResult[Any]:
    return await list_problems(
        client,
        status=args.status,
        severity=list(args.severity),
        impact=list(args.impact),
        entity_ids=args.entity_ids,
        tags=args.tags,
        text=args.text,
        timeframe=args.timeframe_start,
        to=args.timeframe_end,
        max_problems=args.max_problems,
    )


LIST_PROBLEMS = ToolSpec(
    name="dynatrace_list_problems",
    capability="problems",
    description=(
        "List Davis problems (detected incidents) in Dynatrace, filtered by status, timeframe, severity, "
        "impact, affected entity or tag. Returns a compact table with display id (P-…), problemId, status, "
        "severity, title, root-cause entity and start time. Use dynatrace_get_problem for one problem's "
        "details."
    ),
    args_schema=ListProblemsArgs,
    run=_list,
    empty_hint="To filter by a service name, first find its id with dynatrace_list_entities.",
)


class GetProblemArgs(ToolArgs):
    """Which problem to fetch."""

    problem: OneLine = Field(
        min_length=1,
        max_length=80,
        description=(
            "The problem's display id like P-25031177, or its problemId (from dynatrace_list_problems)."
        ),
    )


async def _get(client: DynatraceClient, args: GetProblemArgs) -> CapabilityResult[Any]:
    return await get_problem(client, args.problem)


GET_PROBLEM = ToolSpec(
    name="dynatrace_get_problem",
    capability="problems",
    description=(
        "Get one Davis problem by display id (P-…) or problemId: Davis' root cause, affected and impacted "
        "entities (with ids), evidence (events, metrics), impact analysis, comments and a link to the "
        "problem."
    ),
    args_schema=GetProblemArgs,
    run=_get,
)
