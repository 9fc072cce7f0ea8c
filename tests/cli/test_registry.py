"""Commands owned by the layers above the library reach the CLI through the command registry."""

from __future__ import annotations

import pytest

from dynatrace_agent import cli
from dynatrace_agent.commands.registry import CommandRegistry, load_registry
from dynatrace_agent.errors import ConfigurationError


def test_the_graph_and_eval_layers_register_their_commands_and_the_investigator() -> None:
    registry = load_registry()
    assert {"demo", "investigate", "eval"} <= set(registry.commands)
    from graphs.investigation.run import InvestigationRunner

    runner = registry.investigator_factory()(model="openai:gpt-x", token_budget=900)
    assert isinstance(runner, InvestigationRunner)
    assert (runner.model, runner.token_budget) == ("openai:gpt-x", 900)


def test_a_command_whose_package_did_not_register_says_how_to_fix_the_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = CommandRegistry(failures={"graphs": "ModuleNotFoundError: No module named 'graphs.commands'"})
    monkeypatch.setattr(cli, "load_registry", lambda: broken)
    assert cli.main(["investigate", "P-1", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the 'investigate' command is not installed") and "reinstall" in err
    assert "the 'graphs' entry point failed: ModuleNotFoundError" in err and "Traceback" not in err
    assert cli.main([]) == 2
    listing = capsys.readouterr().out
    assert "investigate" in listing and "test-connection" in listing  # the library's commands still work


def test_the_registry_refuses_a_second_command_of_the_same_name_and_a_missing_investigator() -> None:
    registry = CommandRegistry()
    registry.add_command("eval", lambda sub: None)
    with pytest.raises(ConfigurationError, match="registered twice"):
        registry.add_command("eval", lambda sub: None)
    with pytest.raises(ConfigurationError, match="no investigation graph is installed"):
        registry.investigator_factory()
