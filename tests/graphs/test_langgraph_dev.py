"""The repo's own ``langgraph.json`` runs on ``langgraph dev`` and investigates to a report.

Starts the simulator (the demo incident) and ``langgraph dev`` on the repository's
``langgraph.json`` as the README documents, with the simulator's ``DT_*`` variables and no
model, then runs the investigation over the server's API. ``langgraph dev`` refuses blocking
I/O on its event loop, so this also proves no node blocks (the token vocabulary, settings and
clients are loaded at start-up or in a worker thread). The agent graph, which needs a model,
must not keep the server from starting; its run fails with a ConfigurationError.
"""

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

pytestmark = [pytest.mark.langgraph_server, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
LANGGRAPH = Path(sys.executable).parent / "langgraph"
DEMO_PROBLEM = "P-25031177"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def simulator_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    log_path = tmp_path_factory.mktemp("sim") / "simulator.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dynatrace_agent", "simulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log_path.open("w"),
        start_new_session=True,
    )
    assert proc.stdout is not None
    variables: dict[str, str] = {}
    try:
        for raw in proc.stdout:
            line = raw.decode().strip()
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").partition("=")
                variables[key] = value
            if line.startswith("# Ctrl-C"):
                break
        if "DT_ENVIRONMENT_URL" not in variables:
            pytest.fail(f"the simulator did not start: {log_path.read_text()[-2000:]}")
        yield variables
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def server(simulator_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not LANGGRAPH.exists() and shutil.which("langgraph") is None:
        pytest.skip("the langgraph CLI (langgraph-cli[inmem]) is not installed")
    if (REPO / ".env").exists():
        pytest.skip("a .env in the repository would be loaded over the simulator's settings")
    binary = str(LANGGRAPH) if LANGGRAPH.exists() else str(shutil.which("langgraph"))
    config = json.loads((REPO / "langgraph.json").read_text())
    assert config.get("env") in (None, ".env"), "langgraph.json must not load a placeholder env file"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("DT_") or k in ("DT_AGENT_DEBUG",)
    }  # fmt: skip
    env.update(simulator_env, LANGGRAPH_CLI_NO_ANALYTICS="1", LANGSMITH_TRACING="false")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("lg") / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [binary, "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,  # the README's way: `langgraph dev` in the repository
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"langgraph dev exited: {log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)
        log.close()
        text = log_path.read_text()
        assert "BlockingError" not in text, text[-3000:]


async def test_the_investigation_runs_to_a_report_on_langgraph_dev(server: str) -> None:
    from langgraph_sdk import get_client

    client = get_client(url=server)
    thread = await client.threads.create()
    output = await client.runs.wait(
        thread["thread_id"], "investigation", input={"problem": DEMO_PROBLEM}, raise_error=False
    )
    assert isinstance(output, dict) and "__error__" not in output, output
    report = output["report"]
    assert report["problem"]["display_id"] == DEMO_PROBLEM
    assert report["ranked_root_causes"][0]["name"] == "payment"
    assert report["stats"]["api_calls"] > 0 and not report["unavailable"], report["unavailable"]


async def test_the_agent_graph_without_a_model_fails_only_when_run(server: str) -> None:
    from langgraph_sdk import get_client

    client = get_client(url=server)
    graphs = {a["graph_id"] for a in await client.assistants.search()}
    assert graphs == {"investigation", "agent"}  # the server started with both graphs
    thread = await client.threads.create()
    output = await client.runs.wait(
        thread["thread_id"],
        "agent",
        input={"messages": [{"role": "user", "content": "hi"}]},
        raise_error=False,
    )
    assert isinstance(output, dict) and output["__error__"]["error"] == "ConfigurationError"
