"""The ``demo`` and ``investigate`` commands (the simulator stands in for a tenant)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.cli import main
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.settings import EnvironmentSettings
from dynatrace_agent.simulator import SimulatorOptions, simulator_transport
from graphs.commands import investigate as investigate_command
from tests.graphs.conftest import SMALL_CASE


def test_demo_prints_the_markdown_report(case: IncidentCase, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["demo"] if case.path != SMALL_CASE else ["demo", "--case", str(SMALL_CASE)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"# {case.problem}")
    assert "## Root-cause candidates" in captured.out
    for phase in ("problem", "traces", "logs", "analysis", "report"):
        assert f"] {phase}" in captured.err


def test_demo_json_without_oauth(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--case", str(SMALL_CASE), "--json", "--no-oauth", "--quiet"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["format"] == "dynatrace-agent/report@1"
    assert {g["capability"] for g in report["unavailable"]} >= {"traces", "logs"}
    assert captured.err == ""


def test_demo_with_a_missing_case_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--case", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no incident case at") and "Traceback" not in err


def test_investigate_uses_the_configured_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    case_opts = SimulatorOptions()
    from dynatrace_agent.case import load_case

    small = load_case(SMALL_CASE)
    seen: list[str] = []

    def fake_client(environment: EnvironmentSettings) -> DynatraceClient:
        seen.append(environment.name)
        return DynatraceClient(environment, transport=simulator_transport(small, case_opts))

    monkeypatch.setattr(investigate_command, "_client", fake_client)
    config = tmp_path / "dt.toml"
    config.write_text(
        'default = "sim"\n[environments.sim]\nenvironment_url = "http://127.0.0.1:8400"\n'
        f'api_token = "{case_opts.api_token}"\noauth_client_id = "{case_opts.oauth_client_id}"\n'
        f'oauth_client_secret = "{case_opts.oauth_client_secret}"\n'
        f'account_urn = "{case_opts.account_urn}"\n'
        'sso_url = "http://127.0.0.1:8400/sso/oauth2/token"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("DT_AGENT_MODEL", raising=False)
    db = tmp_path / "cp.sqlite"
    code = main(["investigate", small.problem, "--config", str(config), "--json", "--checkpoint", str(db)])
    assert code == 0, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    assert seen == ["sim"]
    assert report["ranked_root_causes"][0]["name"] == "checkout"
    assert db.exists()


def test_investigate_rejects_a_bad_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["investigate", "P-1", "--deadline", "0"]) == 2
    assert "--deadline" in capsys.readouterr().err
