"""The one in-process runner, and the LangGraph server path: clients from the factory's resources."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import AgentSettings, EnvironmentSettings, load_settings
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from graphs.investigation import resources as resources_module
from graphs.investigation import server
from graphs.investigation.context import InvestigationContext
from graphs.investigation.graph import graph
from graphs.investigation.resources import RESOURCES_KEY, ServerResources
from graphs.investigation.run import InvestigationRunner, stream_investigation


def test_the_runner_takes_its_options_from_the_settings_and_crosses_processes(tmp_path: Path) -> None:
    settings = load_settings(
        env={
            "DT_ENVIRONMENT_URL": "http://127.0.0.1:8400",
            "DT_API_TOKEN": "dt0c01.ABC.DEF",
            "DT_AGENT_MODEL": "openai:gpt-x",
        }
    )
    runner = InvestigationRunner.from_settings(settings, deadline_s=30.0, checkpoint=tmp_path / "cp.sqlite")
    assert (runner.model, runner.token_budget, runner.deadline_s) == ("openai:gpt-x", 1500, 30.0)
    assert pickle.loads(pickle.dumps(runner)) == runner  # what the webhook's worker processes receive


async def test_the_same_report_through_the_runner_and_the_shorthand(
    case: IncidentCase, make_client: Any
) -> None:
    from graphs.investigation.run import investigate

    async with make_client() as client:
        through_runner = await InvestigationRunner().investigate(case.problem, client=client)
    async with make_client() as client:
        shorthand = await investigate(case.problem, client=client)
    assert [c.entity_id for c in through_runner.ranked_root_causes] == [
        c.entity_id for c in shorthand.ranked_root_causes
    ]


async def test_server_runs_take_clients_from_the_factory_resources_and_read_settings_once(
    case: IncidentCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = SimulatorOptions()
    loads: list[int] = []
    built: list[str] = []

    def load() -> AgentSettings:
        loads.append(1)
        return AgentSettings(
            environments={"sim": simulator_settings(options, name="sim")}, default_environment="sim"
        )

    def client(settings: EnvironmentSettings) -> DynatraceClient:  # the simulator instead of the network
        built.append(settings.name)
        return DynatraceClient(settings, transport=simulator_transport(case, options))

    monkeypatch.setattr(resources_module, "DynatraceClient", client)
    shared = ServerResources(load)
    monkeypatch.setattr(server, "RESOURCES", shared)
    bound = server.graph({"configurable": {"environment": "sim"}})
    assert bound.config["configurable"][RESOURCES_KEY] is shared
    context = InvestigationContext(environment="sim")
    for _ in range(2):
        report = await stream_investigation(bound, {"problem": case.problem}, context)
        assert report["ranked_root_causes"] and report["problem"]["display_id"] == case.problem
    assert loads == [1] and built == ["sim"]  # settings read once, one client per environment
    assert shared.model() is None  # no DT_AGENT_MODEL: template narrative


async def test_a_run_without_client_or_resources_says_what_is_missing() -> None:
    with pytest.raises(ConfigurationError, match="has no Dynatrace client"):
        await stream_investigation(graph, {"problem": "P-1"}, InvestigationContext())
