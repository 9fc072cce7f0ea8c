"""Report node: the ``InvestigationReport`` with its run statistics, as JSON in the state.

The narrative comes from the synthesis node when a model wrote one, else from the report's
templates. Statistics: API calls (the client's counter since the run started), tokens of
evidence text produced for a model, model tokens, and wall time.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Analysis
from dynatrace_agent.report import LlmTokens, RunStats, build_report
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.analysis import evidence_from_state
from graphs.investigation.nodes.common import client_of, emit
from graphs.investigation.state import InvestigationState

__all__ = ["report_node"]


async def report_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Assemble the report."""
    emit(runtime, "report", "started")
    evidence = evidence_from_state(state)
    synthesis = state.get("synthesis") or {}
    analysis = Analysis.model_validate(synthesis.get("analysis") or state["analysis"])
    calls = client_of(runtime).api_calls
    base = state.get("api_calls_base") or 0
    llm = state.get("llm_tokens") or {}
    stats = RunStats(
        api_calls=calls - base if calls >= base else calls,
        tool_output_tokens=state.get("tool_output_tokens") or 0,
        llm_tokens=LlmTokens(input=int(llm.get("input", 0)), output=int(llm.get("output", 0))),
        wall_ms=int((time.time() - (state.get("started_at") or time.time())) * 1000),
    )
    report = build_report(
        evidence,
        analysis,
        environment_url=state.get("environment_url") or client_of(runtime).settings.environment_url,
        narrative=synthesis.get("narrative") or None,
        stats=stats,
    )
    emit(
        runtime, "report", "done", f"{len(report.ranked_root_causes)} candidates, {stats.api_calls} API calls"
    )
    return {"report": report.model_dump(mode="json")}
