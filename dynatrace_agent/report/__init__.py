"""The investigation report: what the graph returns, the webhook store keeps and the evals score.

Modules with one job each: :mod:`.model` and :mod:`.parts` (the JSON contract), :mod:`.build`
(evidence and ranking in, report out, with next-step DQL) and :mod:`.markdown` (the rendering
for people); :mod:`.links` builds the Dynatrace UI links both use. Import from here; the split
is internal, and its modules depend on each other one way (``lint-imports`` checks it).
"""

from __future__ import annotations

from dynatrace_agent.report.build import build_report
from dynatrace_agent.report.links import classic_base, entity_link, problem_link
from dynatrace_agent.report.model import (
    REPORT_FORMAT,
    InvestigationReport,
    LlmTokens,
    NextStep,
    ProblemSummary,
    ReportEvidence,
    RootCauseCandidate,
    RunStats,
    TimelineEntry,
)

__all__ = [
    "REPORT_FORMAT",
    "InvestigationReport",
    "LlmTokens",
    "NextStep",
    "ProblemSummary",
    "ReportEvidence",
    "RootCauseCandidate",
    "RunStats",
    "TimelineEntry",
    "build_report",
    "classic_base",
    "entity_link",
    "problem_link",
]
