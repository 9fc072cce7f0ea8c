"""The ranking result models' contract: what a reader of an empty or partial result can rely on,
and that a misspelt field is an error rather than silently dropped."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dynatrace_agent.analysis.evidence import EvidenceItem
from dynatrace_agent.analysis.ranking.model import Analysis, RankedCandidate


def test_an_empty_analysis_is_no_verdict_not_a_false_alarm() -> None:
    a = Analysis()
    assert a.ranked == [] and a.category == "none" and a.confidence == 0.0
    assert a.false_alarm is False and a.summary == ""
    assert a.triggering_change is None and a.triggering_change_event is None


def test_a_ranked_candidate_starts_without_reasons_or_evidence() -> None:
    c = RankedCandidate(entity_id="SERVICE-1", score=0.4, category="code")
    assert c.name is None and c.type is None
    assert c.reasons == [] and c.counter_evidence == [] and c.evidence == [] and c.signals == {}
    other = RankedCandidate(entity_id="SERVICE-2", score=0.1, category="code")
    c.reasons.append("x")
    c.evidence.append(EvidenceItem(kind="logs", summary="y"))
    assert other.reasons == [] and other.evidence == []


def test_unknown_fields_and_categories_are_rejected() -> None:
    with pytest.raises(ValidationError, match="confidnce"):
        Analysis(confidnce=0.5)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="category"):
        RankedCandidate(entity_id="SERVICE-1", score=0.4, category="gremlins")  # type: ignore[arg-type]


def test_results_round_trip_through_json() -> None:
    a = Analysis(
        ranked=[
            RankedCandidate(
                entity_id="SERVICE-1",
                name="cart",
                score=0.8,
                category="code",
                reasons=["fails"],
                signals={"origin": 1.0},
                evidence=[EvidenceItem(kind="traces", summary="cart fails", entity_id="SERVICE-1")],
            )
        ],
        category="code",
        confidence=0.7,
        summary="cart",
    )
    assert Analysis.model_validate_json(a.model_dump_json()) == a
