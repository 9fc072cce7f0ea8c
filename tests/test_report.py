"""Tests of the investigation report: building, links, DQL next steps, Markdown and JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import Citation, Gap, Impact
from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.signals import change_events, log_stats, trace_stats
from dynatrace_agent.report import (
    InvestigationReport,
    LlmTokens,
    RunStats,
    build_report,
    classic_base,
    entity_link,
    problem_link,
)
from tests.analysis.scenarios import START, WINDOW, evidence, healthy, problem, svc, traces

ENV = "https://abc123.apps.dynatrace.com/"
FRONT, CHECKOUT = "SERVICE-000000000000000F", "SERVICE-00000000000000C0"


def _iso(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _deploy_evidence() -> Any:
    spans: list[dict[str, Any]] = []
    for i in range(20):
        incident = i >= 10
        minute = (5 + i) if incident else (-25 + i)
        fail = incident and i % 2 == 0
        spans += [
            {
                "trace.id": f"t{i}",
                "span.id": "a",
                "span.parent_id": None,
                "dt.entity.service": FRONT,
                "span.kind": "server",
                "start_time": _iso(minute),
                "duration": 50_000_000,
                "request.is_failed": fail,
            },
            {
                "trace.id": f"t{i}",
                "span.id": "b",
                "span.parent_id": "a",
                "dt.entity.service": CHECKOUT,
                "span.kind": "server",
                "start_time": _iso(minute),
                "duration": 40_000_000,
                "request.is_failed": fail,
            },
        ]
    logs = [
        {
            "timestamp": _iso(6 + i),
            "loglevel": "ERROR",
            "dt.entity.service": CHECKOUT,
            "content": f"NullPointerException in OrderMapper line {i}",
        }
        for i in range(5)
    ]
    events = [
        {
            "timestamp": _iso(-7),
            "event.id": "8455071034570232823_1741083300000",
            "event.type": "CUSTOM_DEPLOYMENT",
            "event.name": "checkout 2.14.0",
            "dt.entity.service": CHECKOUT,
            "deployment.version": "2.14.0",
        },
    ]
    return evidence(
        problem=problem(FRONT, "frontend"),
        candidates=[svc(FRONT, "frontend", calls=[CHECKOUT]), svc(CHECKOUT, "checkout", called_by=[FRONT])],
        traces=trace_stats(spans, WINDOW, source="fetch spans | filter ..."),
        logs=log_stats(logs, WINDOW, source="fetch logs | filter ..."),
        changes=change_events(events, {FRONT, CHECKOUT}, START, source="fetch events | filter ..."),
        impact=Impact(affected_users=12, sessions=30, frustrated_sessions=4),
        gaps=[Gap(capability="user_sessions", reason="scope storage:user.sessions:read not granted")],
        citations=[Citation(capability="traces", query="fetch spans | filter ...", records=40)],
    )


def test_end_to_end_report_from_raw_records() -> None:
    ev = _deploy_evidence()
    analysis = rank_root_causes(ev)
    report = build_report(
        ev,
        analysis,
        environment_url=ENV,
        stats=RunStats(
            api_calls=9, tool_output_tokens=1200, llm_tokens=LlmTokens(input=0, output=0), wall_ms=321
        ),
    )
    top = report.ranked_root_causes[0]
    assert top.entity_id == CHECKOUT and top.category == "deployment"
    assert report.triggering_change == "8455071034570232823_1741083300000"
    assert top.link == f"https://abc123.live.dynatrace.com/#newservices/serviceOverview;id={CHECKOUT}"
    assert all(e.source for e in top.evidence)
    assert any(e.kind == "change" and e.records == [report.triggering_change] for e in top.evidence)
    assert (
        report.problem.link
        == "https://abc123.live.dynatrace.com/#problems/problemdetail;pid=-1_1741083600000V2"
    )
    kinds = [e.kind for e in report.timeline]
    assert kinds[:2] == ["change", "problem"] and "first_error" in kinds and "first_failure" in kinds
    assert [e.time for e in report.timeline] == sorted(e.time for e in report.timeline)
    assert report.unavailable[0].capability == "user_sessions"
    assert "checkout" in report.narrative and "deployment" in report.narrative
    assert "Davis named frontend" in report.narrative
    assert "Not checked: user_sessions" in report.narrative
    dqls = [s.dql for s in report.next_steps if s.dql]
    assert any(q.startswith("fetch events") and report.triggering_change in q for q in dqls)
    assert any(f'dt.entity.service == "{CHECKOUT}"' in q and q.startswith("fetch logs") for q in dqls)
    assert any("request.is_failed == true" in q for q in dqls)
    assert any("Roll back" in s.action for s in report.next_steps)

    data = report.model_dump(mode="json")
    json.dumps(data)
    assert data["stats"] == {
        "api_calls": 9,
        "tool_output_tokens": 1200,
        "llm_tokens": {"input": 0, "output": 0},
        "wall_ms": 321,
    }
    assert InvestigationReport.model_validate(data) == report

    md = report.to_markdown()
    assert md.startswith("# P-1: Failure rate increase")
    assert "| 1 | [checkout](" in md and "## Triggering change" in md and "```dql" in md
    assert "## Not checked" in md and "12 users" in md and "321 ms" in md


def test_given_narrative_is_kept_and_false_alarm_report() -> None:
    ev = evidence(candidates=[svc(FRONT, "frontend")], traces=[healthy(FRONT)])
    report = build_report(ev, rank_root_causes(ev), environment_url=ENV, narrative="Written by a model.")
    assert report.narrative == "Written by a model."
    templated = build_report(ev, rank_root_causes(ev), environment_url=ENV)
    assert templated.category == "none" and "false alarm" in templated.narrative
    assert templated.next_steps[0].dql is None
    assert "## Root-cause candidates" in templated.to_markdown()


def test_hostile_names_are_quoted_safely_in_dql_and_markdown() -> None:
    weird = 'svc" | delete'
    ev = evidence(
        candidates=[svc(weird, "a|b")],
        traces=[traces(weird, failures=30, origins=30)],
    )
    report = build_report(ev, rank_root_causes(ev), environment_url=ENV)
    dqls = [s.dql for s in report.next_steps if s.dql]
    assert dqls and all('service.name == "svc\\" | delete"' in q for q in dqls)
    assert report.ranked_root_causes[0].link is None  # not an entity id: no link invented
    assert "a\\|b" in report.to_markdown()


def test_links() -> None:
    assert classic_base("https://abc.apps.dynatrace.com/") == "https://abc.live.dynatrace.com"
    assert classic_base("https://host.example/e/env-1") == "https://host.example/e/env-1"
    assert entity_link("http://127.0.0.1:8400", "HOST-0000000000000001") == (
        "http://127.0.0.1:8400/ui/entity/HOST-0000000000000001"
    )
    assert problem_link("https://x.live.dynatrace.com", "a;b") == (
        "https://x.live.dynatrace.com/#problems/problemdetail;pid=a%3Bb"
    )
