"""Deterministic analysis: raw records → evidence models → ranked, explained root causes.

``stats`` holds pure helpers, ``evidence`` the models the graph fills, ``signals`` the
record → model conversions, and ``rank`` the scoring.
"""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import (
    CATEGORIES,
    BizEventVolume,
    Candidate,
    Category,
    ChangeEvent,
    Citation,
    EntityRef,
    Evidence,
    EvidenceItem,
    Gap,
    Impact,
    LineShift,
    LogPattern,
    LogStats,
    MetricDeviation,
    ProblemInfo,
    SloRisk,
    TraceStats,
    TraceWindowStats,
    Window,
    metric_kind,
)
from dynatrace_agent.analysis.rank import Analysis, RankedCandidate, rank_root_causes

__all__ = [
    "CATEGORIES",
    "Analysis",
    "BizEventVolume",
    "Candidate",
    "Category",
    "ChangeEvent",
    "Citation",
    "EntityRef",
    "Evidence",
    "EvidenceItem",
    "Gap",
    "Impact",
    "LineShift",
    "LogPattern",
    "LogStats",
    "MetricDeviation",
    "ProblemInfo",
    "RankedCandidate",
    "SloRisk",
    "TraceStats",
    "TraceWindowStats",
    "Window",
    "metric_kind",
    "rank_root_causes",
]
