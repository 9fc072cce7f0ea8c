"""Tests of the investigation report: building, links, DQL next steps, Markdown and JSON."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import ChangeEvent, Citation, Gap, Impact
from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.signals import change_events, log_stats, trace_stats
from dynatrace_agent.report import (
    InvestigationReport,
    LlmTokens,
    NextStep,
    ProblemSummary,
    RootCauseCandidate,
    RunStats,
    TimelineEntry,
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


SPANS_Q = "fetch spans | filter request.is_failed == true | summarize count(), by:{dt.entity.service}"
LOGS_Q = 'fetch logs | filter loglevel == "ERROR" | summarize count(), by:{content}'
EVENTS_Q = 'fetch events | filter event.type == "CUSTOM_DEPLOYMENT"'
STACK = (
    "Authorization failed for order: PSP returned 422\n"
    "com.shop.PspRequestException: PSP rejected authorization\n"
    "\tat com.shop.AuthorizationMapper.toPspRequest(AuthorizationMapper.java:118)\n"
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)"
)


def _deploy_evidence(log_message: str = "NullPointerException in OrderMapper line {i}") -> Any:
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
            "content": log_message.replace("{i}", str(i)),
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
        traces=trace_stats(spans, WINDOW, source=SPANS_Q),
        logs=log_stats(logs, WINDOW, source=LOGS_Q),
        changes=change_events(events, {FRONT, CHECKOUT}, START, source=EVENTS_Q),
        impact=Impact(affected_users=12, sessions=30, frustrated_sessions=4),
        gaps=[Gap(capability="user_sessions", reason="scope storage:user.sessions:read not granted")],
        citations=[
            Citation(capability="traces", query=SPANS_Q, records=40),
            Citation(capability="logs", query=LOGS_Q, records=5),
            Citation(capability="entities", query="GET /api/v2/entities?entitySelector=type(SERVICE)"),
        ],
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
    assert "Not checked: user_sessions." in report.narrative
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
    assert f"| 1 | [checkout]({top.link}) | `{CHECKOUT}` | deployment |" in md
    assert "## Triggering change" in md and "```dql" in md and "**Verdict:** checkout" in md
    assert "## Not checked" in md and "12 users" in md and "321 ms" in md
    assert "- **Not checked:** user_sessions" in md.split("## Root-cause candidates")[0]


def _source_numbers(md: str) -> dict[str, int]:
    """``[n] capability: `query``` lines of the Sources section → {query: n}."""
    section = md.split("## Sources", 1)[1]
    return {
        m.group(2): int(m.group(1)) for m in re.finditer(r"^- \[(\d+)\] [^:]+: `+ ?(.+?) ?`+$", section, re.M)
    }


def test_sources_are_footnotes_cited_once_and_referenced_by_number() -> None:
    ev = _deploy_evidence()
    report = build_report(ev, rank_root_causes(ev), environment_url=ENV)
    md = report.to_markdown()
    for query in (SPANS_Q, LOGS_Q, EVENTS_Q):
        assert md.count(query) == 1, query  # the full query only once, in the Sources section
    numbers = _source_numbers(md)
    assert sorted(numbers.values()) == list(range(1, len(numbers) + 1))
    assert {SPANS_Q, LOGS_Q, EVENTS_Q} <= set(numbers)
    body = md.split("## Sources")[0]
    # each reason carries the number of the query its evidence came from
    logs_line = next(ln for ln in body.splitlines() if ln.startswith("- error logs"))
    assert logs_line.endswith(f"[{numbers[LOGS_Q]}]")
    change_line = next(ln for ln in body.splitlines() if ln.startswith("- deployment “checkout 2.14.0”"))
    assert change_line.endswith(f"[{numbers[EVENTS_Q]}]")
    assert re.search(rf"^- failure rate .*\[{numbers[SPANS_Q]}\]$", body, re.M)
    assert "e.g. trace `t1" in body  # example trace ids stay visible
    # citation metadata: record counts, and calls not cited above are summarised, not dropped
    assert f"- [{numbers[SPANS_Q]}] traces · 40 records: " in md
    assert "also queried: entities ×1" in md
    # nothing long is left in the body: no evidence line repeats a query
    prose = {report.narrative}
    assert max(len(ln) for ln in body.splitlines() if ln not in prose and not ln.startswith("|")) < 300


def test_multiline_and_long_log_messages_stay_on_one_line() -> None:
    ev = _deploy_evidence(STACK)
    report = build_report(ev, rank_root_causes(ev), environment_url=ENV)
    md = report.to_markdown()
    assert "\tat " not in md and "FrameworkServlet" not in md
    line = next(ln for ln in md.splitlines() if ln.startswith("- error logs"))
    assert "“Authorization failed for order: PSP returned 422 …”" in line
    assert report.ranked_root_causes[0].reasons[-1].count("\n") or any(
        "\n" in r for r in report.ranked_root_causes[0].reasons
    )  # the model keeps the full text; only the rendering shortens it

    long_message = "Payment request rejected " + "x" * 400
    ev = _deploy_evidence(long_message)
    md = build_report(ev, rank_root_causes(ev), environment_url=ENV).to_markdown()
    line = next(ln for ln in md.splitlines() if ln.startswith("- error logs"))
    quoted = line.split("“", 1)[1].split("”", 1)[0]
    assert quoted.endswith("…") and len(quoted) <= 111 and len(line) < 200


def test_given_narrative_is_kept_and_false_alarm_report() -> None:
    ev = evidence(candidates=[svc(FRONT, "frontend")], traces=[healthy(FRONT)])
    report = build_report(ev, rank_root_causes(ev), environment_url=ENV, narrative="Written by a model.")
    assert report.narrative == "Written by a model."
    templated = build_report(ev, rank_root_causes(ev), environment_url=ENV)
    assert templated.category == "none" and "false alarm" in templated.narrative
    assert templated.next_steps[0].dql is None
    md = templated.to_markdown()
    assert "## Root-cause candidates" in md and templated.false_alarm
    assert "**Verdict:** likely a false alarm" in md
    assert "Written by a model." in report.to_markdown()


def _minimal(**kw: Any) -> InvestigationReport:
    kw.setdefault("problem", ProblemSummary(problem_id="P-9", title="Slow"))
    return InvestigationReport(**kw)


def test_gaps_are_always_visible_and_grouped() -> None:
    reason = 'is unavailable for environment "prod": no OAuth client is configured'
    report = _minimal(
        unavailable=[
            Gap(capability="logs", reason=f"logs {reason}"),
            Gap(capability="traces", reason=f"traces {reason}"),
            Gap(capability="slos", reason="scope slo:slos:read not granted"),
        ]
    )
    md = report.to_markdown()
    head = md.split("## ")[0]  # before any section: visible without scrolling
    assert "- **Not checked:** logs, traces, slos (see below)" in head
    assert "- **Verdict:** no root-cause candidate could be ranked" in head
    assert f"- **logs, traces**: {reason}" in md
    assert "- **slos**: scope slo:slos:read not granted" in md
    assert "Not checked" not in _minimal().to_markdown()


def _unescaped(text: str, char: str) -> int:
    return len(re.findall(rf"(?<!\\){re.escape(char)}", text))


def test_hostile_text_cannot_break_or_inject_markdown() -> None:
    evil = "a|b](http://evil.example) `x` <img src=x> *y* [z] ~~s~~ _u_"
    report = _minimal(
        problem=ProblemSummary(problem_id="P-9", title="Slow\n# injected heading\n- injected item"),
        ranked_root_causes=[
            RootCauseCandidate(
                entity_id="SERVICE-0000000000000001",
                name=evil,
                score=0.8,
                category="code",
                reasons=[f"error logs rose; new: “{evil}\n\tat x.y(Z.java:1)”"],
                counter_evidence=["calls " + evil],
                link="https://env.example/ui/entity/SERVICE-0000000000000001",
            )
        ],
        timeline=[TimelineEntry(time=START, kind="problem", summary=evil)],
        next_steps=[NextStep(action=f"Check {evil}", dql='fetch logs | filter content == "```\n| x"')],
        narrative=f"Root cause {evil}.\n# not a heading",
        unavailable=[Gap(capability="logs|x", reason=evil)],
    )
    md = report.to_markdown()
    lines = md.splitlines()
    assert [ln for ln in lines if ln.startswith("#") and not ln.startswith("##")] == [
        "# P-9: Slow # injected heading - injected item"
    ]
    assert not any(ln.startswith("- injected") for ln in lines)
    row = next(ln for ln in lines if ln.startswith("| 1 |"))
    assert _unescaped(row, "|") == 6  # exactly the cell borders
    assert "a\\|b\\](http://evil.example) \\`x\\` \\<img src=x> \\*y\\* \\[z\\] \\~\\~s\\~\\~ \\_u\\_" in row
    prose = re.sub(r"^ *(`{3,})[^\n]*\n.*?^ *\1 *$", "", md, flags=re.S | re.M)  # drop code blocks
    prose = prose.replace("`SERVICE-0000000000000001`", "")  # the id code span the renderer writes
    prose = prose.replace("[a\\|b", "a\\|b")  # the opening bracket of the entity link it writes
    for char in "`<[":
        assert _unescaped(prose, char) == 0, char  # everything else from the input is escaped
    bad_link = _minimal(
        problem=ProblemSummary(problem_id="P-9", link="javascript:alert(1)"),
        ranked_root_causes=[
            RootCauseCandidate(entity_id="x", score=0.5, category="code", link="https://a.example/x) [y](z")
        ],
    ).to_markdown()
    assert "javascript:" not in bad_link and "Open in Dynatrace" not in bad_link
    assert "| 1 | x | — | code | 0.50 |" in bad_link
    # a DQL containing a fence still renders inside a longer fence
    fence = next(ln.strip() for ln in lines if ln.strip().startswith("```") and "dql" in ln)
    assert fence == "````dql"
    assert '  fetch logs | filter content == "```' in md


def test_long_dql_is_split_at_top_level_pipes_only() -> None:
    ev = evidence(
        candidates=[svc('svc" | delete', "a|b")], traces=[traces('svc" | delete', failures=30, origins=30)]
    )
    report = build_report(ev, rank_root_causes(ev), environment_url=ENV)
    md = report.to_markdown()
    for step in (s for s in report.next_steps if s.dql):
        block = md.split(f"- {step.action.split(' ')[0]}", 1)[1].split("```dql\n", 1)[1].split("```", 1)[0]
        stages = [ln.strip() for ln in block.splitlines() if ln.strip()]
        assert " ".join(stages) == step.dql  # ready to run: the same query, one stage per line
        if len(step.dql) > 160:
            assert len(stages) > 2 and all(s.startswith("|") for s in stages[1:])
        assert any('"svc\\" | delete"' in s for s in stages)  # never split inside a string


def test_timeline_marks_trigger_and_other_days() -> None:
    change = ChangeEvent(
        event_id="e1",
        event_type="CUSTOM_DEPLOYMENT",
        name="web 1.2",
        kind="deployment",
        timestamp=START - timedelta(minutes=5),
    )
    report = _minimal(
        problem=ProblemSummary(problem_id="P-9", title="Slow", start=START),
        triggering_change_detail=change,
        triggering_change="e1",
        timeline=[
            TimelineEntry(
                time=START - timedelta(days=1), kind="change", summary="deployment: web 1.1", source="q"
            ),
            TimelineEntry(
                time=START - timedelta(minutes=5), kind="change", summary="deployment: web 1.2", source="q"
            ),
            TimelineEntry(time=START, kind="problem", summary="problem started", source="GET /p"),
        ],
    )
    md = report.to_markdown()
    assert "- 03-03 10:20:00 deployment: web 1.1 [1]" in md
    assert "- 10:15:00 deployment: web 1.2 **← trigger** [1]" in md
    assert "- 10:20:00 problem started [2]" in md
    assert "- [1] timeline: `q`" not in md and "- [1] change: `q`" in md


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
