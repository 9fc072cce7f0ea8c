"""The problem node: load the problem and fix the investigation window.

Everything after it depends on what it finds, so it is the one node whose failure stops the
run: without the problem there is nothing to investigate (the error says why). It stays
small (one or two requests) because every other node waits for it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import ProblemInfo, Window
from dynatrace_agent.analysis.signals import problem_info
from dynatrace_agent.capabilities import get_problem
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.change_query import forget_shared_calls
from graphs.investigation.nodes.common import (
    Collector,
    branch_budget,
    client_of,
    context_of,
    emit,
    fit_lines,
    prepare_server_run,
    short_time,
)
from graphs.investigation.state import InvestigationState

#: The Grail capabilities the evidence branches use (their tokens are prefetched).
GRAIL_BRANCH_CAPABILITIES = ("events", "traces", "logs", "metrics", "user_sessions", "business_events")

__all__ = ["investigation_window", "problem_node"]

#: Davis opens a problem a few minutes after the onset; the incident window starts this early.
ONSET_LEAD = timedelta(minutes=5)
MIN_BASELINE = timedelta(minutes=30)
MAX_BASELINE = timedelta(hours=2)
#: An open problem is looked at for at most this long after its start.
MAX_INCIDENT = timedelta(hours=1)


def investigation_window(info: ProblemInfo, *, now: datetime | None = None) -> Window | None:
    """Baseline before the onset, incident from shortly before the start to the end (or now).

    The baseline is twice as long as the incident (30 min to 2 h), so rates compare against
    a stable reference without reaching back into another day's pattern.
    """
    if info.start is None:
        return None
    incident_start = info.start - ONSET_LEAD
    end = info.end or min(now or datetime.now(UTC), info.start + MAX_INCIDENT)
    end = max(end, info.start + timedelta(minutes=5))
    baseline = min(MAX_BASELINE, max(MIN_BASELINE, 2 * (end - incident_start)))
    return Window(
        baseline_start=incident_start - baseline,
        baseline_end=incident_start,
        incident_start=incident_start,
        incident_end=end,
    )


def _digest(info: ProblemInfo, window: Window | None) -> list[str]:
    lines = [
        f"[P1] problem {info.display_id or info.problem_id} “{info.title}” severity {info.severity}, "
        f"impact {info.impact}, status {info.status}, start {short_time(info.start)}"
        + (f", end {short_time(info.end)}" if info.end else " (open)")
    ]
    if info.root_cause_hint is not None:
        hint = info.root_cause_hint
        lines.append(
            f"[P2] Davis root-cause hint: {hint.name or hint.id} ({hint.id}) — a hint, may be a symptom"
        )
    if window is not None:
        lines.append(
            f"[P3] window: baseline {short_time(window.baseline_start)}–{short_time(window.baseline_end)}, "
            f"incident {short_time(window.incident_start)}–{short_time(window.incident_end)} UTC"
        )
    for i, text in enumerate(info.evidence_summary, 1):
        lines.append(f"[D{i}] Davis evidence: {text}")
    return lines


async def problem_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Load the problem; raises when it cannot be loaded."""
    ctx = context_of(runtime)
    started = state.get("started_at") or time.time()
    forget_shared_calls(runtime.context)
    await prepare_server_run(runtime)
    client = client_of(runtime)
    base_calls = client.api_calls
    emit(runtime, "problem", "started", state["problem"])
    out = Collector(capability="problems")
    # The Grail branches' OAuth tokens are fetched while the problem loads, so that no branch
    # starts with a token round trip of its own.
    result, _ = await asyncio.gather(
        get_problem(client, state["problem"]), client.prefetch_tokens(GRAIL_BRANCH_CAPABILITIES)
    )
    out.cite(result)
    info = problem_info(result.records[0], source=result.query)
    window = investigation_window(info)
    lines, tokens = fit_lines(_digest(info, window), branch_budget(ctx))
    emit(
        runtime,
        "problem",
        "done",
        f"{info.display_id or info.problem_id}: {info.title} · {len(info.affected)} affected entities",
    )
    return {
        "started_at": started,
        "api_calls_base": base_calls,
        "environment_url": client.settings.environment_url,
        "problem_info": info.model_dump(mode="json"),
        "window": window.model_dump(mode="json") if window else None,
        "gaps": [g.model_dump(mode="json") for g in out.gaps],
        "citations": [c.model_dump(mode="json") for c in out.citations],
        "digests": {"problem": lines},
        "tool_output_tokens": tokens,
    }
