"""Benchmark: what the tool definitions cost a model on every turn, full set and compact set.

A definition is a tool's name, description and argument schema as a model receives them:
through LangChain (``convert_to_openai_tool``, what ``bind_tools`` sends) and over MCP
(``tools/list``: name, description, inputSchema). Both are counted in cl100k tokens as JSON
with the usual ``", "``/``": "`` separators (an upper bound for compact wire JSON).

The baseline, measured in the same run, is LangChain's default conversion of the same
pydantic argument models (titles, ``anyOf [X, null]``, ``default: null``, length limits):
what the tools sent before the lean schema. For reference, issue #15 measured Dynatrace's
own MCP server (18 tools) at 4,376 tokens and our tools before this work at 6,416.

Run: ``python -m evals.bench.bench_definitions [--json OUT]``.
Targets: all tools together <= 3,000 tokens, the compact set <= 1,500.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from dynatrace_agent.simulator import simulator_settings, simulator_transport
from dynatrace_agent.tools import COMPACT_TOOL_NAMES, DynatraceToolkit
from dynatrace_agent.tools.definitions import definition, definition_tokens
from graphs.investigation.run import InvestigationRunner

FULL_TARGET = 3000
COMPACT_TARGET = 1500


async def _never_called(**_: Any) -> str:
    raise AssertionError("the baseline tool is only converted, never called")


def _baseline_tokens(tool: BaseTool) -> int:
    """Tokens of the same tool as a plain ``StructuredTool`` over its full pydantic schema."""
    plain = StructuredTool.from_function(
        coroutine=_never_called, name=tool.name, description=tool.description, args_schema=tool.args_schema
    )
    return definition_tokens(plain)


async def _mcp_tokens(toolkit: DynatraceToolkit) -> dict[str, int]:
    """Tokens per tool as an MCP client receives them from ``tools/list`` (SDK client, in memory)."""
    from mcp.shared.memory import create_connected_server_and_client_session

    from dynatrace_agent.mcp import build_server

    server = build_server(toolkit, investigator=InvestigationRunner())
    async with create_connected_server_and_client_session(server.sdk_server()) as session:
        listed = (await session.list_tools()).tools
    return {
        t.name: definition_tokens({"name": t.name, "description": t.description, "parameters": t.inputSchema})
        for t in listed
    }


async def measure() -> dict[str, Any]:
    toolkit = await DynatraceToolkit.from_settings(
        simulator_settings(), transport_factory=simulator_transport, probe=False
    )
    try:
        tools = toolkit.get_tools()
        rows: list[dict[str, Any]] = [
            {
                "tool": tool.name,
                "compact": tool.name in COMPACT_TOOL_NAMES,
                "langchain": definition_tokens(tool),
                "baseline": _baseline_tokens(tool),
                "description": len(definition(tool)["description"]),
            }
            for tool in tools
        ]
        mcp = await _mcp_tokens(toolkit)
    finally:
        await toolkit.aclose()
    for row in rows:
        row["mcp"] = mcp.get(row["tool"])
    full = sum(r["langchain"] for r in rows)
    compact = sum(r["langchain"] for r in rows if r["compact"])
    return {
        "rows": rows,
        "full": full,
        "compact": compact,
        "full_mcp": sum(r["mcp"] or 0 for r in rows),
        "compact_mcp": sum(r["mcp"] or 0 for r in rows if r["compact"]),
        "investigate_mcp": mcp.get("dynatrace_investigate"),
        "baseline_full": sum(r["baseline"] for r in rows),
        "baseline_compact": sum(r["baseline"] for r in rows if r["compact"]),
    }


def report(result: dict[str, Any]) -> None:
    print(f"{'tool':34} {'compact':>7} {'tokens':>7} {'via MCP':>8} {'baseline':>9} {'ratio':>6}")
    for row in result["rows"]:
        ratio = row["langchain"] / row["baseline"]
        print(
            f"{row['tool']:34} {'yes' if row['compact'] else '':>7} {row['langchain']:>7} "
            f"{row['mcp']:>8} {row['baseline']:>9} {ratio:>6.2f}"
        )
    full, compact = result["full"], result["compact"]
    print(
        f"{'all tools':34} {'':>7} {full:>7} {result['full_mcp']:>8} {result['baseline_full']:>9} "
        f"{full / result['baseline_full']:>6.2f}   target <= {FULL_TARGET}"
    )
    print(
        f"{'compact set':34} {'':>7} {compact:>7} {result['compact_mcp']:>8} "
        f"{result['baseline_compact']:>9} {compact / result['baseline_compact']:>6.2f}   "
        f"target <= {COMPACT_TARGET}"
    )
    print(f"dynatrace_investigate (MCP only): {result['investigate_mcp']} tokens")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    result = asyncio.run(measure())
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = result["full"] <= FULL_TARGET and result["compact"] <= COMPACT_TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
