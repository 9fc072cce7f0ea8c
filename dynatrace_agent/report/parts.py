"""The report's parts: the problem, candidates, evidence, timeline, next steps and run figures.

They are apart from :class:`~dynatrace_agent.report.model.InvestigationReport` so that the
Markdown rendering can name them without importing the report class, which imports the
rendering for ``to_markdown``: the modules of the package depend on each other one way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent.models.enums import Category

__all__ = [
    "REPORT_FORMAT",
    "LlmTokens",
    "NextStep",
    "ProblemSummary",
    "ReportEvidence",
    "ReportModel",
    "RootCauseCandidate",
    "RunStats",
    "TimelineEntry",
]

REPORT_FORMAT = "dynatrace-agent/report@1"


class ReportModel(BaseModel):
    """Base of the report's models: unknown fields are refused (the JSON is a contract)."""

    model_config = ConfigDict(extra="forbid")


class ReportEvidence(ReportModel):
    """One cited evidence item: what was seen, where it came from, and where to look."""

    kind: str
    summary: str
    source: str | None = None
    records: list[str] = Field(default_factory=list)
    link: str | None = None


class RootCauseCandidate(ReportModel):
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


class ProblemSummary(ReportModel):
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


class TimelineEntry(ReportModel):
    """One dated event: a change, the problem's start, the first errors."""

    time: datetime
    kind: Literal["change", "problem", "first_error", "first_failure"]
    summary: str
    entity_id: str | None = None
    source: str | None = None


class NextStep(ReportModel):
    """Something to do next; ``dql`` is a query ready to paste into a notebook."""

    action: str
    dql: str | None = None


class LlmTokens(ReportModel):
    """Tokens the run's language model read and wrote (0 without a model)."""

    input: int = 0
    output: int = 0


class RunStats(ReportModel):
    """What the investigation cost."""

    api_calls: int = 0
    tool_output_tokens: int = 0
    llm_tokens: LlmTokens = Field(default_factory=LlmTokens)
    wall_ms: int = 0
