"""Real-user sessions from Grail: affected users, frustrated sessions, top errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, query_user_sessions
from dynatrace_agent.tools.base import TIMEFRAME_END, TIMEFRAME_START, OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["QUERY_USER_SESSIONS", "QueryUserSessionsArgs"]


class QueryUserSessionsArgs(ToolArgs):
    """Which user sessions to look at."""

    application: OneLine | None = Field(
        default=None,
        max_length=200,
        description="Frontend name as RUM reports it.",
    )
    frustrated_only: bool = Field(default=False, description="Crash or 2+ errors only.")
    with_errors: bool = Field(default=False, description="Sessions with errors only.")
    user: OneLine | None = Field(default=None, max_length=200, description="User tag or RUM instance id.")
    timeframe_start: str = Field(default="now-2h", description=TIMEFRAME_START)
    timeframe_end: str | None = Field(default=None, description=TIMEFRAME_END)
    max_sessions: int = Field(default=5000, ge=1, le=100_000)


async def _run(client: DynatraceClient, args: QueryUserSessionsArgs) -> CapabilityResult[Any]:
    return await query_user_sessions(
        client,
        application=args.application,
        frustrated_only=args.frustrated_only,
        with_errors=args.with_errors,
        user=args.user,
        timeframe_start=args.timeframe_start,
        timeframe_end=args.timeframe_end,
        max_sessions=args.max_sessions,
    )


QUERY_USER_SESSIONS = ToolSpec(
    name="dynatrace_query_user_sessions",
    capability="user_sessions",
    description=(
        "Real-user sessions: how many users and sessions were affected, top errors, example user and "
        "session ids."
    ),
    args_schema=QueryUserSessionsArgs,
    run=_run,
    empty_hint="Check the application's name as RUM reports it (frontend.name), or widen the timeframe.",
)
