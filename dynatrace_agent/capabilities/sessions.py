"""RUM user sessions from Grail, tolerant of new-RUM and classic field names.

The filters cannot know which vocabulary a tenant uses, so "frustrated" and "with errors"
are expressed over both (``userExperienceScore == "FRUSTRATED"`` or its new-RUM spelling;
``error.count > 0`` or ``totalErrorCount > 0``); a field that does not exist is null and
simply does not match.
"""

from __future__ import annotations

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
from dynatrace_agent.capabilities.filters import named_condition
from dynatrace_agent.dql import Expr, Query, eq, gte, or_, timeframe
from dynatrace_agent.summarise.sessions import summarise_sessions

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "UserSession", "query_user_sessions"]

CAPABILITY = "user_sessions"


class UserSession(Record):
    """One user session (either field vocabulary; the other fields are kept as extras)."""

    session_id: Text = Field(default=None, alias="dt.rum.session.id")
    user_session_id: Text = Field(default=None, alias="userSessionId")
    user_id: Text = Field(default=None, alias="userId")
    experience: Text = Field(default=None, alias="userExperienceScore")
    application: Text = Field(default=None, alias="dt.entity.application")
    start_time: Text = None


async def query_user_sessions(
    client: DynatraceClient,
    *,
    application: str | None = None,
    frustrated_only: bool = False,
    with_errors: bool = False,
    user: str | None = None,
    timeframe_start: str | datetime = "now-2h",
    timeframe_end: str | datetime | None = None,
    max_sessions: int = 5000,
) -> CapabilityResult[UserSession]:
    """Sessions of an application (id or name), optionally only frustrated / with errors / one user."""
    check_limit(max_sessions, "max_sessions", 1, 100_000)
    conditions: list[Expr] = []
    if application:
        conditions.append(
            or_(
                named_condition(application, id_field="dt.entity.application", name_field="application.name"),
                named_condition(application, id_field="dt.entity.application", name_field="applicationName"),
            )
        )
    if frustrated_only:
        conditions.append(
            or_(eq("userExperienceScore", "FRUSTRATED"), eq("dt.rum.user_experience_score", "FRUSTRATED"))
        )
    if with_errors:
        conditions.append(or_(gte("error.count", 1), gte("totalErrorCount", 1)))
    if user:
        conditions.append(or_(eq("userId", user), eq("user.id", user), eq("internalUserId", user)))
    query = (
        Query.fetch("user.sessions", timeframe(timeframe_start, timeframe_end))
        .filter(*conditions)
        .sort("start_time", descending=True)
        .limit(max_sessions)
    )
    return await fetch_records(
        client,
        CAPABILITY,
        UserSession,
        query,
        limit=max_sessions,
        limit_name="max_sessions",
        summarise=lambda raw, grail, budget: summarise_sessions(raw, budget=budget, grail=grail),
    )
