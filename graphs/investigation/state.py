"""The graph's state: JSON-plain dicts and lists only, so checkpoints serialise cleanly.

Evidence travels as ``model_dump(mode="json")`` of the analysis models; nodes rebuild the
models when they need them. Keys written by parallel branches have reducers (lists are
concatenated, digests merged) so branches never overwrite one another.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

__all__ = ["InputState", "InvestigationState", "OutputState", "merge_dicts"]

JSON = dict[str, Any]


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: later keys win, earlier keys are kept (branch digests, per-branch timings)."""
    return {**(left or {}), **(right or {})}


class InputState(TypedDict):
    """What a caller gives: the problem's display id (``P-…``) or problemId."""

    problem: str


class OutputState(TypedDict, total=False):
    """What a caller gets back: the report as JSON (``InvestigationReport.model_dump(mode="json")``)."""

    report: JSON


class InvestigationState(TypedDict, total=False):
    """Everything the nodes share during one investigation."""

    problem: str
    started_at: float  # epoch seconds when the problem node started (for wall time and the deadline)
    api_calls_base: int  # client.api_calls when the run started
    environment_url: str
    problem_info: JSON  # ProblemInfo
    window: JSON  # Window
    candidates: list[JSON]  # Candidate
    changes: list[JSON]  # ChangeEvent
    traces: list[JSON]  # TraceStats
    logs: list[JSON]  # LogStats
    line_shifts: list[JSON]  # LineShift
    metrics: list[JSON]  # MetricDeviation
    impact: JSON  # Impact
    gaps: Annotated[list[JSON], operator.add]  # Gap
    citations: Annotated[list[JSON], operator.add]  # Citation
    digests: Annotated[dict[str, Any], merge_dicts]  # branch → list of evidence lines "[ID] text"
    branch_ms: Annotated[dict[str, Any], merge_dicts]  # branch → wall milliseconds
    tool_output_tokens: Annotated[int, operator.add]
    analysis: JSON  # Analysis
    synthesis: JSON  # narrative, ranking decision, notes
    llm_tokens: JSON  # {"input": n, "output": n}
    report: JSON
