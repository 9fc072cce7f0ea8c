"""An agent loop (``create_agent``) with a scripted tool-calling model answers the seven questions
from Dynatrace's integration guide by calling the right tools with the right arguments.

The fake model is scripted, but its later steps are computed from the earlier tool results
(entity ids, problem start times), so a tool that returned the wrong facts breaks the loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool

from tests.tools.conftest import CHECKOUT, PAYMENT, PAYMENT_DEPLOY_EVENT, PROBLEM, WEB_HOSTS

Step = Callable[[list[BaseMessage]], AIMessage]


class ScriptedToolModel(GenericFakeChatModel):
    """A fake chat model whose steps are AIMessages or functions of the conversation so far."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedToolModel:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        step = next(self.messages)
        message = step(messages) if callable(step) else step
        assert isinstance(message, AIMessage)
        return ChatResult(generations=[ChatGeneration(message=message)])


_ids = iter(range(1, 10_000))


def tool_call(tool: str, /, **args: Any) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": tool, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}]
    )


def last_tool_result(messages: list[BaseMessage]) -> str:
    return str(next(m for m in reversed(messages) if isinstance(m, ToolMessage)).content)


def answer(messages: list[BaseMessage]) -> AIMessage:
    return AIMessage(content=f"Based on Dynatrace: {last_tool_result(messages)[:300]}")


def _iso(text: str) -> str:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")


def problem_window(messages: list[BaseMessage]) -> tuple[str, str]:
    found = re.search(r"from (\S+ \S+Z) to (\S+ \S+Z)", last_tool_result(messages))
    assert found, "get_problem did not state the problem's window"
    return _iso(found.group(1)), _iso(found.group(2))


def first(pattern: str, messages: list[BaseMessage]) -> str:
    found = re.search(pattern, last_tool_result(messages))
    assert found, f"{pattern} not in the last tool result"
    return found.group(0)


def q1() -> list[Any]:
    """What Dynatrace problems are open for the checkout service?"""
    return [
        tool_call("dynatrace_list_entities", entity_type="SERVICE", name="checkout"),
        lambda m: tool_call(
            "dynatrace_list_problems", status="open", entity_ids=[first(r"SERVICE-[0-9A-F]{16}", m)]
        ),
        lambda m: tool_call(
            "dynatrace_list_problems", entity_ids=[CHECKOUT], timeframe_start="now-24h"
        ),  # none open: what happened recently?
        answer,
    ]


def q2() -> list[Any]:
    """Show me CPU usage for the web hosts over the last hour."""
    return [
        tool_call("dynatrace_list_entities", entity_type="SERVICE", tags=["team:web"]),
        lambda m: tool_call(
            "dynatrace_query_metrics",
            metric_keys=["dt.host.cpu.usage"],
            entity_ids=re.findall(r"runsOnHost (HOST-[0-9A-F]{16})", last_tool_result(m)),
            by=["dt.entity.host"],
            timeframe_start="now-1h",
        ),
        answer,
    ]


def q3() -> list[Any]:
    """Search Dynatrace logs for errors on the payment service in the last 30 minutes."""
    return [
        tool_call("dynatrace_query_logs", service="payment", levels=["ERROR"], timeframe_start="now-30m"),
        answer,
    ]


def q4() -> list[Any]:
    """Show the slowest checkout-service traces in the last hour."""
    return [
        tool_call(
            "dynatrace_query_traces", service="checkout", timeframe_start="now-1h", slowest_traces=True
        ),
        answer,
    ]


def q5() -> list[Any]:
    """Which customers had frustrated sessions during the outage?"""

    def sessions(m: list[BaseMessage]) -> AIMessage:
        start, end = problem_window(m)
        return tool_call(
            "dynatrace_query_user_sessions", frustrated_only=True, timeframe_start=start, timeframe_end=end
        )

    return [
        tool_call("dynatrace_list_problems", timeframe_start="now-24h", severity=["ERROR", "AVAILABILITY"]),
        lambda m: tool_call("dynatrace_get_problem", problem=first(r"P-\d+", m)),
        sessions,
        answer,
    ]


def q6() -> list[Any]:
    """What deployments or config changes happened right before this problem started?"""

    def events(m: list[BaseMessage]) -> AIMessage:
        start, _ = problem_window(m)
        before = (datetime.fromisoformat(start.replace("Z", "+00:00")) - timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        return tool_call(
            "dynatrace_query_events",
            event_types=["CUSTOM_DEPLOYMENT", "CUSTOM_CONFIGURATION"],
            timeframe_start=before,
            timeframe_end=start,
            anchor=start,
        )

    return [tool_call("dynatrace_get_problem", problem=PROBLEM), events, answer]


def q7() -> list[Any]:
    """Which service-level objectives are defined and what are their targets?"""
    return [tool_call("dynatrace_list_slos"), answer]


#: question -> (script, expected tool names in order, facts each tool result must contain)
QUESTIONS: dict[str, tuple[Callable[[], list[Any]], list[str], list[tuple[str, ...]]]] = {
    "What Dynatrace problems are open for the checkout service?": (
        q1,
        ["dynatrace_list_entities", "dynatrace_list_problems", "dynatrace_list_problems"],
        [(CHECKOUT,), ("No problems matched",), (PROBLEM, "CLOSED")],
    ),
    "Show me CPU usage for the web hosts over the last hour": (
        q2,
        ["dynatrace_list_entities", "dynatrace_query_metrics"],
        [("storefront", *WEB_HOSTS), ("dt.host.cpu.usage", *WEB_HOSTS)],
    ),
    "Search Dynatrace logs for errors on the payment service in the last 30 minutes": (
        q3,
        ["dynatrace_query_logs"],
        [("ERROR", PAYMENT, "Unprocessable Entity")],
    ),
    "Show the slowest checkout-service traces in the last hour": (
        q4,
        ["dynatrace_query_traces"],
        [("Slowest traces", CHECKOUT, "p99")],
    ),
    "Which customers had frustrated sessions during the outage?": (
        q5,
        ["dynatrace_list_problems", "dynatrace_get_problem", "dynatrace_query_user_sessions"],
        [(PROBLEM,), ("14:23:00Z", "14:46:00Z"), ("frustrated", "user-")],
    ),
    "What deployments or config changes happened right before this problem started?": (
        q6,
        ["dynatrace_get_problem", "dynatrace_query_events"],
        [(PROBLEM,), ("Deploy payment 2.8.0", PAYMENT_DEPLOY_EVENT, "Feature flag changed", "before")],
    ),
    "Which service-level objectives are defined and what are their targets?": (
        q7,
        ["dynatrace_list_slos"],
        [("payment availability", "checkout availability", "99.9")],
    ),
}


@pytest.mark.parametrize("question", list(QUESTIONS))
async def test_agent_answers_question(tools: dict[str, BaseTool], question: str) -> None:
    script, expected_tools, facts = QUESTIONS[question]
    steps: Iterator[Any] = iter(script())
    agent = create_agent(
        ScriptedToolModel(messages=steps),
        tools=list(tools.values()),
        system_prompt=f"You investigate Dynatrace. The user is looking at problem {PROBLEM}.",
    )
    state = await agent.ainvoke({"messages": [HumanMessage(question)]})
    messages: list[BaseMessage] = state["messages"]
    calls = [c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [c["name"] for c in calls] == expected_tools
    assert len(results) == len(calls)
    for result, expected in zip(results, facts, strict=True):
        assert result.status == "success", result.content
        for fact in expected:
            assert fact in str(result.content), f"{fact!r} missing from {result.name}:\n{result.content}"
        assert result.artifact and result.artifact["tool"] == result.name
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert str(final.content).startswith("Based on Dynatrace:")
    assert next(steps, None) is None  # the whole script ran


async def test_metric_call_used_the_hosts_found_by_the_entity_call(tools: dict[str, BaseTool]) -> None:
    agent = create_agent(ScriptedToolModel(messages=iter(q2())), tools=list(tools.values()))
    state = await agent.ainvoke(
        {"messages": [HumanMessage("Show me CPU usage for the web hosts over the last hour")]}
    )
    metric_call = [c for m in state["messages"] if isinstance(m, AIMessage) for c in m.tool_calls][1]
    assert sorted(metric_call["args"]["entity_ids"]) == sorted(WEB_HOSTS)
    assert metric_call["args"]["timeframe_start"] == "now-1h"
