"""The LangGraph server runner against a real ``langgraph dev`` server serving the fake graph."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dynatrace_agent.webhook.dispatch import LangGraphServerRunner, RunnerError
from dynatrace_agent.webhook.store import alert_id_for

pytestmark = [pytest.mark.langgraph_server, pytest.mark.slow]

LANGGRAPH = Path(sys.executable).parent / "langgraph"
GRAPH_SOURCE = Path(__file__).with_name("fake_graph.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not LANGGRAPH.exists() and shutil.which("langgraph") is None:
        pytest.skip("the langgraph CLI (langgraph-cli[inmem]) is not installed")
    binary = str(LANGGRAPH) if LANGGRAPH.exists() else str(shutil.which("langgraph"))
    workdir = tmp_path_factory.mktemp("lg")
    shutil.copy(GRAPH_SOURCE, workdir / "fake_graph.py")
    (workdir / "langgraph.json").write_text(
        json.dumps({"dependencies": ["."], "graphs": {"investigation": "./fake_graph.py:graph"}})
    )
    port = _free_port()
    env = {**os.environ, "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGSMITH_TRACING": "false"}
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [binary, "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"langgraph dev exited: {(workdir / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not start: {(workdir / 'server.log').read_text()[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


async def test_runs_once_per_problem_thread(server: str) -> None:
    runner = LangGraphServerRunner(server, "investigation", multitask_strategy="reject")
    alert_id = alert_id_for("prod", "-7_1V2")
    try:
        report = await runner.run(problem_ref="-7_1V2", environment="prod", alert_id=alert_id)
        assert report["problem"] == "-7_1V2"
        assert report["environment"] == "prod"
        again = await runner.run(problem_ref="-7_1V2", environment="prod", alert_id=alert_id)
        assert again == report
        client = runner._sdk()
        runs = await client.runs.list(alert_id, limit=10)
        assert len(runs) == 1  # the retry reused the stored report, it did not run again
        thread = await client.threads.get(alert_id)
        assert thread["metadata"]["problem"] == "-7_1V2"
    finally:
        await runner.aclose()


async def test_failed_run_is_a_runner_error(server: str) -> None:
    runner = LangGraphServerRunner(server)
    try:
        with pytest.raises(RunnerError, match="status 'error'"):
            await runner.run(problem_ref="FAIL-9", environment="", alert_id=alert_id_for("prod", "FAIL-9"))
    finally:
        await runner.aclose()


async def test_unreachable_server_is_a_runner_error() -> None:
    runner = LangGraphServerRunner(f"http://127.0.0.1:{_free_port()}")
    try:
        with pytest.raises(RunnerError, match="LangGraph server"):
            await runner.run(problem_ref="P-1", environment="", alert_id=alert_id_for("prod", "P-1"))
    finally:
        await runner.aclose()


async def test_concurrent_attempts_share_one_run(server: str) -> None:
    import asyncio

    first, second = LangGraphServerRunner(server), LangGraphServerRunner(server)
    alert_id = alert_id_for("prod", "SLOW-3")
    try:
        reports = await asyncio.gather(
            first.run(problem_ref="SLOW-3", environment="prod", alert_id=alert_id),
            second.run(problem_ref="SLOW-3", environment="prod", alert_id=alert_id),
        )
        assert reports[0] == reports[1] and reports[0]["problem"] == "SLOW-3"
        runs = await first._sdk().runs.list(alert_id, limit=10)
        assert len(runs) == 1  # the second attempt was rejected and joined the first run
    finally:
        await first.aclose()
        await second.aclose()
