"""Streamable HTTP: loopback by default, a bearer token on any other bind, and real clients.

A real uvicorn server on a free loopback port; the SDK's HTTP client and
``langchain-mcp-adapters`` talk to it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from langchain_mcp_adapters.client import MultiServerMCPClient
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from dynatrace_agent.cli import main
from dynatrace_agent.commands.tools import _call as tools_call
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.mcp.http import MCP_PATH, build_http_app, check_bind, is_loopback
from dynatrace_agent.simulator import simulator_settings
from tests.mcp.conftest import make_server
from tests.tools.conftest import simulator_factory
from tests.tools.test_demo_incident import CASES

TOKEN = "test-token-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(token: SecretStr | None) -> AsyncIterator[str]:
    """Serve the demo MCP server on a free loopback port; yields the endpoint URL."""
    port = _free_port()
    app = build_http_app(await make_server(), host="127.0.0.1", token=token)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}{MCP_PATH}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "dt-agent.example.com"])
def test_a_non_loopback_bind_without_a_token_is_refused(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigurationError, match=r"without a bearer token.*DT_AGENT_MCP_TOKEN"):
        check_bind(host, None)
    check_bind(host, SecretStr(TOKEN))  # with one it is allowed


def test_loopback_needs_no_token_and_short_tokens_are_refused() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, None)
    with pytest.raises(ConfigurationError, match="shorter than 16"):
        check_bind("0.0.0.0", SecretStr("short"))


def test_cli_refuses_before_touching_any_tenant(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DT_AGENT_MCP_TOKEN", raising=False)
    assert main(["mcp", "--http", "--host", "0.0.0.0", "--simulator"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: refusing to serve MCP on 0.0.0.0") and "Traceback" not in err
    monkeypatch.setenv("DT_AGENT_MCP_TOKEN", "tiny")
    assert main(["mcp", "--http", "--host", "0.0.0.0", "--simulator"]) == 2
    assert "tiny" not in capsys.readouterr().err  # the secret is never echoed


@asynccontextmanager
async def session_at(url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def test_http_with_a_token_serves_the_tools_and_refuses_without_it() -> None:
    async with serving(SecretStr(TOKEN)) as url:
        async with httpx.AsyncClient() as http:
            bare = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            wrong = await http.post(url, json={}, headers={"Authorization": "Bearer nope"})
        assert bare.status_code == 401 and wrong.status_code == 401
        assert TOKEN not in bare.text
        async with session_at(url, {"Authorization": f"Bearer {TOKEN}"}) as session:
            names = [t.name for t in (await session.list_tools()).tools]
            result = await session.call_tool("dynatrace_list_slos", {})
        assert "dynatrace_investigate" in names and "dynatrace_list_slos" in names
        expected = await tools_call("dynatrace_list_slos", {}, simulator_settings(), simulator_factory())
        content = result.content[0]
        assert isinstance(content, types.TextContent) and content.text == expected.content


async def test_loopback_http_rejects_foreign_host_headers() -> None:
    async with serving(None) as url, httpx.AsyncClient() as http:
        rebound = await http.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Host": "evil.example", "Accept": "application/json, text/event-stream"},
        )
    assert rebound.status_code in (400, 403, 421)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "".join(block["text"] for block in value if block.get("type") == "text")


async def test_langchain_mcp_adapters_load_and_call_the_tools() -> None:
    async with serving(SecretStr(TOKEN)) as url:
        client = MultiServerMCPClient(
            {
                "dynatrace": {
                    "transport": "streamable_http",
                    "url": url,
                    "headers": {"Authorization": f"Bearer {TOKEN}"},
                }
            }
        )
        tools = {t.name: t for t in await client.get_tools()}
        answers = {name: _text(await tools[name].ainvoke(dict(args))) for name, (args, _) in CASES.items()}
        verdict = await tools["dynatrace_investigate"].ainvoke({"problem": "P-25031177"})
    for name, (args, _) in CASES.items():
        expected = await tools_call(name, dict(args), simulator_settings(), simulator_factory())
        assert answers[name] == expected.content, name
    assert "**Verdict:** payment" in _text(verdict)


@pytest.mark.slow
async def test_cli_serves_http_on_loopback_until_stopped() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dynatrace_agent",
        "mcp",
        "--http",
        "--port",
        str(port),
        "--simulator",
        "--compact",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "DT_AGENT_MCP_TOKEN"},
    )
    try:
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        url = f"http://127.0.0.1:{port}{MCP_PATH}"
        assert line.decode().strip() == f"MCP server on {url}"
        names: list[str] = []
        for _ in range(100):  # the banner precedes uvicorn's bind by a moment
            try:
                async with session_at(url, {}) as session:
                    names = [t.name for t in (await session.list_tools()).tools]
                break
            except (httpx.ConnectError, ExceptionGroup):
                await asyncio.sleep(0.1)
        assert names[0] == "dynatrace_investigate" and "dynatrace_query_metrics" not in names
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)
    assert process.stdout is not None and await process.stdout.read() == b""
