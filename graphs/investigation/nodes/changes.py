"""Changes branch: deployments, configuration changes and other change events near the start.

Change events are few, so every one in the window is fetched and the analysis decides which
one matters (it credits only changes on candidate entities; the others are decoys).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import ProblemInfo
from dynatrace_agent.analysis.signals import change_events
from dynatrace_agent.client import DynatraceClient
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.change_query import window_change_events
from graphs.investigation.nodes.common import (
    Collector,
    no_window_gap,
    run_branch,
    short_time,
    window_of,
)
from graphs.investigation.state import InvestigationState

__all__ = ["changes_node"]


async def _gather(
    client: DynatraceClient,
    state: InvestigationState,
    ctx: InvestigationContext,
    out: Collector,
    *,
    runtime: Runtime[InvestigationContext],
) -> None:
    window = window_of(state)
    if window is None:
        out.gaps.append(no_window_gap("events"))
        return
    info = ProblemInfo.model_validate(state["problem_info"])
    # Every change in the window: the candidates are found at the same time (topology node),
    # and the analysis only credits changes on candidates. Change events are few, and the
    # topology branch shares this query (entities changed right before the start).
    result = await out.attempt("events", window_change_events(client, runtime, window, info.start))
    if result is None:
        return
    changes = change_events(result.raw, (), info.start, source=result.query)
    out.update["changes"] = [c.model_dump(mode="json") for c in changes]
    names = _affected_names(info)
    ranked = sorted(changes, key=lambda c: abs(c.minutes_from_start or 1e9))
    for i, ch in enumerate(ranked, 1):
        where = ", ".join(names.get(e, e) for e in ch.entity_ids[:3]) or "no entity"
        minutes = f"{ch.minutes_from_start:+.0f} min" if ch.minutes_from_start is not None else "? min"
        detail = "; ".join(f"{k}={v}" for k, v in list(ch.details.items())[:3])
        out.lines.append(
            f"[C{i}] {ch.kind} “{ch.name or ch.event_type}” on {where} at {short_time(ch.timestamp)} "
            f"({minutes} from start) event {ch.event_id}" + (f" — {detail}" if detail else "")
        )
    if not changes:
        out.lines.append("[C0] no change event on any candidate in the window")


def _affected_names(info: ProblemInfo) -> dict[str, str]:
    return {e.id: e.name for e in [*info.affected, *info.impacted] if e.name}


async def changes_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Change events on the candidates in the window."""
    return await run_branch("changes", partial(_gather, runtime=runtime), state, runtime)
