"""``dynatrace-agent simulator serve|generate`` and the case generator."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dynatrace_agent.case import load_case
from dynatrace_agent.cli import main
from dynatrace_agent.simulator.generate import generate_case

from .conftest import FIXTURES


def test_generate_scales_and_keeps_the_incident_shape(tmp_path: Path) -> None:
    out = generate_case(FIXTURES / "small_case", tmp_path / "big", logs=3000, spans=900, seed=1)
    case = load_case(out)
    assert case.id == "small-checkout-scaled" and case.source["generated_from"] == "small-checkout"
    logs, spans = case.tables["logs"], case.tables["spans"]
    assert len(logs) == 3000 and len(spans) == 900
    # Errors only begin mid-window in the source; the scaled case keeps that shape.
    early = collections.Counter(r["loglevel"] for r in logs if r["timestamp"] < "2025-03-04T10:23:00")
    late = collections.Counter(r["loglevel"] for r in logs if r["timestamp"] >= "2025-03-04T10:27:00")
    assert early["ERROR"] == 0 and late["ERROR"] / sum(late.values()) > 0.3
    slow = [s["duration"] for s in spans if s["start_time"] >= "2025-03-04T10:32:00"]
    fast = [s["duration"] for s in spans if s["start_time"] < "2025-03-04T10:28:00"]
    assert min(slow) > 5 * max(fast)
    assert len({s["trace.id"] for s in spans}) > 800
    assert generate_case(FIXTURES / "small_case", tmp_path / "again", logs=50, seed=1) and load_case(
        tmp_path / "again"
    )


def test_generate_refuses_to_overwrite_its_source(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must differ"):
        generate_case(FIXTURES / "small_case", FIXTURES / "small_case", logs=1)


def test_generate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "simulator",
            "generate",
            "--case",
            str(FIXTURES / "minimal_case"),
            "--out",
            str(tmp_path / "o"),
            "--logs",
            "20",
            "--spans",
            "10",
        ]
    )
    assert status == 0 and "wrote" in capsys.readouterr().out
    case = load_case(tmp_path / "o")
    assert (
        len(case.tables["logs"]) == 20 and len(case.tables["spans"]) == 10
    )  # synthesised: no source records


def test_serve_with_a_bad_case_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["simulator", "serve", "--case", str(tmp_path / "missing"), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such case folder" in err and "Traceback" not in err


def test_serve_prints_environment_and_serves() -> None:
    command = [
        sys.executable,
        "-m",
        "dynatrace_agent",
        "simulator",
        "serve",
        "--case",
        str(FIXTURES / "small_case"),
        "--port",
        "0",
        "--token-scopes",
        "problems.read",
        "--error-burst",
        "5:1",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        assert process.stdout is not None
        env: dict[str, str] = {}
        for line in process.stdout:
            if line.startswith("export "):
                key, _, value = line[len("export ") :].strip().partition("=")
                env[key] = value
            if line.startswith("# Ctrl-C"):
                break
        assert set(env) == {
            "DT_ENVIRONMENT_URL",
            "DT_API_TOKEN",
            "DT_OAUTH_CLIENT_ID",
            "DT_OAUTH_CLIENT_SECRET",
            "DT_SSO_URL",
            "DT_ACCOUNT_URN",
        }
        headers = {"Authorization": f"Api-Token {env['DT_API_TOKEN']}"}
        for _ in range(50):
            try:
                response = httpx.get(
                    f"{env['DT_ENVIRONMENT_URL']}/api/v2/problems", headers=headers, timeout=2
                )
                break
            except httpx.TransportError:
                import time

                time.sleep(0.1)
        assert response.status_code == 200 and response.json()["totalCount"] == 2
        denied = httpx.get(
            f"{env['DT_ENVIRONMENT_URL']}/api/v2/entities?entitySelector=type(HOST)", headers=headers
        )
        assert denied.status_code == 403
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_bad_flags_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulator", "serve", "--error-burst", "soon"])
    assert "FIRST:COUNT" in capsys.readouterr().err
