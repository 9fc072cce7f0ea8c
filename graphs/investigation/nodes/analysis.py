"""Analysis node: combine the branches' evidence and rank the root-cause candidates.

Pure and deterministic (``rank_root_causes``); this node only rebuilds the evidence models
from the JSON state and stores the outcome.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import (
    Analysis,
    Candidate,
    ChangeEvent,
    Citation,
    Evidence,
    Gap,
    Impact,
    LineShift,
    LogStats,
    MetricDeviation,
    ProblemInfo,
    TraceStats,
    Window,
    rank_root_causes,
)
from dynatrace_agent.capabilities import list_entities
from dynatrace_agent.client import DynatraceClient
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import client_of, emit
from graphs.investigation.state import InvestigationState

__all__ = ["analysis_node", "evidence_from_state", "guard_blind_verdict", "name_unnamed"]

#: Change kinds someone made on purpose (not availability or other events).
_MADE_CHANGES = ("deployment", "configuration")
_ENTITY_ID = re.compile(r"^([A-Z][A-Z0-9_]*)-[0-9A-F]{16}$")


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def evidence_from_state(state: InvestigationState) -> Evidence:
    """The typed evidence gathered so far (gaps and citations de-duplicated)."""
    window = state.get("window")
    candidates = [Candidate.model_validate(c) for c in state.get("candidates") or []]
    ids = {c.entity_id for c in candidates}
    changes = [ChangeEvent.model_validate(c) for c in state.get("changes") or []]
    if ids:
        # Changes were fetched for the whole environment: keep those on candidates, and every
        # deployment or configuration change in the window wherever it is (the root may lie
        # deeper than the topology was explored; the ranking makes its entity a candidate).
        changes = [c for c in changes if ids.intersection(c.entity_ids) or c.kind in _MADE_CHANGES]
    return Evidence(
        problem=ProblemInfo.model_validate(state["problem_info"]),
        window=Window.model_validate(window) if window else None,
        candidates=candidates,
        changes=changes,
        traces=[TraceStats.model_validate(t) for t in state.get("traces") or []],
        logs=[LogStats.model_validate(lg) for lg in state.get("logs") or []],
        line_shifts=[LineShift.model_validate(s) for s in state.get("line_shifts") or []],
        metrics=[MetricDeviation.model_validate(m) for m in state.get("metrics") or []],
        impact=Impact.model_validate(state.get("impact") or {}),
        gaps=[Gap.model_validate(g) for g in _unique(list(state.get("gaps") or []))],
        citations=[Citation.model_validate(c) for c in _unique(list(state.get("citations") or []))],
    )


def guard_blind_verdict(evidence: Evidence, analysis: Analysis) -> Analysis:
    """No deviation data at all is not a false alarm: without traces, logs or metrics say "unknown".

    The ranking concludes ``none`` when nothing deviates; when nothing *could be seen* (every
    deviation source was a gap) that conclusion would be confident and wrong, so the
    false-alarm flag is lifted and the confidence capped.
    """
    blind = not (evidence.traces or evidence.logs or evidence.metrics)
    if not blind or not evidence.gaps or not analysis.false_alarm:
        return analysis
    fixed = analysis.model_copy(deep=True)
    fixed.false_alarm = False
    fixed.confidence = min(fixed.confidence, 0.2)
    fixed.summary = (
        "No traces, logs or metrics could be read, so deviations could not be checked; the ranking rests "
        "on the problem, its entities and Davis's hint only."
    )
    return fixed


async def name_unnamed(client: DynatraceClient, analysis: Analysis, *, top: int = 5) -> None:
    """Give the leading candidates their display names when only their ids were seen.

    A candidate found in span or metric dimensions outside the topology neighbourhood has no
    name yet; one entity lookup per type fixes that for the ones a reader will look at. A
    failed lookup leaves the ids, which are still correct.
    """
    by_type: dict[str, list[str]] = {}
    for ranked in analysis.ranked[:top]:
        match = _ENTITY_ID.match(ranked.entity_id)
        if ranked.name is None and match:
            by_type.setdefault(match.group(1), []).append(ranked.entity_id)
    if not by_type:
        return
    found: dict[str, str] = {}
    results = await asyncio.gather(
        *(list_entities(client, entity_ids=ids, max_entities=len(ids)) for ids in by_type.values()),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            continue
        for raw in result.raw:
            if isinstance(raw.get("entityId"), str) and isinstance(raw.get("displayName"), str):
                found[raw["entityId"]] = raw["displayName"]
    for ranked in analysis.ranked:
        if ranked.name is None and ranked.entity_id in found:
            ranked.name = found[ranked.entity_id]


async def analysis_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Rank the candidates."""
    emit(runtime, "analysis", "started")
    evidence = evidence_from_state(state)
    analysis = guard_blind_verdict(evidence, rank_root_causes(evidence))
    await name_unnamed(client_of(runtime), analysis)
    top = analysis.ranked[0] if analysis.ranked else None
    detail = (
        f"top: {top.name or top.entity_id} ({analysis.category}, confidence {analysis.confidence:.0%})"
        if top
        else "no candidate"
    )
    emit(runtime, "analysis", "done", detail)
    return {"analysis": analysis.model_dump(mode="json")}
