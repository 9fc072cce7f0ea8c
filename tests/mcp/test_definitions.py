"""Lean tool definitions: what a model re-reads every turn stays within its token budget.

Budgets from issue #15: all tools together <= 3,000 cl100k tokens (6,416 before), the compact
set <= 1,500. The same lean schema goes to a chat model (LangChain) and to MCP clients.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from dynatrace_agent.simulator import SimulatorOptions
from dynatrace_agent.tools import COMPACT_TOOL_NAMES, TOOL_NAMES, DynatraceToolkit
from dynatrace_agent.tools.definitions import definition, definition_tokens, definitions_tokens
from dynatrace_agent.tools.logs import QueryLogsArgs
from dynatrace_agent.tools.schema import lean_schema
from tests.mcp.conftest import connected, make_server
from tests.tools.conftest import make_toolkit

FULL_BUDGET = 3000
COMPACT_BUDGET = 1500


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in _walk(v))]
    if isinstance(node, list):
        return [n for v in node for n in _walk(v)]
    return []


async def test_full_and_compact_sets_fit_their_budgets(toolkit: DynatraceToolkit) -> None:
    tools = toolkit.get_tools()
    assert [t.name for t in tools] == list(TOOL_NAMES)
    assert definitions_tokens(tools) <= FULL_BUDGET
    compact = await make_toolkit(compact=True)
    compact_tools = compact.get_tools()
    assert [t.name for t in compact_tools] == list(COMPACT_TOOL_NAMES)
    assert definitions_tokens(compact_tools) <= COMPACT_BUDGET
    await compact.aclose()


def test_lean_schema_drops_noise_but_keeps_what_a_model_needs() -> None:
    schema = lean_schema(QueryLogsArgs)
    nodes = _walk(schema)
    assert not any(k in n for n in nodes for k in ("title", "anyOf", "maxLength", "additionalProperties"))
    assert not any(n.get("default", "x") in (None, [], False) for n in nodes)
    props = schema["properties"]
    assert props["service"]["type"] == "string"  # was anyOf [string, null]
    assert "ERROR" in props["levels"]["items"]["enum"]  # enums stay
    assert props["timeframe_start"]["default"] == "now-1h"  # meaningful defaults stay
    assert "description" in props["baseline_start"]


async def test_langchain_sends_the_lean_schema_and_still_validates_fully(toolkit: DynatraceToolkit) -> None:
    tool = {t.name: t for t in toolkit.get_tools()}["dynatrace_list_problems"]
    sent = convert_to_openai_tool(tool)["function"]["parameters"]
    assert "anyOf" not in json.dumps(sent) and "title" not in json.dumps(sent)
    # the full pydantic schema still guards the call: too long a text is refused with advice
    message = await tool.ainvoke(
        {"type": "tool_call", "id": "1", "name": tool.name, "args": {"text": "x" * 31}}
    )
    assert message.status == "error" and "text" in message.content and "30" in message.content


async def test_mcp_lists_the_same_definitions_as_langchain(toolkit: DynatraceToolkit) -> None:
    langchain = {t.name: definition(t) for t in toolkit.get_tools()}
    async with connected(await make_server()) as session:
        listed = (await session.list_tools()).tools
    for tool in listed:
        if tool.name in langchain:
            as_mcp = {"name": tool.name, "description": tool.description, "parameters": tool.inputSchema}
            assert as_mcp == langchain[tool.name]
            assert definition_tokens(as_mcp) == definition_tokens(langchain[tool.name])


async def test_several_environments_add_only_a_short_environment_argument() -> None:
    from dynatrace_agent.settings import AgentSettings
    from dynatrace_agent.simulator import simulator_settings
    from tests.tools.conftest import simulator_factory

    settings = AgentSettings(
        environments={"prod": simulator_settings(name="prod"), "stage": simulator_settings(name="stage")},
        default_environment="prod",
    )
    kit = await DynatraceToolkit.from_settings(
        settings, transport_factory=simulator_factory(SimulatorOptions()), probe=False
    )
    tool = {t.name: t for t in kit.get_tools()}["dynatrace_query_logs"]
    env = definition(tool)["parameters"]["properties"]["environment"]
    assert env["enum"] == ["prod", "stage"] and "prod" in env["description"]
    assert definitions_tokens(kit.get_tools()) <= FULL_BUDGET + 12 * 40  # one short argument per tool
    await kit.aclose()


def test_tools_list_json_shows_what_a_model_reads(capsys: pytest.CaptureFixture[str]) -> None:
    from dynatrace_agent.cli import main

    assert main(["tools", "list", "--json"]) == 0
    payload = {t["name"]: t for t in json.loads(capsys.readouterr().out)}
    logs = payload["dynatrace_query_logs"]
    assert logs["input_schema"] == lean_schema(QueryLogsArgs)
    assert "anyOf" in json.dumps(logs["args_schema"]) and "anyOf" not in json.dumps(logs["input_schema"])
    assert sum(t["definition_tokens"] for t in payload.values()) <= FULL_BUDGET
