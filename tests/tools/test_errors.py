"""Failures reach the model as advice, never as a crash: scopes, DQL positions, timeouts, ToolNode."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from dynatrace_agent.capabilities import CapabilityResult
from dynatrace_agent.errors import (
    NotFoundError,
    QueryTimeoutError,
    RateLimitedError,
    ScanBudgetExceededError,
)
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings
from dynatrace_agent.simulator.options import ALL_OAUTH_SCOPES
from dynatrace_agent.tools import EnvironmentHandle, ToolArgs, ToolSpec, build_tool
from dynatrace_agent.tools.errors import explain
from tests.tools.conftest import call, make_toolkit, simulator_factory

WITHOUT_LOGS = SimulatorOptions(oauth_scopes=set(ALL_OAUTH_SCOPES) - {"storage:logs:read"})


async def test_missing_scope_says_which_scope_to_grant() -> None:
    kit = await make_toolkit(WITHOUT_LOGS, probe=False)  # offered anyway: the call must explain
    tools = {t.name: t for t in kit.get_tools()}
    message = await call(tools["dynatrace_query_logs"], {"service": "payment"})
    assert message.status == "error"
    assert "storage:logs:read" in message.content and "grant" in message.content
    assert message.artifact is None
    await kit.aclose()


async def test_dql_error_names_line_and_column(tools: dict[str, Any]) -> None:
    message = await call(tools["dynatrace_execute_dql"], {"query": "fetch logs\n| filter loglevel = = 1"})
    assert message.status == "error"
    assert "line 2" in message.content and "column" in message.content
    assert "Fix the query" in message.content


async def test_write_or_non_dql_text_is_refused_before_sending(tools: dict[str, Any]) -> None:
    message = await call(tools["dynatrace_execute_dql"], {"query": "rm -rf / ; fetch logs"})
    assert message.status == "error"
    assert "read-only" in message.content and message.artifact is None


async def test_unknown_problem_points_to_list_tools(tools: dict[str, Any]) -> None:
    message = await call(tools["dynatrace_get_problem"], {"problem": "P-99999999"})
    assert message.status == "error"
    assert "dynatrace_list_problems" in message.content


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"levels": ["CRITICALISH"]}, "levels.0"),
        ({"sample_size": 5}, "sample_size"),
        ({"budget": 50}, "budget"),
        ({"budget": 100_000}, "budget"),
        ({"bogus": 1}, "bogus"),
        ({"timeframe_start": "yesterday lunch"}, "not a time"),
        ({"service": "SERVICE-XYZ\n| fetch spans"}, "one line"),
    ],
)
async def test_bad_arguments_are_explained(
    tools: dict[str, Any], args: dict[str, Any], expected: str
) -> None:
    message = await call(tools["dynatrace_query_logs"], args)
    assert message.status == "error", message.content
    assert expected in message.content
    assert "Correct" in message.content


def _failing_tool(exc: Exception) -> Any:
    async def run(client: Any, args: ToolArgs) -> CapabilityResult[Any]:
        raise exc

    spec = ToolSpec(
        name="dynatrace_failing",
        capability="logs",
        description="Always fails.",
        args_schema=ToolArgs,
        run=run,
    )
    handle = EnvironmentHandle(simulator_settings(), transport_factory=simulator_factory())
    return build_tool(spec, environments={"simulator": handle}, default_environment="simulator", budget=1500)


@pytest.mark.parametrize(
    ("exc", "advice"),
    [
        (QueryTimeoutError("the query ran past its 60 s deadline"), "Narrow the timeframe"),
        (ScanBudgetExceededError("the 500 GB scan budget is spent"), "Narrow the timeframe"),
        (RateLimitedError("429 after 4 attempts", retry_after=30), "Wait about 30 s"),
        (NotFoundError("no problem P-1"), "dynatrace_list_problems"),
        (RuntimeError("boom"), "failed unexpectedly"),
    ],
)
async def test_failures_become_advice(exc: Exception, advice: str) -> None:
    message = await call(_failing_tool(exc), {})
    assert message.status == "error"
    assert advice in message.content


def test_explain_never_leaks_a_traceback() -> None:
    text = explain(QueryTimeoutError("deadline"), tool="dynatrace_query_logs")
    assert "Traceback" not in text and "timeframe_start" in text


async def test_tool_node_survives_every_kind_of_failure(tools: dict[str, Any]) -> None:
    builder = StateGraph(MessagesState)
    builder.add_node("tools", ToolNode(list(tools.values())))
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    graph = builder.compile()
    calls = [
        {"name": "dynatrace_execute_dql", "args": {"query": "fetch logs | filter = ="}, "id": "a"},
        {"name": "dynatrace_query_logs", "args": {"levels": ["NOPE"]}, "id": "b"},
        {"name": "dynatrace_get_problem", "args": {"problem": "P-424242"}, "id": "c"},
        {"name": "dynatrace_list_slos", "args": {}, "id": "d"},
        {"name": "dynatrace_query_logs", "args": {"text": 'x" | fetch spans'}, "id": "e"},
    ]
    out = await graph.ainvoke({"messages": [AIMessage(content="", tool_calls=calls)]})
    messages = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    status = {m.tool_call_id: m.status for m in messages}
    assert status == {"a": "error", "b": "error", "c": "error", "d": "success", "e": "success"}


def test_a_refused_token_request_is_not_blamed_on_the_arguments() -> None:
    import httpx

    from dynatrace_agent.client.errormap import oauth_error_for_response

    for status, body in (
        (404, b"<html>Not Found</html>"),
        (400, b'{"errorCode":400,"message":"Bad Request"}'),
    ):
        response = httpx.Response(
            status, content=body, request=httpx.Request("POST", "https://sso.example/t")
        )
        error = oauth_error_for_response(response, environment="prod", scopes=["storage:logs:read"])
        text = explain(error, tool="dynatrace_query_logs")
        assert "correct the arguments" not in text.lower() and "cannot be fixed by changing arguments" in text
        assert "DT_SSO_URL" in text and "test-connection" in text


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError("problem P-1 was not found."),
        RateLimitedError("too many requests.", retry_after=3),
        QueryTimeoutError("the query ran longer than 60 s."),
        ScanBudgetExceededError("the scan budget is spent."),
        ValueError("timeframe_start is not a time."),
    ],
)
def test_advice_reads_as_sentences(error: Exception) -> None:
    text = explain(error, tool="dynatrace_query_logs")
    assert ".." not in text and ". ." not in text, text
