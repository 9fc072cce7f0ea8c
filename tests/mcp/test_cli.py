"""``dynatrace-agent mcp`` as a client starts it: a subprocess speaking MCP over stdio."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

from dynatrace_agent.cli import main
from dynatrace_agent.simulator import SimulatorOptions, create_app, demo_case

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_stdio_server_lists_and_calls_tools_and_investigates() -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "dynatrace_agent", "mcp", "--simulator", "--compact"], cwd=ROOT
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.serverInfo.name == "dynatrace-agent" and "dynatrace_investigate" in (
            init.instructions or ""
        )
        names = [t.name for t in (await session.list_tools()).tools]
        assert names[0] == "dynatrace_investigate" and "dynatrace_query_metrics" not in names  # compact
        problems = await session.call_tool("dynatrace_list_problems", {"timeframe_start": "now-7d"})
        verdict = await session.call_tool("dynatrace_investigate", {"problem": "P-25031177", "budget": 500})
        cases = [str(r.uri) for r in (await session.list_resources()).resources]
    assert isinstance(problems.content[0], types.TextContent) and "P-25031177" in problems.content[0].text
    assert (
        isinstance(verdict.content[0], types.TextContent)
        and "**Verdict:** payment" in verdict.content[0].text
    )
    assert "dynatrace://cases/demo-checkout-deployment" in cases


@pytest.mark.slow
async def test_env_and_config_pick_the_tenant(tmp_path: Path) -> None:
    """A TOML file with two environments; ``--env`` picks the one without OAuth (a loopback simulator)."""
    opts = SimulatorOptions(oauth_enabled=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(demo_case(), opts), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    config = tmp_path / "agent.toml"
    config.write_text(
        'default = "other"\n'
        "[environments.other]\n"
        'url = "https://abc12345.live.dynatrace.com"\n'
        'api_token_env = "OTHER_TOKEN"\n'
        "[environments.classic]\n"
        f'url = "http://127.0.0.1:{port}"\n'
        'api_token_env = "SIM_TOKEN"\n',
        encoding="utf-8",
    )
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "dynatrace_agent", "mcp", "--env", "classic"],
        env={
            **os.environ,
            "DT_AGENT_CONFIG": str(config),
            "SIM_TOKEN": opts.api_token,
            "OTHER_TOKEN": opts.api_token,
        },
        cwd=ROOT,
    )
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = [t.name for t in (await session.list_tools()).tools]
            problem = await session.call_tool("dynatrace_get_problem", {"problem": "P-25031177"})
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    assert names == [
        "dynatrace_investigate",
        "dynatrace_list_problems",
        "dynatrace_get_problem",
        "dynatrace_list_entities",
        "dynatrace_list_alerting_rules",
    ]  # no OAuth on that tenant: no Grail tools
    assert isinstance(problem.content[0], types.TextContent) and "Davis root cause" in problem.content[0].text


def test_without_the_extra_the_command_says_what_to_install() -> None:
    script = (
        "import sys; sys.modules['mcp'] = None\n"  # as if the SDK were not installed
        "from dynatrace_agent.cli import main\n"
        "sys.exit(main(['mcp', '--simulator']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.strip()
        == "error: the MCP server needs the 'mcp' extra: pip install \"dynatrace-agent[mcp]\""
    )
    assert done.stdout == ""


def test_bad_options_are_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mcp", "--simulator", "--budget", "5"]) == 2
    assert "token budget must be a whole number from 100 to 8000" in capsys.readouterr().err
    assert main(["mcp", "--no-oauth"]) == 2
    assert "--no-oauth only applies to --simulator" in capsys.readouterr().err
    assert main(["mcp", "--simulator", "--cases", str(ROOT / "no-such-folder")]) == 2
    assert "is not a folder" in capsys.readouterr().err
