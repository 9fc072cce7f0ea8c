"""Every tool against the simulator on the demo incident: right facts, within budget, full artifact."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.tools import BaseTool

from dynatrace_agent.summarise.budget import count_tokens
from dynatrace_agent.tools import TOOL_NAMES
from tests.tools.conftest import CHECKOUT, PAYMENT, PAYMENT_DEPLOY_EVENT, PROBLEM, WEB_HOSTS, call

#: tool -> (args, facts the summary must state about the demo incident)
CASES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "dynatrace_list_problems": ({"timeframe_start": "now-7d"}, (PROBLEM, "CLOSED", CHECKOUT)),
    "dynatrace_get_problem": (
        {"problem": PROBLEM},
        ("Davis root cause", CHECKOUT, PAYMENT, "Deploy payment 2.8.0"),
    ),
    "dynatrace_query_metrics": (
        {"metric_keys": ["dt.host.cpu.usage"], "by": ["dt.entity.host"], "entity_ids": list(WEB_HOSTS)},
        (*WEB_HOSTS, "dt.host.cpu.usage"),
    ),
    "dynatrace_query_logs": (
        {"service": "payment", "levels": ["ERROR"], "timeframe_start": "now-30m"},
        ("ERROR", PAYMENT, "Unprocessable Entity"),
    ),
    "dynatrace_query_traces": (
        {"service": "checkout"},
        ("p99", "Top failing endpoints", PAYMENT, "POST /api/checkout"),
    ),
    "dynatrace_query_business_events": (
        {"event_types": ["com.shop.order.completed"], "split_at": "2025-03-11T14:20:00Z"},
        ("com.shop.order.completed", "before"),
    ),
    "dynatrace_query_user_sessions": (
        {"frustrated_only": True},
        ("frustrated", "www.shop.example", "HTTP 5xx responses in"),
    ),
    "dynatrace_list_entities": ({"entity_type": "SERVICE", "name": "checkout"}, (CHECKOUT, "calls", PAYMENT)),
    "dynatrace_query_events": (
        {"anchor": "2025-03-11T14:23:00Z", "timeframe_start": "now-2h"},
        ("Deploy payment 2.8.0", PAYMENT_DEPLOY_EVENT, "before"),
    ),
    "dynatrace_list_alerting_rules": ({"enabled_only": True}, ("checkout failure rate above 5%", "enabled")),
    "dynatrace_list_slos": ({}, ("payment availability", "99.9")),
    "dynatrace_execute_dql": (
        {
            "query": 'fetch logs | filter loglevel == "ERROR" | summarize n = count(), by:{service.name} '
            "| sort n desc | limit 3"
        },
        ("3 records", "recommendation", "payment"),
    ),
}


def test_every_tool_has_a_case() -> None:
    assert sorted(CASES) == sorted(TOOL_NAMES)


@pytest.mark.parametrize("name", list(CASES))
async def test_tool_answers_the_demo_incident(tools: dict[str, BaseTool], name: str) -> None:
    args, facts = CASES[name]
    message = await call(tools[name], args)
    assert message.status == "success", message.content
    content = str(message.content)
    for fact in facts:
        assert fact in content, f"{fact!r} missing from {name} summary:\n{content}"
    assert count_tokens(content) <= 1500
    artifact = message.artifact
    assert isinstance(artifact, dict)
    assert json.loads(json.dumps(artifact)) == artifact  # JSON-plain
    assert artifact["tool"] == name and artifact["records"] and artifact["query"]
    assert artifact["budget"] == 1500


@pytest.mark.parametrize("budget", [100, 300, 4000])
@pytest.mark.parametrize(
    "name",
    ["dynatrace_query_traces", "dynatrace_query_logs", "dynatrace_list_entities", "dynatrace_get_problem"],
)
async def test_per_call_budget_is_never_exceeded(tools: dict[str, BaseTool], name: str, budget: int) -> None:
    args, _ = CASES[name]
    message = await call(tools[name], {**args, "budget": budget})
    assert message.status == "success"
    assert count_tokens(str(message.content)) <= budget
    assert message.artifact["budget"] == budget


async def test_small_budget_keeps_headline_and_ids(tools: dict[str, BaseTool]) -> None:
    big = await call(tools["dynatrace_query_traces"], {"service": "checkout", "budget": 4000})
    small = await call(tools["dynatrace_query_traces"], {"service": "checkout", "budget": 150})
    assert count_tokens(str(small.content)) < count_tokens(str(big.content))
    assert "p99" in str(small.content)
    assert small.artifact["records"] == big.artifact["records"]  # the artifact is never cut


async def test_grail_tools_carry_grail_metadata(tools: dict[str, BaseTool]) -> None:
    message = await call(tools["dynatrace_query_logs"], {"levels": ["ERROR"]})
    assert message.artifact["grail_metadata"]["grail"]["scannedRecords"] > 0
    assert "scanned" in message.artifact["grail"]


async def test_nothing_found_is_a_normal_result_with_suggestions(tools: dict[str, BaseTool]) -> None:
    message = await call(tools["dynatrace_list_problems"], {"status": "open", "entity_ids": [CHECKOUT]})
    assert message.status == "success"
    assert "No problems matched" in str(message.content)
    assert "dynatrace_list_entities" in str(message.content)
    assert message.artifact["records"] == []


def test_sync_path_works_outside_and_inside_an_event_loop(tools: dict[str, BaseTool]) -> None:
    message = tools["dynatrace_list_slos"].invoke(
        {"type": "tool_call", "id": "s1", "name": "dynatrace_list_slos", "args": {"name_contains": "payment"}}
    )
    assert message.status == "success" and "payment availability" in message.content
    content = tools["dynatrace_query_logs"].invoke({"service": "payment", "levels": ["ERROR"]})
    assert "Unprocessable Entity" in content  # plain-args invoke returns the content only


async def test_sync_path_from_a_running_loop(tools: dict[str, BaseTool]) -> None:
    # A sync call made from inside a coroutine must not deadlock or fail with "loop is running".
    content = tools["dynatrace_list_entities"].invoke({"entity_type": "HOST"})
    assert all(host in content for host in WEB_HOSTS)
