"""The tool-calling agent over the toolkit, with a fake chat model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

import graphs.agent as agent_module
from dynatrace_agent.case import IncidentCase
from dynatrace_agent.errors import ConfigurationError
from graphs.agent import make_agent, system_prompt
from tests.graphs.conftest import ClientFactory
from tests.graphs.fakes import FakeSynthesisModel, replies


def test_system_prompt_has_the_time() -> None:
    text = system_prompt(datetime(2025, 3, 4, 10, 40, tzinfo=UTC))
    assert "2025-03-04T10:40:00+00:00" in text and "Davis" in text


async def test_agent_calls_a_toolkit_tool(case: IncidentCase, make_client: ClientFactory) -> None:
    call = {
        "name": "dynatrace_get_problem",
        "args": {"problem": case.problem},
        "id": "c1",
        "type": "tool_call",
    }
    model = FakeSynthesisModel(
        messages=replies(AIMessage(content="", tool_calls=[call]), "It is the problem.")
    )
    async with make_client() as client:
        agent = make_agent(model, client=client)
        result = await agent.ainvoke({"messages": [HumanMessage(f"What is {case.problem}?")]})
    tool_messages = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert tool_messages and case.problem in str(tool_messages[0].content)
    assert result["messages"][-1].content == "It is the problem."


def test_agent_needs_tools_or_a_client() -> None:
    with pytest.raises(ConfigurationError, match="tools or a DynatraceClient"):
        make_agent(FakeSynthesisModel(messages=replies("x")))


async def test_graph_factory_without_a_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DT_ENVIRONMENT_URL", "https://abc12345.live.dynatrace.com")
    monkeypatch.setenv(
        "DT_API_TOKEN",
        "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF",
    )
    monkeypatch.delenv("DT_AGENT_MODEL", raising=False)
    monkeypatch.delenv("DT_AGENT_CONFIG", raising=False)
    # The server reads the module's __dict__: the factory must be a real attribute, and
    # importing the module must not need a model.
    assert callable(vars(agent_module)["graph"])
    with pytest.raises(ConfigurationError, match="DT_AGENT_MODEL") as info:
        await agent_module.graph({"configurable": {}})
    assert "ABCDEFGHIJ" not in str(info.value)


async def test_graph_factory_takes_model_and_environment_from_the_run_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DT_ENVIRONMENT_URL", "https://abc12345.live.dynatrace.com")
    monkeypatch.setenv(
        "DT_API_TOKEN",
        "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF",
    )
    monkeypatch.delenv("DT_AGENT_MODEL", raising=False)
    monkeypatch.delenv("DT_AGENT_CONFIG", raising=False)
    seen: dict[str, object] = {}

    def fake_make_agent(model: object, *, client: object, token_budget: int) -> str:
        seen.update(model=model, client=client)
        return "compiled agent"

    monkeypatch.setattr(agent_module, "make_agent", fake_make_agent)
    built = await agent_module.graph({"configurable": {"model": "openai:gpt-4.1-mini"}})
    assert built == "compiled agent" and seen["model"] == "openai:gpt-4.1-mini"
    assert "abc12345" in str(seen["client"].settings.environment_url)  # type: ignore[attr-defined]
