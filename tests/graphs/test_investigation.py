"""End-to-end investigations on the simulator: ranking, gaps, deadline, overlap of the branches."""

from __future__ import annotations

import json
import time
from typing import Any

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.simulator import SimulatorOptions
from graphs.investigation.run import investigate
from tests.graphs.conftest import ClientFactory


async def test_root_cause_is_rank_one_and_the_change_is_cited(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    assert case.expected is not None
    async with make_client() as client:
        report = await investigate(case.problem, client=client)
    top = report.ranked_root_causes[0]
    assert case.expected.matches_root_cause(top.entity_id, top.name), report.ranked_root_causes
    assert report.category == case.expected.category
    assert report.triggering_change == case.expected.change_event_id
    event_id = case.expected.change_event_id
    assert event_id is not None, "the test case must have a triggering change"
    cited = [e for e in top.evidence if e.kind == "change"]
    assert cited and any(event_id in (e.summary + " ".join(e.records)) for e in cited)
    assert event_id in report.to_markdown()
    assert {c.capability for c in report.citations} >= {"problems", "entities", "events", "traces", "logs"}
    assert report.unavailable == []
    assert report.stats.api_calls > 5
    assert report.stats.tool_output_tokens > 0
    assert report.stats.llm_tokens.input == 0
    assert report.narrative.startswith(f"Problem {report.problem.display_id}")


async def test_without_oauth_the_report_comes_from_classic_apis(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    async with make_client(SimulatorOptions(oauth_enabled=False)) as client:
        report = await investigate(case.problem, client=client)
    missing = {g.capability for g in report.unavailable}
    assert {"traces", "logs", "metrics", "events", "user_sessions", "business_events"} <= missing
    assert all("OAuth" in g.reason for g in report.unavailable)
    used = {c.capability for c in report.citations}
    assert {"problems", "entities", "alerting_rules"} <= used
    assert report.ranked_root_causes, "candidates still come from the problem and its topology"
    assert report.confidence <= 0.2, "no deviation data must not read as a confident verdict"
    assert "Not checked" in report.to_markdown()


async def test_branches_overlap_under_latency(case: IncidentCase, make_client: ClientFactory) -> None:
    events: list[tuple[float, dict[str, Any]]] = []
    branches = {"topology", "changes", "traces", "logs", "metrics", "impact", "alerting"}
    async with make_client(SimulatorOptions(latency_ms=60)) as client:
        await investigate(
            case.problem, client=client, on_progress=lambda e: events.append((time.perf_counter(), e))
        )
    starts = {e["phase"]: t for t, e in events if e["status"] == "started" and e["phase"] in branches}
    ends = {e["phase"]: t for t, e in events if e["status"] == "done" and e["phase"] in branches}
    assert set(starts) == set(ends) == branches
    sum_of_branches = sum(ends[b] - starts[b] for b in branches)
    phase = max(ends.values()) - min(starts.values())
    assert phase < 0.5 * sum_of_branches, (phase, sum_of_branches)


async def test_deadline_turns_unfinished_branches_into_gaps(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    # 150 ms per request: the problem and two topology rounds alone take ~0.45 s, so the
    # branches that follow cannot all finish inside 0.6 s however fast the machine is.
    async with make_client(SimulatorOptions(latency_ms=150)) as client:
        started = time.perf_counter()
        report = await investigate(case.problem, client=client, deadline_s=0.6)
        elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    late = [g for g in report.unavailable if "deadline" in g.reason]
    assert late, report.unavailable
    assert report.problem.display_id == case.problem or report.problem.problem_id == case.problem


async def test_unknown_problem_is_a_clear_error(make_client: ClientFactory) -> None:
    from dynatrace_agent.errors import NotFoundError

    async with make_client() as client:
        try:
            await investigate("P-999999999", client=client)
        except NotFoundError as err:
            assert "P-999999999" in str(err)
        else:  # pragma: no cover - the assertion documents the expectation
            raise AssertionError("an unknown problem must raise NotFoundError")


async def test_report_json_round_trips(case: IncidentCase, make_client: ClientFactory) -> None:
    from dynatrace_agent.report import InvestigationReport

    async with make_client() as client:
        report = await investigate(case.problem, client=client)
    data = json.loads(json.dumps(report.model_dump(mode="json")))
    assert InvestigationReport.model_validate(data) == report


async def test_an_unexpected_error_in_one_branch_becomes_a_gap(
    case: IncidentCase, make_client: ClientFactory, monkeypatch: Any
) -> None:
    """A bug or an odd record shape in one branch costs that branch, not the investigation."""
    from graphs.investigation.nodes import logs as logs_node

    async def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("unexpected field")

    monkeypatch.setattr(logs_node, "_gather", broken)
    async with make_client() as client:
        report = await investigate(case.problem, client=client)
    gaps = [g for g in report.unavailable if g.capability == "logs"]
    assert gaps and "internal error" in gaps[0].reason and "KeyError" in gaps[0].reason
    assert report.ranked_root_causes, "the other branches still produce a ranking"
