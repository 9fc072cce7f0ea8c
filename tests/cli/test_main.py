"""The command line turns every failure into one clear line and an exit status."""

from __future__ import annotations

import argparse

import pytest

from dynatrace_agent import cli
from dynatrace_agent.errors import ConfigurationError


def _run_with(handler: object, monkeypatch: pytest.MonkeyPatch) -> int:
    real = cli.build_parser

    def parser() -> argparse.ArgumentParser:
        p = real()
        p.set_defaults(handler=handler)
        return p

    monkeypatch.setattr(cli, "build_parser", parser)
    return cli.main([])


def test_expected_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise ConfigurationError("DT_ENVIRONMENT_URL is not set; export it")

    assert _run_with(handler, monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: DT_ENVIRONMENT_URL is not set; export it"


def test_bugs_are_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise KeyError("boom")

    monkeypatch.delenv("DT_AGENT_DEBUG", raising=False)
    assert _run_with(handler, monkeypatch) == 70
    err = capsys.readouterr().err
    assert "unexpected KeyError" in err and "Traceback" not in err
    monkeypatch.setenv("DT_AGENT_DEBUG", "1")
    with pytest.raises(KeyError):
        _run_with(handler, monkeypatch)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for command in (
        "demo",
        "investigate",
        "test-connection",
        "tools",
        "serve",
        "mcp",
        "simulator",
        "eval",
        "record",
    ):
        assert command in out
