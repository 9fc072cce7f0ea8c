"""The investigation report's models: what the graph returns, the webhook stores and evals score.

The JSON shape is a contract (``format`` names its version): the webhook keeps reports as
JSON, the evaluation harness scores them, and consumers parse them, so fields are only ever
added with defaults. Building a report is :mod:`.build`'s job, rendering it :mod:`.markdown`'s.
"""

from __future__ import annotations

from pydantic import Field

from dynatrace_agent.models.enums import Category
from dynatrace_agent.models.evidence import ChangeEvent, Citation, Gap, Impact
from dynatrace_agent.report.markdown import render_markdown
from dynatrace_agent.report.parts import (
    REPORT_FORMAT,
    LlmTokens,
    NextStep,
    ProblemSummary,
    ReportEvidence,
    ReportModel,
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
]


class InvestigationReport(ReportModel):
    """The outcome of one investigation (contracts §5)."""

    format: str = REPORT_FORMAT
    problem: ProblemSummary
    ranked_root_causes: list[RootCauseCandidate] = Field(default_factory=list)
    category: Category = "none"
    triggering_change: str | None = None
    triggering_change_detail: ChangeEvent | None = None
    impact: Impact = Field(default_factory=Impact)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    confidence: float = 0.0
    false_alarm: bool = False
    unavailable: list[Gap] = Field(default_factory=list)
    narrative: str = ""
    citations: list[Citation] = Field(default_factory=list)
    stats: RunStats = Field(default_factory=RunStats)

    def to_markdown(self) -> str:
        """A compact Markdown rendering for terminals, chat and tickets."""
        return render_markdown(self)
