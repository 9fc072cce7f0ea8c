"""Capabilities build safe queries/selectors, ask only their own scopes, and return typed results."""

from __future__ import annotations

from typing import Any

import pytest

from dynatrace_agent import capabilities as caps
from dynatrace_agent.capabilities.dql import check_read_only, table_scopes
from dynatrace_agent.capabilities.entities import build_entity_selector
from dynatrace_agent.capabilities.metrics import grail_metric_key
from dynatrace_agent.capabilities.problems import build_problem_selector
from dynatrace_agent.capabilities.selectors import classic_time, selector_value
from dynatrace_agent.client import CAPABILITY_SCOPES
from dynatrace_agent.dql import DQLValueError
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.summarise import count_tokens
from tests.capabilities.conftest import FakeClient

CHECKOUT = "SERVICE-9A1B2C3D4E5F6071"
HOSTILE = 'x" | fieldsRemove content | fetch logs //'


def _skeleton(query: str) -> str:
    import re

    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)


# --- classic selectors ------------------------------------------------------------------------


def test_selector_values_escape_quotes_and_tildes() -> None:
    assert selector_value('a"),type("HOST') == '"a~"),type(~"HOST"'
    assert selector_value("x~y") == '"x~~y"'
    with pytest.raises(InvalidArgumentError):
        selector_value("a\nb")


def test_problem_selector() -> None:
    selector = build_problem_selector(
        status="open",
        severity=["error"],
        impact=["SERVICES"],
        entity_ids_=[CHECKOUT.lower()],
        tags=["team:x"],
        text="timeout",
    )
    assert selector == (
        'status("open"),severityLevel("ERROR"),impactLevel("SERVICES"),'
        f'affectedEntities("{CHECKOUT}"),entityTags("team:x"),text("timeout")'
    )
    with pytest.raises(InvalidArgumentError, match="severity"):
        build_problem_selector(severity=['ERROR")'])
    with pytest.raises(InvalidArgumentError, match="30 characters"):
        build_problem_selector(text="x" * 31)


def test_entity_selector() -> None:
    selector = build_entity_selector(type_="service", name='check"out', calls=CHECKOUT)
    assert (
        selector
        == f'type("SERVICE"),entityName.equals("check~"out"),fromRelationships.calls(entityId("{CHECKOUT}"))'
    )
    assert build_entity_selector(type_="PROCESS_GROUP", called_by=CHECKOUT).endswith(
        f'toRelationships.calls(entityId("{CHECKOUT}"))'
    )
    with pytest.raises(InvalidArgumentError, match="entity type"):
        build_entity_selector(name="x")
    with pytest.raises(InvalidArgumentError):
        build_entity_selector(type_='SERVICE"),x(')


def test_classic_time() -> None:
    assert classic_time("-30m") == "now-30m"
    assert classic_time("now-7d") == "now-7d"
    with pytest.raises(InvalidArgumentError):
        classic_time("now-2h&problemSelector=x")


# --- classic capabilities ---------------------------------------------------------------------


async def test_list_problems_passes_selector_and_limits(client: Any) -> None:
    client.environment.problems = [
        {"problemId": f"p{i}", "displayId": f"P-{i}", "status": "OPEN"} for i in range(5)
    ]
    result = await caps.list_problems(client, status="open", max_problems=3, timeframe="-1d")
    _, kwargs = client.environment.calls[0]
    assert kwargs["problem_selector"] == 'status("open")' and kwargs["from_"] == "now-1d"
    assert len(result.records) == 3 and result.truncated and result.records[0].display_id == "P-0"
    assert result.capability == "problems" and "problemSelector=status" in (result.query or "")
    assert result.summary(200).startswith("3 problems")


async def test_get_problem_validates_reference(client: Any) -> None:
    client.environment.problems = [{"problemId": "-1_2V2", "displayId": "P-1", "title": "t"}]
    result = await caps.get_problem(client, "P-1")
    assert "problemdetail;pid=-1_2V2" in result.summary()
    with pytest.raises(InvalidArgumentError):
        await caps.get_problem(client, "P-1/../../x")


async def test_alerting_rules_filtering(client: Any) -> None:
    client.environment.settings_objects = [
        {
            "objectId": "a",
            "schemaId": "builtin:anomaly-detection.metric-events",
            "value": {"enabled": True, "summary": "CPU"},
        },
        {
            "objectId": "b",
            "schemaId": "builtin:anomaly-detection.metric-events",
            "value": {"enabled": False, "summary": "Disk"},
        },
    ]
    result = await caps.list_alerting_rules(client, enabled_only=True)
    assert [r.object_id for r in result.records] == ["a"] and result.records[0].kind == "metric_event"


async def test_list_slos_name_filter_and_evaluation(client: Any) -> None:
    """The filter is name~'…' (dtctl's form); status and budget come from evaluation:start/poll."""
    client.slo.slos = [
        {"id": "s", "name": "Checkout", "criteria": [{"target": 99.5, "warning": 99.8}]},
        {"id": "gone", "name": "Checkout old", "criteria": [{"target": 99.0}]},
        # classic SLO API fields are not read: a status here must not appear in the summary
        {"id": "t", "name": "Checkout classic", "status": "SUCCESS", "evaluatedPercentage": 100.0},
    ]
    client.slo.evaluations["s"] = {
        "evaluationResults": [
            {"criteria": "now-7d - now", "status": "WARNING", "value": 99.6, "errorBudget": 20.0}
        ]
    }
    client.slo.evaluations["t"] = {"evaluationResults": []}
    result = await caps.list_slos(client, name_contains="check")
    assert client.slo.calls[0]["filter"] == "name~'check'" and result.records[0].name == "Checkout"
    text = result.summary()
    assert "evaluated: 1 WARNING" in text and "WARNING 99.6% (budget 20%)" in text
    assert "not evaluated: SLO gone not found" in text and "SUCCESS" not in text
    assert result.notes == ["1 of 3 SLO evaluations failed; see evaluationError"]
    unevaluated = await caps.list_slos(client, evaluate=0)
    assert not any("evaluationResults" in r or "evaluationError" in r for r in unevaluated.raw)
    with pytest.raises(ValueError, match="quotes"):
        await caps.list_slos(client, name_contains="x' or name contains '")


async def test_list_entities(client: Any) -> None:
    client.environment.entities = [{"entityId": CHECKOUT, "type": "SERVICE", "displayName": "checkout"}]
    result = await caps.list_entities(client, entity_type="SERVICE", name_starts_with="check")
    assert client.environment.calls[0][1]["selector"] == 'type("SERVICE"),entityName.startsWith("check")'
    assert result.records[0].entity_id == CHECKOUT


# --- Grail capabilities -----------------------------------------------------------------------


def _scopes_ok(client: FakeClient, capability: str) -> None:
    own = set(CAPABILITY_SCOPES[capability].scopes)
    for call in client.grail.calls:
        assert set(call["scopes"]) == own


async def test_query_logs_counts_sample_and_hostile_text(client: Any) -> None:
    client.grail.on(
        "summarize",
        [
            {"loglevel": "ERROR", "dt.entity.service": CHECKOUT, "service.name": "checkout", "count": "4000"},
            {"loglevel": "INFO", "count": 1000},
        ],
    )
    client.grail.on("sort timestamp desc", [{"content": "boom 1", "loglevel": "ERROR"}])
    result = await caps.query_logs(
        client, service=CHECKOUT, text=HOSTILE, levels=["error"], baseline_start="now-3h"
    )
    _scopes_ok(client, "logs")
    dqls = [c["dql"] for c in client.grail.calls]
    assert len(dqls) == 3
    assert all("\n" not in q for q in dqls)
    assert _skeleton(dqls[1]) == (
        'fetch logs, from:now()-1h | filter in(dt.entity.service, {""}) and in(loglevel, {""}) and '
        'contains(content, "", caseSensitive:false) | sort timestamp desc | limit 1000'
    ).replace("filter in(dt", "filter (in(dt").replace("false) |", "false)) |")
    assert "from:now()-3h, to:now()-1h" in dqls[2]
    assert result.total == 5000 and result.truncated
    assert result.summary(300).startswith("5,000 log records (ERROR 4,000, INFO 1,000)")
    assert result.artifact()["grail"].startswith("Grail: scanned 2.5 GB")


async def test_query_logs_service_by_name(client: Any) -> None:
    await caps.query_logs(client, service="checkout-service")
    assert 'filter in(service.name, {"checkout-service"})' in client.grail.calls[0]["dql"]


async def test_query_logs_of_a_service_go_through_its_process_group(client: Any) -> None:
    """Logs carry dt.entity.process_group; dt.entity.service only on some ingestion paths."""
    pg = "PROCESS_GROUP-00000000000000AB"
    client.environment.entities = [
        {
            "entityId": CHECKOUT,
            "type": "SERVICE",
            "displayName": "checkout",
            "fromRelationships": {"runsOn": [{"id": pg, "type": "PROCESS_GROUP"}]},
        }
    ]
    await caps.query_logs(client, service="checkout")
    assert client.environment.calls[0][1]["selector"] == 'type("SERVICE"),entityName.equals("checkout")'
    dql = client.grail.calls[0]["dql"]
    assert (
        f'(in(dt.entity.process_group, {{"{pg}"}}) or in(dt.entity.service, {{"{CHECKOUT}"}}) '
        'or in(service.name, {"checkout"}))' in dql
    )


async def test_query_spans_fetches_failing_traces(client: Any) -> None:
    client.grail.on(
        "percentile", [{"count": "100", "failed": "5", "p50": "1000000", "p90": "9000000", "p99": "20000000"}]
    )
    client.grail.on("by:{trace.id}", [{"trace.id": "abcdef0123456789", "spans": 3}])
    client.grail.on(
        "in(trace.id",
        [
            {
                "trace.id": "abcdef0123456789",
                "span.id": "1",
                "request.is_failed": True,
                "dt.entity.service": CHECKOUT,
                "duration": "5000000",
            }
        ],
    )
    client.grail.on("sort duration desc", [{"trace.id": "x1", "span.id": "9", "duration": 20000000}])
    result = await caps.query_spans(client, service="checkout", min_duration_ms=250, endpoint=HOSTILE)
    _scopes_ok(client, "traces")
    first = client.grail.calls[0]["dql"]
    assert "duration >= 250000us" in first and '(dt.service.name == "checkout" or service.name ==' in first
    whole = next(c["dql"] for c in client.grail.calls if "in(trace.id" in c["dql"])
    # trace.id is a uid in Grail: a plain string would match nothing on a real tenant
    assert 'in(trace.id, {toUid("abcdef0123456789")})' in whole
    assert [r.span_id for r in result.records] == ["9", "1"]
    assert result.aggregates["overall"]["p90_ms"] == 9.0
    text = result.summary()
    assert text.startswith("100 spans") and f"{CHECKOUT}: 1 traces" in text
    with pytest.raises(InvalidArgumentError, match="trace id"):
        await caps.query_spans(client, trace_id='abc" | fetch logs')


async def test_query_metrics_translates_builtin_keys(client: Any) -> None:
    assert grail_metric_key("builtin:host.cpu.usage") == "dt.host.cpu.usage"
    assert grail_metric_key("builtin:service.requestCount.total") == "dt.service.request.count"
    with pytest.raises(DQLValueError, match="use a Grail metric key"):
        grail_metric_key("builtin:host.net.nic.packets.dropped")
    client.grail.on(
        "timeseries",
        [
            {
                "interval": "60000000000",
                "dt.entity.host": "HOST-0000000000000001",
                "avg(dt.host.cpu.usage)": [1.0, 2.0],
            }
        ],
    )
    result = await caps.query_metrics(
        client, ["builtin:host.cpu.usage"], entity_ids=["HOST-0000000000000001"], interval="1m"
    )
    _scopes_ok(client, "metrics")
    assert result.query == (
        "timeseries {avg(dt.host.cpu.usage)}, by:{dt.entity.host}, interval:1m, from:now()-1h "
        '| filter in(dt.entity.host, {"HOST-0000000000000001"}) | limit 200'
    )
    assert result.notes == ["builtin:host.cpu.usage was translated to dt.host.cpu.usage"]
    assert "HOST-0000000000000001" in result.summary()


async def test_change_events_and_sessions_and_bizevents(client: Any) -> None:
    client.grail.on(
        "fetch events",
        [{"timestamp": "2025-03-04T10:15:00Z", "event.id": "e1", "event.type": "CUSTOM_DEPLOYMENT"}],
    )
    events = await caps.query_change_events(client, entity_ids=[CHECKOUT], anchor="2025-03-04T10:20:00Z")
    assert f'dt.source_entity == "{CHECKOUT}"' in (events.query or "")
    assert f'in("{CHECKOUT}", affected_entity_ids)' in (events.query or "")
    assert "(5 min before)" in events.summary()
    sessions = await caps.query_user_sessions(client, frustrated_only=True, application=HOSTILE)
    query = sessions.query or ""
    assert "(error.has_crash == true or error.count >= 2)" in query and "frontend.name)" in query
    for classic in ("userExperienceScore", "dt.entity.application", "application.name", "totalErrorCount"):
        assert classic not in query  # classic USQL names do not exist in Grail
    with pytest.raises(DQLValueError, match=r"frontend\.name"):
        await caps.query_user_sessions(client, application="APPLICATION-00000000000000C1")
    biz = await caps.query_business_events(
        client, event_types=["order.placed"], split_at="2025-03-04T10:00:00Z"
    )
    assert 'in(event.type, {"order.placed"})' in (biz.query or "")
    scopes = {tuple(c["scopes"]) for c in client.grail.calls}
    assert scopes == {("storage:events:read",), ("storage:user.sessions:read",), ("storage:bizevents:read",)}


async def test_execute_dql_read_only_and_limits(client: Any) -> None:
    client.grail.on("fetch logs", [{"count()": "3"}])
    result = await caps.execute_dql(client, "// why\nfetch logs | summarize count()", max_records=50)
    call = client.grail.calls[0]
    assert call["scopes"] == ["storage:buckets:read", "storage:logs:read"]
    assert (
        call["max_result_records"] == 50
        and call["max_result_bytes"] == 5_000_000
        and call["scan_limit_gb"] == 100.0
    )
    assert result.records[0].model_extra == {"count()": "3"}
    for bad in ["", "   ", "rm -rf /", "| fetch logs", "/* fetch */ delete"]:
        with pytest.raises(DQLValueError, match=r"read-only|empty"):
            check_read_only(bad)
    assert table_scopes("fetch spans | join [fetch logs]") == ["storage:logs:read", "storage:spans:read"]
    # smartscape DQL needs storage:smartscape:read, not the entities scope (MCP server README)
    assert table_scopes('smartscapeNodes "SERVICE" | limit 5') == ["storage:smartscape:read"]
    assert table_scopes("fetch dt.entity.service") == ["storage:entities:read"]


async def test_summary_budget_bounds(client: Any) -> None:
    result = await caps.list_slos(client)
    assert count_tokens(result.summary(100)) <= 100
    with pytest.raises(ValueError, match="100 to 8000"):
        result.summary(50)


def test_every_capability_name_is_a_scope_key() -> None:
    modules: list[Any] = [
        caps.problems,
        caps.entities,
        caps.alerting,
        caps.slos,
        caps.logs,
        caps.traces,
        caps.metrics,
        caps.events,
        caps.bizevents,
        caps.sessions,
        caps.dql,
    ]
    assert {m.CAPABILITY for m in modules} == set(CAPABILITY_SCOPES)


async def test_change_events_fall_back_to_davis_events(client: Any) -> None:
    """Tenants differ in which table holds change events: events first, then dt.davis.events."""
    client.grail.on("fetch events", [])
    client.grail.on(
        "fetch dt.davis.events",
        [{"timestamp": "2025-03-04T10:15:00Z", "event.id": "d1", "event.type": "CUSTOM_DEPLOYMENT"}],
    )
    result = await caps.query_change_events(client, entity_ids=[CHECKOUT])
    assert [q.split(",")[0] for q in result.queries] == ["fetch events", "fetch dt.davis.events"]
    assert [r.event_id for r in result.records] == ["d1"] and "dt.davis.events had them" in result.notes[0]
    assert result.query and result.query.startswith("fetch dt.davis.events")
    _scopes_ok(client, "events")
    client.grail.calls.clear()
    client.grail.responders.clear()
    client.grail.on("fetch events", [{"timestamp": "2025-03-04T10:15:00Z", "event.id": "e1"}])
    found = await caps.query_change_events(client)
    assert len(client.grail.calls) == 1 and found.records[0].event_id == "e1"
