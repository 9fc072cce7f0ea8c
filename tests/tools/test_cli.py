"""``dynatrace-agent tools list|call`` against the in-process demo simulator."""

from __future__ import annotations

import json

import pytest

from dynatrace_agent.cli import main
from dynatrace_agent.summarise.budget import count_tokens
from dynatrace_agent.tools import TOOL_NAMES


def test_list_prints_every_tool_with_scopes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in TOOL_NAMES) and "storage:logs:read" in out


def test_list_json_has_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "list", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in payload] == list(TOOL_NAMES)
    assert "metric_keys" in payload[2]["args_schema"]["properties"]


def test_call_prints_the_budgeted_summary(capsys: pytest.CaptureFixture[str]) -> None:
    args = json.dumps({"service": "payment", "levels": ["ERROR"], "timeframe_start": "now-30m"})
    assert (
        main(["tools", "call", "dynatrace_query_logs", "--simulator", "--args", args, "--budget", "300"]) == 0
    )
    out = capsys.readouterr().out
    assert "Unprocessable Entity" in out and count_tokens(out.strip()) <= 300


def test_call_json_adds_the_artifact(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "call", "dynatrace_list_slos", "--simulator", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "success" and len(payload["artifact"]["records"]) == 4


def test_tool_error_exits_1_with_advice(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "tools",
            "call",
            "dynatrace_execute_dql",
            "--simulator",
            "--args",
            '{"query": "fetch logs | filter = ="}',
        ]
    )
    assert code == 1
    assert "line 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tools", "call", "dynatrace_nope", "--simulator"], "no tool named"),
        (["tools", "call", "dynatrace_list_slos", "--simulator", "--args", "{oops"], "not valid JSON"),
        (["tools", "call", "dynatrace_list_slos", "--simulator", "--args", "[1]"], "JSON object"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
