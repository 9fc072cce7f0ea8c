"""The toolkit offers only usable tools, spans several environments, and bounds budgets."""

from __future__ import annotations

import pytest
from langchain_core.tools import BaseToolkit
from pydantic import ValidationError

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import AgentSettings
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from dynatrace_agent.simulator.options import ALL_OAUTH_SCOPES, ALL_TOKEN_SCOPES
from dynatrace_agent.summarise.budget import count_tokens
from dynatrace_agent.tools import TOOL_NAMES, DynatraceToolkit
from tests.tools.conftest import call, make_toolkit, simulator_factory

CLASSIC_TOOLS = {
    "dynatrace_list_problems",
    "dynatrace_get_problem",
    "dynatrace_list_entities",
    "dynatrace_list_alerting_rules",
}


async def test_all_scopes_offer_all_twelve_tools(toolkit: DynatraceToolkit) -> None:
    assert isinstance(toolkit, BaseToolkit)
    assert [t.name for t in toolkit.get_tools()] == list(TOOL_NAMES)
    assert toolkit.unavailable() == {}


async def test_environment_without_oauth_gets_problems_entities_and_alerting_only() -> None:
    kit = await make_toolkit(SimulatorOptions(oauth_enabled=False))
    assert {t.name for t in kit.get_tools()} == CLASSIC_TOOLS
    reasons = kit.unavailable()["simulator"]
    assert "DT_OAUTH_CLIENT_ID" in reasons["logs"]
    await kit.aclose()


async def test_probe_hides_tools_whose_scope_is_not_granted() -> None:
    options = SimulatorOptions(
        oauth_scopes=set(ALL_OAUTH_SCOPES) - {"storage:logs:read", "slo:slos:read"},
        token_scopes=set(ALL_TOKEN_SCOPES) - {"settings.read"},
    )
    kit = await make_toolkit(options)
    names = {t.name for t in kit.get_tools()}
    assert names == set(TOOL_NAMES) - {
        "dynatrace_query_logs",
        "dynatrace_list_slos",
        "dynatrace_list_alerting_rules",
    }
    reasons = kit.unavailable()["simulator"]
    assert "storage:logs:read" in reasons["logs"] and "settings.read" in reasons["alerting_rules"]
    await kit.aclose()


async def test_several_environments_add_an_environment_argument() -> None:
    prod = simulator_settings(name="prod")
    classic = simulator_settings(SimulatorOptions(oauth_enabled=False), name="classic")
    settings = AgentSettings(environments={"prod": prod, "classic": classic}, default_environment="classic")
    kit = await DynatraceToolkit.from_settings(
        settings,
        transport_factory={
            "prod": simulator_factory(),
            "classic": simulator_factory(SimulatorOptions(oauth_enabled=False)),
        },
        token_budget=800,
    )
    tools = {t.name: t for t in kit.get_tools()}
    assert len(tools) == 12
    logs_env = tools["dynatrace_query_logs"].args["environment"]
    problems_env = tools["dynatrace_list_problems"].args["environment"]
    assert "prod" in str(logs_env) and "classic" not in str(logs_env)  # logs only where OAuth exists
    assert "classic" in str(problems_env) and "prod" in str(problems_env)
    message = await call(tools["dynatrace_query_logs"], {"levels": ["ERROR"]})  # defaults to prod: only there
    assert message.status == "success" and message.artifact["environment"] == "prod"
    assert str(message.content).startswith("[environment: prod]")
    assert count_tokens(str(message.content)) <= 800
    wrong = await call(tools["dynatrace_query_logs"], {"environment": "classic"})
    assert wrong.status == "error" and "environment" in wrong.content
    await kit.aclose()


async def test_from_clients_uses_the_callers_client_and_leaves_it_open() -> None:
    async with DynatraceClient(simulator_settings(), transport=simulator_transport()) as client:
        kit = DynatraceToolkit.from_clients(client, token_budget=400, tool_names=["dynatrace_list_slos"])
        (tool,) = kit.get_tools()
        before = client.api_calls
        message = await call(tool, {})
        assert message.status == "success" and client.api_calls > before
        assert message.artifact["budget"] == 400
        await kit.aclose()
        assert (await call(tool, {})).status == "success"  # still open


def test_budget_and_names_are_validated() -> None:
    client = DynatraceClient(simulator_settings(), transport=simulator_transport())
    with pytest.raises(ValidationError, match="token budget"):
        DynatraceToolkit.from_clients(client, token_budget=20)
    with pytest.raises(ValidationError, match="unknown tool names"):
        DynatraceToolkit.from_clients(client, tool_names=["dynatrace_delete_everything"])
    with pytest.raises(ConfigurationError):
        DynatraceToolkit.from_clients([])


async def test_rejected_token_offers_nothing_and_says_why() -> None:
    settings = simulator_settings()
    bad = settings.model_copy(update={"api_token": type(settings.api_token)("dt0c01.WRONG.TOKEN")})
    kit = await DynatraceToolkit.from_settings(bad, transport_factory=simulator_factory())
    names = {t.name for t in kit.get_tools()}
    assert not names & CLASSIC_TOOLS
    assert "dt0c01.WRONG" not in repr(kit.unavailable())
    await kit.aclose()
