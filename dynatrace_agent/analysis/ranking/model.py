"""The ranking's public result models: what the report, the graph and the evals read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent.analysis.evidence import (
    Category,
    ChangeEvent,
    EvidenceItem,
)


class RankedCandidate(BaseModel):
    """A root-cause candidate with its score, category and the reasons for both."""

    model_config = ConfigDict(extra="forbid")

    entity_id: str
    name: str | None = None
    type: str | None = None
    score: float
    category: Category
    reasons: list[str] = Field(default_factory=list)
    counter_evidence: list[str] = Field(default_factory=list)
    evidence: list[EvidenceItem] = Field(default_factory=list)
    signals: dict[str, float] = Field(default_factory=dict)


class Analysis(BaseModel):
    """The ranking and what it concludes overall."""

    model_config = ConfigDict(extra="forbid")

    ranked: list[RankedCandidate] = Field(default_factory=list)
    category: Category = "none"
    confidence: float = 0.0
    triggering_change: str | None = None
    triggering_change_event: ChangeEvent | None = None
    false_alarm: bool = False
    summary: str = ""
