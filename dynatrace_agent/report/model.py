"""The investigation report's models: what the graph returns, the webhook stores and evals score.

The JSON shape is a contract (``format`` names its version): the webhook keeps reports as
JSON, the evaluation harness scores them, and consumers parse them, so fields are only ever
added with defaults. Building a report is :mod:`.build`'s job, rendering it :mod:`.markdown`'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent.models.enums import Category
from dynatrace_agent.models.evidence import ChangeEvent, Citation, Gap, Impact
from dynatrace_agent.report.markdown import render_markdown

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

REPORT_FORMAT = "dynatrace-agent/report@1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportEvidence(_Model):
    """One cited evidence item: what was seen, where it came from, and where to look."""

    kind: str
    summary: str
    source: str | None = None
    records: list[str] = Field(default_factory=list)
    link: str | None = None


class RootCauseCandidate(_Model):
    """A ranked root-cause candidate as the report presents it."""

    entity_id: str
    name: str | None = None
    type: str | None = None
    score: float
    category: Category
    reasons: list[str] = Field(default_factory=list)
    counter_evidence: list[str] = Field(default_factory=list)
    evidence: list[ReportEvidence] = Field(default_factory=list)
    link: str | None = None


class ProblemSummary(_Model):
    """The problem as Davis reported it, with a link."""

    problem_id: str
    display_id: str | None = None
    title: str = ""
    severity: str | None = None
    impact_level: str | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    affected: list[str] = Field(default_factory=list)
    davis_root_cause: str | None = None
    link: str | None = None


class TimelineEntry(_Model):
    """One dated event: a change, the problem's start, the first errors."""

    time: datetime
    kind: Literal["change", "problem", "first_error", "first_failure"]
    summary: str
    entity_id: str | None = None
    source: str | None = None


class NextStep(_Model):
    """Something to do next; ``dql`` is a query ready to paste into a notebook."""

    action: str
    dql: str | None = None


class LlmTokens(_Model):
    input: int = 0
    output: int = 0


class RunStats(_Model):
    """What the investigation cost."""

    api_calls: int = 0
    tool_output_tokens: int = 0
    llm_tokens: LlmTokens = Field(default_factory=LlmTokens)
    wall_ms: int = 0


class InvestigationReport(_Model):
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
