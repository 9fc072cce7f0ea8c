"""One problem model and one problem-reference rule, shared by every entry point."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import ValidationError

from dynatrace_agent.analysis.signals import problem_info
from dynatrace_agent.capabilities import Problem as CapabilityProblem
from dynatrace_agent.capabilities.base import to_models
from dynatrace_agent.capabilities.problems import build_problem_selector
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.mcp.investigate import InvestigateArgs
from dynatrace_agent.models import (
    IMPACT_LEVELS,
    SEVERITY_LEVELS,
    Problem,
    display_id_of,
    is_display_id,
    parse_problem_ref,
)
from dynatrace_agent.simulator.problems import compile_problem_selector
from dynatrace_agent.tools.problems import GetProblemArgs, ListProblemsArgs

GOOD_REFS = ["P-240101", "-3046530927337473512_1740800000000V2", "333_1740800000000V2", "abc-DEF_1"]
BAD_REFS = ["", "   ", "P-1/../../x", 'P-1"),status("open', "a b", "x" * 81, "P-1\n2"]


@pytest.mark.parametrize("ref", GOOD_REFS)
def test_a_display_id_or_problem_id_is_accepted_and_stripped(ref: str) -> None:
    assert parse_problem_ref(f"  {ref} ") == ref
    assert GetProblemArgs(problem=ref).problem == ref
    assert InvestigateArgs(problem=f" {ref}").problem == ref


@pytest.mark.parametrize("ref", [*BAD_REFS, None, 42])
def test_anything_else_is_refused_with_the_same_message_everywhere(ref: Any) -> None:
    with pytest.raises(
        InvalidArgumentError, match="is not a problem reference; use a display id like P-240101"
    ):
        parse_problem_ref(ref)


@pytest.mark.parametrize("ref", BAD_REFS)
def test_the_tool_and_mcp_arguments_apply_the_same_rule(ref: str) -> None:
    with pytest.raises(ValidationError):
        GetProblemArgs(problem=ref)
    with pytest.raises(ValidationError):
        InvestigateArgs(problem=ref)


def test_display_ids_are_told_apart_from_problem_ids() -> None:
    assert is_display_id("P-240101") and is_display_id("p-7")
    assert not is_display_id("-333_1740800000000V2") and not is_display_id("P-")
    assert display_id_of("240101") == "P-240101"
    assert display_id_of("p-240101") == "P-240101"
    assert display_id_of("PID-1") is None and display_id_of(None) is None


def test_the_capability_exports_the_one_problem_model() -> None:
    assert CapabilityProblem is Problem


RAW: dict[str, Any] = {
    "problemId": "-111_1741083600000V2",
    "displayId": "P-250304",
    "title": " Failure rate increase ",
    "status": "OPEN",
    "severityLevel": "ERROR",
    "impactLevel": "SERVICES",
    "startTime": 1741083600000,
    "endTime": -1,
    "rootCauseEntity": {"entityId": {"id": "SERVICE-1", "type": "SERVICE"}, "name": "db"},
    "affectedEntities": [{"entityId": {"id": "SERVICE-2", "type": "SERVICE"}, "name": "checkout"}, "junk"],
    "impactedEntities": "not a list",
    "evidenceDetails": {
        "details": [
            {
                "evidenceType": "EVENT",
                "displayName": "Deployment",
                "eventType": "CUSTOM_DEPLOYMENT",
                "entity": {"entityId": {"id": "SERVICE-1", "type": "SERVICE"}, "name": "db"},
                "rootCauseRelevant": True,
                "startTime": 1741083500000,
            }
        ]
    },
    "impactAnalysis": {"impacts": [{"estimatedAffectedUsers": 12}, {"estimatedAffectedUsers": "3"}]},
    "recentComments": {"comments": []},
}


def test_an_odd_record_still_becomes_a_problem_with_the_odd_parts_left_out() -> None:
    problem = Problem.model_validate(RAW)
    assert problem.display_id == "P-250304" and problem.start_time == 1741083600000
    assert [e["name"] for e in problem.affected_entities] == ["checkout"]
    assert problem.impacted_entities == []
    assert problem.model_extra == {"recentComments": {"comments": []}}
    assert Problem.model_validate({"rootCauseEntity": "SERVICE-1"}).root_cause_entity is None
    assert to_models(Problem, [{"startTime": {"no": "number"}}])[0].start_time is None


def test_the_analysis_reads_the_typed_problem_and_the_record_alike() -> None:
    typed = problem_info(Problem.model_validate(RAW), source="GET /api/v2/problems/P-250304")
    assert typed == problem_info(RAW, source="GET /api/v2/problems/P-250304")
    assert typed.problem_id == "-111_1741083600000V2" and typed.title == "Failure rate increase"
    assert typed.end is None and typed.start is not None
    assert typed.root_cause_hint is not None and typed.root_cause_hint.id == "SERVICE-1"
    assert [e.name for e in typed.affected] == ["checkout"]
    assert typed.estimated_affected_users == 15
    assert typed.davis_evidence[0].event_type == "CUSTOM_DEPLOYMENT"
    assert typed.evidence_summary == ["Deployment on db [root-cause relevant]"]


def test_every_layer_offers_exactly_the_one_list_of_levels() -> None:
    tool_fields = ListProblemsArgs.model_fields
    severity = typing.get_args(typing.get_args(tool_fields["severity"].annotation)[0])
    impact = typing.get_args(typing.get_args(tool_fields["impact"].annotation)[0])
    assert severity == SEVERITY_LEVELS and impact == IMPACT_LEVELS
    selector = build_problem_selector(severity=[s.lower() for s in SEVERITY_LEVELS], impact=IMPACT_LEVELS)
    assert selector is not None
    check = compile_problem_selector(selector)  # the simulator accepts every level the client sends
    assert check({"severityLevel": "ERROR", "impactLevel": "SERVICES"})
    with pytest.raises(InvalidArgumentError, match="not a problem severity"):
        build_problem_selector(severity=["SEVERE"])


async def test_the_client_refuses_a_malformed_reference_before_any_request() -> None:
    from tests.capabilities.test_through_client import _client

    client, sent = _client()
    async with client:
        with pytest.raises(InvalidArgumentError, match="not a problem reference"):
            await client.environment.get_problem('P-1"),status("open')
        found = await client.environment.get_problem(" p-250304 ")
    assert found["displayId"] == "P-250304"
    assert all("status" not in str(r.url) for r in sent.requests)
