"""Dynatrace's own TypeScript SDK drives the simulator on loopback: if it can't parse us, we're wrong.

The simulator runs under uvicorn on a free loopback port (``query_running_ms=300`` so queries
can be RUNNING, ``result_ttl_s=1`` so tokens expire quickly); ``node/conformance.mjs`` then uses
``QueryExecutionClient`` (execute 200, 202 → poll → cancel, 400 syntax, 403 scope, 410 expired)
and ``ProblemsClient.getProblems``. Skipped, with the reason, when Node or the npm packages are
missing (CI runs ``npm ci`` in ``tests/conformance/node`` first, and makes a skip a failure).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from dynatrace_agent.case import load_case
from dynatrace_agent.simulator import SimulatorOptions, create_app
from tests.conformance.nodejs import find_node, skip_or_fail

NODE_DIR = Path(__file__).parent / "node"
CASE = Path(__file__).parent.parent / "simulator" / "fixtures" / "small_case"
PACKAGES = ("client-query", "client-classic-environment-v2", "http-client")

pytestmark = pytest.mark.node


def _skip_reason(node: Path | None) -> str | None:
    if node is None:
        return 'Node.js >= 20 is not installed (pip install -e ".[dev]" brings it)'
    missing = [p for p in PACKAGES if not (NODE_DIR / "node_modules" / "@dynatrace-sdk" / p).is_dir()]
    if missing:
        return f"run `npm ci` in {NODE_DIR} first (missing @dynatrace-sdk/{', '.join(missing)})"
    return None


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    reason = _skip_reason(find_node(20))
    if reason:
        skip_or_fail(reason)
    options = SimulatorOptions(query_running_ms=300, result_ttl_s=1)
    app = create_app(load_case(CASE), options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start within 10 s")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


def test_dynatrace_sdk_drives_the_simulator(simulator_url: str) -> None:
    node = find_node(20)
    assert node is not None
    completed = subprocess.run(
        [str(node), "conformance.mjs"],
        cwd=NODE_DIR,
        env={"SIM_URL": simulator_url, "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    checks = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    failed = [c for c in checks if not c["ok"]]
    assert not failed, json.dumps(failed, indent=2)
    assert completed.returncode == 0, completed.stderr
    names = {c["check"] for c in checks}
    assert len(checks) == 8, names
    assert any("410" in name for name in names) and any("getProblems" in name for name in names)
