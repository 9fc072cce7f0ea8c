"""The MCP server over the demo simulator, through the SDK's own client.

Done-when of issue #15: a client lists the toolkit's tools for the granted scopes (with and
without OAuth), calls each and reads the same text ``dynatrace-agent tools call`` prints,
errors included (as ``isError``), and ``dynatrace_investigate`` returns the demo verdict.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import types
from mcp.shared.exceptions import McpError
from pydantic import AnyUrl

from dynatrace_agent.commands.tools import _call as tools_call
from dynatrace_agent.mcp.investigate import INVESTIGATE_NAME
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings
from dynatrace_agent.summarise.budget import count_tokens
from dynatrace_agent.tools import TOOL_NAMES
from graphs.investigation.run import InvestigationRunner
from tests.mcp.conftest import connected, make_server
from tests.tools.conftest import PAYMENT, PROBLEM, make_toolkit, simulator_factory
from tests.tools.test_demo_incident import CASES

NO_OAUTH = SimulatorOptions(oauth_enabled=False)


def _text(result: types.CallToolResult) -> str:
    assert len(result.content) == 1 and isinstance(result.content[0], types.TextContent)
    return result.content[0].text


@pytest.mark.parametrize("options", [None, NO_OAUTH], ids=["oauth", "no-oauth"])
async def test_lists_exactly_the_toolkit_tools_for_the_granted_scopes(
    options: SimulatorOptions | None,
) -> None:
    kit = await make_toolkit(options)
    expected = [t.name for t in kit.get_tools()]
    await kit.aclose()
    async with connected(await make_server(options)) as session:
        listed = (await session.list_tools()).tools
    assert [t.name for t in listed] == [INVESTIGATE_NAME, *expected]
    if options is NO_OAUTH:  # no Grail: problems, entities and alerting rules only
        assert expected == [
            "dynatrace_list_problems",
            "dynatrace_get_problem",
            "dynatrace_list_entities",
            "dynatrace_list_alerting_rules",
        ]
    else:
        assert expected == list(TOOL_NAMES)
    for tool in listed:
        assert tool.annotations is not None and tool.annotations.readOnlyHint is True
        assert tool.annotations.destructiveHint is False


async def test_compact_server_lists_the_compact_set() -> None:
    from dynatrace_agent.tools import COMPACT_TOOL_NAMES

    async with connected(await make_server(compact=True)) as session:
        names = [t.name for t in (await session.list_tools()).tools]
    assert names == [INVESTIGATE_NAME, *COMPACT_TOOL_NAMES]


async def test_every_tool_answers_what_tools_call_prints() -> None:
    async with connected(await make_server()) as session:
        for name, (args, facts) in CASES.items():
            result = await session.call_tool(name, dict(args))
            text = _text(result)
            assert result.isError is False, text
            expected = await tools_call(name, dict(args), simulator_settings(), simulator_factory())
            assert text == expected.content, name
            assert all(fact in text for fact in facts), name


async def test_errors_come_back_as_the_same_advice_with_is_error() -> None:
    bad_query: dict[str, Any] = {"query": "fetch logs | filter = ="}
    bad_args: dict[str, Any] = {"timeframe_start": 5, "unknown": 1}
    async with connected(await make_server()) as session:
        for name, args in (("dynatrace_execute_dql", bad_query), ("dynatrace_list_problems", bad_args)):
            result = await session.call_tool(name, args)
            expected = await tools_call(name, args, simulator_settings(), simulator_factory())
            assert result.isError is True and expected.status == "error"
            assert _text(result) == expected.content
        assert "unknown: Extra inputs are not permitted" in _text(result)
        missing = await session.call_tool("dynatrace_delete_everything", {})
        assert missing.isError and "available tools" in _text(missing) and INVESTIGATE_NAME in _text(missing)


async def test_a_tool_without_its_scope_is_neither_listed_nor_callable() -> None:
    async with connected(await make_server(NO_OAUTH)) as session:
        result = await session.call_tool("dynatrace_query_logs", {})
    assert result.isError and "no tool named 'dynatrace_query_logs'" in _text(result)


async def test_investigate_returns_the_demo_verdict_and_keeps_the_report_as_a_resource() -> None:
    async with connected(await make_server()) as session:
        result = await session.call_tool(INVESTIGATE_NAME, {"problem": PROBLEM})
        text = _text(result)
        assert result.isError is False
        assert f"**Verdict:** payment (`{PAYMENT}`) · deployment" in text
        assert "Deploy payment 2.8.0" in text and count_tokens(text) <= 3000
        short = _text(await session.call_tool(INVESTIGATE_NAME, {"problem": PROBLEM, "budget": 400}))
        assert count_tokens(short) <= 400 and "**Verdict:** payment" in short
        assert "dynatrace://reports/P-25031177" in short
        resources = {str(r.uri): r for r in (await session.list_resources()).resources}
        assert "dynatrace://reports/P-25031177" in resources
        full = await session.read_resource(resources["dynatrace://reports/P-25031177"].uri)
        body = full.contents[0]
        assert isinstance(body, types.TextResourceContents) and body.mimeType == "text/markdown"
        assert body.text.startswith("# P-25031177") and count_tokens(body.text) > 400


async def test_investigate_errors_are_advice() -> None:
    async with connected(await make_server()) as session:
        unknown = await session.call_tool(INVESTIGATE_NAME, {"problem": "P-1"})
        assert unknown.isError and "Not found" in _text(unknown)
        invalid = await session.call_tool(INVESTIGATE_NAME, {"problem": "a\nb", "budget": 5})
        assert invalid.isError and "problem:" in _text(invalid) and "budget:" in _text(invalid)
        with pytest.raises(McpError, match=r"no report for 'P-404'.*call dynatrace_investigate first"):
            await session.read_resource(AnyUrl("dynatrace://reports/P-404"))


async def test_investigate_on_a_tenant_without_oauth_names_what_it_could_not_see() -> None:
    async with connected(await make_server(NO_OAUTH)) as session:
        result = await session.call_tool(INVESTIGATE_NAME, {"problem": PROBLEM})
    text = _text(result)
    assert result.isError is False and text.startswith("# P-25031177")
    assert "**Not checked:** events" in text and "logs, metrics, traces" in text


async def test_investigate_reports_progress_when_the_client_asks() -> None:
    seen: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message))

    async with connected(await make_server()) as session:
        result = await session.call_tool(
            INVESTIGATE_NAME, {"problem": PROBLEM}, progress_callback=on_progress
        )
        await session.send_ping()  # notifications sent before the answer have arrived by now
    assert result.isError is False
    messages = [m or "" for _, m in seen]
    assert any(m.startswith("traces") for m in messages) and any(m.startswith("logs") for m in messages)
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)


async def test_a_failing_investigation_is_advice_not_a_protocol_error() -> None:
    class Broken(InvestigationRunner):
        async def investigate(self, *_: Any, **__: Any) -> Any:
            raise TimeoutError("the graph missed its deadline")

    async with connected(await make_server(investigator=Broken())) as session:
        result = await session.call_tool(INVESTIGATE_NAME, {"problem": PROBLEM})
    assert result.isError is True
    assert _text(result).startswith("Error: dynatrace_investigate failed")
    assert "TimeoutError: the graph missed its deadline" in _text(result)
