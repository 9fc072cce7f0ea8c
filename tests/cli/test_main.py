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
    assert cli.main([]) == 2
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


def test_version_and_bare_command(capsys: pytest.CaptureFixture[str]) -> None:
    from dynatrace_agent._version import __version__

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"dynatrace-agent {__version__}"
    assert cli.main([]) == 2  # no command: usage, and scripts notice
    assert "COMMAND" in capsys.readouterr().out
    assert cli.main(["simulator"]) == 2


@pytest.mark.parametrize("command", ["eval", "record", "simulator", "simulator serve", "simulator generate"])
def test_every_command_describes_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args([*command.split(), "--help"])
    out = capsys.readouterr().out
    body = out.split("\n\n")[1]  # the paragraph after the usage lines
    assert not body.startswith(("positional arguments", "options")), out


def test_broken_pipe_is_quiet(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    assert _run_with(handler, monkeypatch) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv", [["tools", "list"], ["tools", "list", "--json"]])
def test_reader_closing_the_pipe_is_not_a_bug(argv: list[str]) -> None:
    import subprocess
    import sys

    # The reader goes away before anything is written, as `| head -1` does after its line.
    process = subprocess.Popen(
        [sys.executable, "-m", "dynatrace_agent", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert "BrokenPipe" not in err and "bug" not in err, err
