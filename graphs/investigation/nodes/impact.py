"""Impact branch: users and sessions, business-event volume against the baseline, SLOs at risk.

Sessions of the incident window are read through the sessions capability (bounded), business
events are counted by type in Grail per window, and SLOs come from the SLO service. Each of
the three may be unavailable on its own; whatever is missing is a gap, the rest still counts.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import BizEventVolume, Impact, ProblemInfo, Window
from dynatrace_agent.analysis.signals import impact
from dynatrace_agent.capabilities import list_slos, query_user_sessions
from dynatrace_agent.capabilities.base import grail_query
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.dql import Query, func, timeframe
from dynatrace_agent.errors import DynatraceAgentError
from dynatrace_agent.values import as_int
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import (
    Collector,
    incident_flag,
    no_window_gap,
    run_branch,
    split_rows,
    window_of,
)
from graphs.investigation.state import InvestigationState

__all__ = ["impact_node"]

MAX_SESSIONS = 5000


async def _biz_counts(client: DynatraceClient, window: Window, out: Collector) -> list[BizEventVolume] | None:
    queries: list[str] = []

    try:
        result = await grail_query(
            client,
            "business_events",
            Query.fetch("bizevents", timeframe(window.baseline_start, window.incident_end))
            .fields_add(incident=incident_flag(window))
            .summarize([("count", func("count"))], by=["event.type", "incident"])
            .limit(1000),
            max_records=1000,
            queries=queries,
        )
    except DynatraceAgentError as err:
        out.gap("business_events", err)
        return None
    split = split_rows(result.records)
    before, during = (
        {str(r.get("event.type") or "unknown"): as_int(r.get("count")) or 0 for r in split[p]}
        for p in ("baseline", "incident")
    )
    out.cite_queries("business_events", queries)
    volumes = []
    for event_type in sorted(set(before) | set(during)):
        b, i = before.get(event_type, 0), during.get(event_type, 0)
        b_rate, i_rate = b / window.baseline_minutes, i / window.incident_minutes
        volumes.append(
            BizEventVolume(
                event_type=event_type,
                baseline_count=b,
                incident_count=i,
                baseline_per_min=round(b_rate, 4),
                incident_per_min=round(i_rate, 4),
                relative_change=round((i_rate - b_rate) / b_rate, 4) if b_rate > 0 else None,
            )
        )
    return volumes


def _lines(result: Impact) -> list[str]:
    lines = []
    if result.sessions is not None:
        lines.append(
            f"[I1] {result.sessions} sessions of {result.affected_users} users in the incident, "
            f"{result.error_sessions} with errors, {result.frustrated_sessions} frustrated"
            + (f"; top errors: {', '.join(result.top_errors[:3])}" if result.top_errors else "")
        )
    if result.estimated_affected_users is not None:
        lines.append(f"[I2] Davis estimates {result.estimated_affected_users} affected users")
    n = 3
    for b in sorted(result.bizevents, key=lambda v: v.relative_change or 0.0):
        change = f"{b.relative_change:+.0%}" if b.relative_change is not None else "new"
        lines.append(
            f"[I{n}] business events {b.event_type}: {b.baseline_per_min:.2f}/min → "
            f"{b.incident_per_min:.2f}/min ({change})"
        )
        n += 1
    for slo in result.slos_at_risk:
        lines.append(
            f"[I{n}] SLO at risk: {slo.name} status {slo.status}, value {slo.value}, target {slo.target}"
        )
        n += 1
    return lines


async def _gather(
    client: DynatraceClient, state: InvestigationState, ctx: InvestigationContext, out: Collector
) -> None:
    window = window_of(state)
    info = ProblemInfo.model_validate(state["problem_info"])
    if window is None:
        out.gaps.append(no_window_gap("user_sessions"))
        out.update["impact"] = Impact(estimated_affected_users=info.estimated_affected_users).model_dump(
            mode="json"
        )
        return
    sessions, slos, volumes = await asyncio.gather(
        out.attempt(
            "user_sessions",
            query_user_sessions(
                client,
                timeframe_start=window.incident_start,
                timeframe_end=window.incident_end,
                max_sessions=MAX_SESSIONS,
            ),
        ),
        out.attempt("slos", list_slos(client)),
        _biz_counts(client, window, out),
    )
    result = impact(
        sessions.raw if sessions else [],
        [],
        slos.raw if slos else [],
        window,
        estimated_affected_users=info.estimated_affected_users,
        source=sessions.query if sessions else None,
    )
    if volumes is not None:
        result.bizevents = volumes
    out.update["impact"] = result.model_dump(mode="json")
    out.lines.extend(_lines(result) or ["[I0] no user, business-event or SLO impact data found"])


async def impact_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Who and what the incident affected."""
    return await run_branch("impact", _gather, state, runtime)
