"""``dynatrace-agent tools list|call``: see and try the agent's tools from a shell.

``tools call`` runs exactly what a model's tool call runs (argument validation, budgeted
summary, error advice), so a developer can check what an agent will read before wiring the
tools into one. ``--simulator`` targets the bundled demo incident in-process, so the tools can
be tried without any Dynatrace credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from langchain_core.messages import ToolMessage

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import EnvironmentSettings, load_settings
from dynatrace_agent.tools import TOOL_NAMES, TOOL_SPECS, DynatraceToolkit
from dynatrace_agent.tools.context import TransportFactory
from dynatrace_agent.tools.definitions import definition_tokens
from dynatrace_agent.tools.schema import lean_schema

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``tools list`` and ``tools call`` to the CLI."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tools",
        help="list the Dynatrace tools or call one as an agent would",
        description="List the LangChain tools this package offers, or call one and print what a model reads.",
    )
    sub = parser.add_subparsers(dest="tools_command", metavar="{list,call}")
    parser.set_defaults(handler=lambda _args: _usage(parser))

    list_parser = sub.add_parser("list", help="list the tools, their scopes and what they do")
    list_parser.add_argument(
        "--json",
        action="store_true",
        help="print names, descriptions, scopes, args schemas and what each definition costs a model",
    )
    list_parser.set_defaults(handler=run_list)

    call = sub.add_parser(
        "call",
        help="call one tool and print its budgeted summary",
        description=(
            "Call one tool with JSON arguments; prints the summary (with --json also the full artifact)."
        ),
    )
    call.add_argument("name", metavar="NAME", help="tool name, e.g. dynatrace_list_problems")
    call.add_argument(
        "--args", default="{}", metavar="JSON", help='arguments as a JSON object, e.g. \'{"status": "open"}\''
    )
    call.add_argument("--budget", type=int, metavar="N", help="token budget of the summary (100-8000)")
    call.add_argument("--env", metavar="NAME", help="environment from the TOML file (default: its default)")
    call.add_argument(
        "--config", metavar="FILE", help="TOML file with environments (default: DT_AGENT_CONFIG)"
    )
    call.add_argument(
        "--simulator", action="store_true", help="use the in-process demo simulator (no credentials needed)"
    )
    call.add_argument("--json", action="store_true", help="print status, summary and artifact as JSON")
    call.set_defaults(handler=run_call)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_list(args: argparse.Namespace) -> int:
    """Print every tool (no API calls): name, capability, scopes, description."""
    if args.json:
        payload = [
            {
                "name": spec.name,
                "capability": spec.capability,
                "scopes": list(spec.scopes),
                "description": spec.description,
                "args_schema": spec.args_schema.model_json_schema(),
                "input_schema": lean_schema(spec.args_schema),
                "definition_tokens": definition_tokens(
                    {
                        "name": spec.name,
                        "description": spec.description,
                        "parameters": lean_schema(spec.args_schema),
                    }
                ),
            }
            for spec in TOOL_SPECS
        ]
        print(json.dumps(payload, indent=2))
        return 0
    width = max(len(n) for n in TOOL_NAMES)
    for spec in TOOL_SPECS:
        print(f"{spec.name.ljust(width)}  {', '.join(spec.scopes)}")
        print(f"{''.ljust(width)}  {spec.description}")
    return 0


def _parse_args(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"--args is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            'pass an object such as \'{"status": "open"}\''
        ) from None
    if not isinstance(value, dict):
        raise ConfigurationError('--args must be a JSON object such as \'{"status": "open"}\'')
    return value


def _target(args: argparse.Namespace) -> tuple[EnvironmentSettings, TransportFactory | None]:
    if args.simulator:
        from dynatrace_agent.simulator import simulator_settings, simulator_transport

        return simulator_settings(), simulator_transport
    settings = load_settings(config_path=args.config)
    return settings.environment(args.env), None


async def _call(
    name: str, call_args: dict[str, Any], env: EnvironmentSettings, factory: TransportFactory | None
) -> ToolMessage:
    toolkit = await DynatraceToolkit.from_settings(env, transport_factory=factory, probe=False)
    try:
        tools = {t.name: t for t in toolkit.get_tools()}
        if name not in tools:
            reason = toolkit.availability[env.name].reasons.get(
                next(s.capability for s in TOOL_SPECS if s.name == name), "not available"
            )
            raise ConfigurationError(f"{name} is not available in environment {env.name!r}: {reason}")
        result = await tools[name].ainvoke(
            {"type": "tool_call", "id": "cli", "name": name, "args": call_args}
        )
    finally:
        await toolkit.aclose()
    if not isinstance(result, ToolMessage):  # pragma: no cover - a tool call always answers a message
        raise ConfigurationError(f"{name} returned {type(result).__name__} instead of a tool message")
    return result


def run_call(args: argparse.Namespace) -> int:
    """Call one tool; exit 0 on success, 1 when the tool reported an error, 2 on bad usage."""
    if args.name not in TOOL_NAMES:
        raise ConfigurationError(f"no tool named {args.name!r}; known tools: {', '.join(TOOL_NAMES)}")
    call_args = _parse_args(args.args)
    if args.budget is not None:
        call_args["budget"] = args.budget
    env, factory = _target(args)
    message = asyncio.run(_call(args.name, call_args, env, factory))
    failed = message.status == "error"
    if args.json:
        print(
            json.dumps(
                {
                    "tool": args.name,
                    "status": message.status,
                    "content": message.content,
                    "artifact": message.artifact,
                },
                indent=2,
            )
        )
    else:
        print(message.content, file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0
