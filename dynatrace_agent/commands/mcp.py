"""``dynatrace-agent mcp``: serve the toolkit to MCP clients (Claude, VS Code, custom agents).

stdio by default (the client starts the process); ``--http`` serves streamable HTTP on
loopback, and on any other address only with a bearer token (``DT_AGENT_MCP_TOKEN``).
``--simulator`` serves the bundled demo incident in-process, so a client can be tried
without credentials. The ``mcp`` SDK is an optional extra; without it the command says how
to install it. Nothing but protocol messages is written to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from dynatrace_agent.commands.registry import load_registry
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import load_settings
from dynatrace_agent.summarise.budget import MAX_BUDGET, MIN_BUDGET, check_budget

__all__ = ["register"]

DEFAULT_PORT = 8765


def register(subparsers: Any) -> None:
    """Add ``mcp`` to the CLI."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "mcp",
        help="serve the Dynatrace tools over the Model Context Protocol (stdio or HTTP)",
        description=(
            "Serve the tools this environment's scopes allow, plus dynatrace_investigate and the reports "
            "as resources, to MCP clients. stdio by default; --http for streamable HTTP (loopback unless "
            "DT_AGENT_MCP_TOKEN is set)."
        ),
    )
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument("--env", metavar="NAME", help="environment from the TOML file (default: its default)")
    parser.add_argument(
        "--config", metavar="FILE", help="TOML file with environments (default: DT_AGENT_CONFIG)"
    )
    parser.add_argument(
        "--simulator", action="store_true", help="serve the bundled demo incident in-process (no credentials)"
    )
    parser.add_argument("--no-oauth", action="store_true", help="with --simulator: a tenant without OAuth")
    parser.add_argument(
        "--compact", action="store_true", help="offer the compact tool set (fewer definitions per turn)"
    )
    parser.add_argument(
        "--budget", type=int, metavar="N", help=f"default answer size in tokens ({MIN_BUDGET}-{MAX_BUDGET})"
    )
    parser.add_argument(
        "--report-budget", type=int, metavar="N", help="dynatrace_investigate answer size (default 3000)"
    )
    parser.add_argument(
        "--cases", type=Path, metavar="DIR", help="serve the incident cases in DIR as resources"
    )
    parser.set_defaults(handler=run)


def _sdk() -> Any:
    """The MCP package, or a clear error naming the extra to install."""
    try:
        import dynatrace_agent.mcp as package
    except ModuleNotFoundError as exc:  # a dependency of the SDK itself is missing
        raise ConfigurationError(
            f"the MCP server needs the 'mcp' extra ({exc.name} is missing): "
            'pip install "dynatrace-agent[mcp]"'
        ) from None
    return package


def _token() -> SecretStr | None:
    value = os.environ.get("DT_AGENT_MCP_TOKEN", "").strip()
    return SecretStr(value) if value else None


def _validate(args: argparse.Namespace) -> None:
    for option, value in (("--budget", args.budget), ("--report-budget", args.report_budget)):
        if value is not None:
            try:
                check_budget(value)
            except ValueError as exc:
                raise ConfigurationError(f"{option}: {exc}") from None
    if not 0 < args.port < 65536:
        raise ConfigurationError(f"--port must be 1-65535, got {args.port}")
    if args.no_oauth and not args.simulator:
        raise ConfigurationError("--no-oauth only applies to --simulator")
    if args.simulator and (args.env or args.config):
        raise ConfigurationError("--simulator serves the demo incident; leave out --env/--config")


async def build(args: argparse.Namespace) -> Any:
    """The ``DynatraceMcpServer`` for these arguments (toolkit probed on the running loop)."""
    package = _sdk()
    from dynatrace_agent.mcp.resources import case_folders
    from dynatrace_agent.tools import DynatraceToolkit

    cases = case_folders(args.cases) if args.cases else []
    model: Any | None = None
    if args.simulator:
        from dynatrace_agent.case import demo_case_path
        from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport

        opts = SimulatorOptions(oauth_enabled=not args.no_oauth)
        toolkit = await DynatraceToolkit.from_settings(
            simulator_settings(opts),
            transport_factory=lambda: simulator_transport(None, opts),
            token_budget=args.budget,
            compact=args.compact,
        )
        cases = cases or [demo_case_path()]
    else:
        settings = load_settings(config_path=args.config)
        toolkit = await DynatraceToolkit.from_settings(
            settings.environment(args.env), token_budget=args.budget, compact=args.compact
        )
        model = settings.model
    factory = load_registry().investigator
    options: dict[str, Any] = {
        "investigator": None if factory is None else factory(model=model),
        "resources": package.ResourceStore(cases),
    }
    if args.report_budget is not None:
        options["report_budget"] = args.report_budget
    return package.build_server(toolkit, **options)


async def _serve_stdio(args: argparse.Namespace) -> None:
    from mcp.server.stdio import stdio_server

    server = await build(args)
    sdk = server.sdk_server()
    try:
        async with stdio_server() as (read, write):
            await sdk.run(read, write, sdk.create_initialization_options())
    finally:
        await server.aclose()


async def _serve_http(args: argparse.Namespace, token: SecretStr | None) -> None:
    import uvicorn

    from dynatrace_agent.mcp.http import MCP_PATH, build_http_app

    server = await build(args)
    app = build_http_app(server, host=args.host, token=token)
    print(f"MCP server on http://{args.host}:{args.port}{MCP_PATH}", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()


def run(args: argparse.Namespace) -> int:
    """Serve until the client disconnects (stdio) or the process is interrupted (HTTP)."""
    _validate(args)
    _sdk()  # fail fast, before any network, when the extra is missing
    if args.http:
        from dynatrace_agent.mcp.http import check_bind

        token = _token()
        check_bind(args.host, token)  # refuse before probing the tenant
        asyncio.run(_serve_http(args, token))
    else:
        asyncio.run(_serve_stdio(args))
    return 0
