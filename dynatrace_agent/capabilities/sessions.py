"""RUM user sessions from Grail (``fetch user.sessions``, the new RUM model).

Only fields Grail has are queried (see :mod:`dynatrace_agent.fields`): the application is
``frontend.name`` (an array of the frontends a session touched), the user is
``dt.rum.user_tag`` (or the anonymous ``dt.rum.instance.id``), errors are counted under
``error.*``. Classic USQL names (``userExperienceScore``, ``userId``, ``totalErrorCount``,
``dt.entity.application``) do not exist in Grail and would silently match nothing.

New RUM has no experience score on a session, so "frustrated" is expressed over what Grail
records: a session that crashed or saw two or more errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from dynatrace_agent.capabilities.base import (
    CapabilityResult,
    Int,
    Record,
    Text,
    check_limit,
    fetch_records,
)
from dynatrace_agent.capabilities.filters import LOOKS_LIKE_ID
from dynatrace_agent.dql import DQLValueError, Expr, Query, eq, gte, is_true, member_of, or_, timeframe
from dynatrace_agent.summarise.sessions import FRUSTRATED_ERRORS, summarise_sessions

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "UserSession", "query_user_sessions"]

CAPABILITY = "user_sessions"


class UserSession(Record):
    """One user session (other fields are kept as extras)."""

    session_id: Text = Field(default=None, alias="dt.rum.session.id")
    user_tag: Text = Field(default=None, alias="dt.rum.user_tag")
    instance_id: Text = Field(default=None, alias="dt.rum.instance.id")
    frontend: Text = Field(default=None, alias="frontend.name")
    user_type: Text = Field(default=None, alias="dt.rum.user_type")
    errors: Int = Field(default=None, alias="error.count")
    start_time: Text = None


def application_condition(application: str) -> Expr:
    """Sessions that touched the frontend named ``application`` (``frontend.name`` is an array)."""
    text = application.strip()
    if LOOKS_LIKE_ID.match(text):
        raise DQLValueError(
            f"{application!r} is an entity id, but Grail's user.sessions name the application by "
            "frontend.name only; give the application's name (e.g. www.shop.example)."
        )
    return member_of(text, "frontend.name")


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
    """Sessions of an application (by name), optionally only frustrated / with errors / one user."""
    check_limit(max_sessions, "max_sessions", 1, 100_000)
    conditions: list[Expr] = []
    if application:
        conditions.append(application_condition(application))
    if frustrated_only:
        conditions.append(or_(is_true("error.has_crash"), gte("error.count", FRUSTRATED_ERRORS)))
    if with_errors:
        conditions.append(gte("error.count", 1))
    if user:
        conditions.append(or_(eq("dt.rum.user_tag", user.strip()), eq("dt.rum.instance.id", user.strip())))
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
