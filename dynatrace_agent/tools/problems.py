"""Davis problems: list them with filters, or get one with its root cause and evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, get_problem, list_problems
from dynatrace_agent.models import ImpactLevel, ProblemRef, SeverityLevel
from dynatrace_agent.tools.base import TIMEFRAME_END, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["GET_PROBLEM", "LIST_PROBLEMS", "GetProblemArgs", "ListProblemsArgs"]


class ListProblemsArgs(ToolArgs):
    """Filters for Davis problems."""

    status: Literal["open", "closed"] | None = Field(default=None)
    severity: list[SeverityLevel] = Field(default_factory=list)
    impact: list[ImpactLevel] = Field(default_factory=list)
    entity_ids: list[OneLine] = Field(
        default_factory=list,
        max_length=50,
        description="Affected entity ids.",
    )
    tags: list[OneLine] = Field(
        default_factory=list,
        max_length=20,
        description="E.g. team:web.",
    )
    text: OneLine | None = Field(
        default=None,
        max_length=30,
        description="Title words.",
    )
    timeframe_start: str = Field(default="now-2h", description="now-2h, now-7d or ISO time.")
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    max_problems: int = Field(default=50, ge=1, le=500)


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
        "Davis problems (incidents): id, status, severity, title, root-cause entity, start. Start here."
    ),
    args_schema=ListProblemsArgs,
    run=_list,
    empty_hint="To filter by a service name, first find its id with dynatrace_list_entities.",
)


class GetProblemArgs(ToolArgs):
    """Which problem to fetch."""

    problem: ProblemRef = Field(
        min_length=1,
        max_length=80,
        description="Display id like P-25031177, or problemId.",
    )


async def _get(client: DynatraceClient, args: GetProblemArgs) -> CapabilityResult[Any]:
    return await get_problem(client, args.problem)


GET_PROBLEM = ToolSpec(
    name="dynatrace_get_problem",
    capability="problems",
    description=("One problem: window, Davis root cause, affected entity ids, evidence, impact."),
    args_schema=GetProblemArgs,
    run=_get,
)
