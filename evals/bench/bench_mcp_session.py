"""Benchmark: one incident session over MCP, question by question versus one investigation call.

Replays the demo incident through the real MCP server and the SDK's client (in memory, no
model): the *question route* asks what an agent asks one tool at a time (problems, the
problem, logs, traces, changes, metrics, sessions, business events, entities) and then
answers; the *investigate route* makes one ``dynatrace_investigate`` call and answers.

A model re-reads the tool definitions (and the server's instructions) on every turn, so a
route costs ``definitions x turns + answers`` (turns = tool calls + the final answer turn).
The second figure, ``cumulative``, also charges every turn for the answers already in the
conversation, which is what a chat model really re-reads. Both routes are measured in the
same run, with the full tool set and with the compact set; the ratio is
investigate / question.

Run: ``python -m evals.bench.bench_mcp_session [--json OUT]``.
Target (issue #15): the investigate route reaches the root cause in <= 10,000 tokens all told.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from mcp import ClientSession, types
from mcp.shared.memory import create_connected_server_and_client_session

from dynatrace_agent.mcp import build_server
from dynatrace_agent.mcp.server import INSTRUCTIONS
from dynatrace_agent.simulator import simulator_settings, simulator_transport
from dynatrace_agent.summarise.budget import count_tokens
from dynatrace_agent.tools import DynatraceToolkit
from dynatrace_agent.tools.definitions import definition_tokens
from graphs.investigation.run import InvestigationRunner

TARGET = 10_000
PROBLEM = "P-25031177"
ROOT_CAUSE = "SERVICE-420724B61BA61077"  # payment, deployed 2.8.0 four minutes before the problem
PROBLEM_START = "2025-03-11T14:23:00Z"

#: The question route: what an agent asks, in order (tool, arguments). Compact-set tools only
#: where the compact set lacks one: metrics, sessions and business events go through DQL.
QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    ("dynatrace_list_problems", {"timeframe_start": "now-7d"}),
    ("dynatrace_get_problem", {"problem": PROBLEM}),
    ("dynatrace_query_logs", {"levels": ["ERROR"], "timeframe_start": "now-1h", "baseline_start": "now-3h"}),
    ("dynatrace_query_traces", {"timeframe_start": "now-1h", "failed_only": True}),
    ("dynatrace_query_events", {"anchor": PROBLEM_START, "timeframe_start": "now-2h"}),
    (
        "dynatrace_query_metrics",
        {"metric_keys": ["dt.service.request.failure_count"], "by": ["dt.entity.service"]},
    ),
    ("dynatrace_query_user_sessions", {"frustrated_only": True}),
    ("dynatrace_query_business_events", {"split_at": PROBLEM_START}),
    ("dynatrace_list_entities", {"entity_type": "SERVICE"}),
]
DQL_FOR = {
    "dynatrace_query_metrics": (
        "timeseries failures = sum(dt.service.request.failure_count), by:{dt.entity.service}"
    ),
    "dynatrace_query_user_sessions": (
        "fetch user.sessions | summarize n = count(), by:{dt.rum.user_experience}"
    ),
    "dynatrace_query_business_events": "fetch bizevents | summarize n = count(), by:{event.type}",
}
QUESTION = f"Why did problem {PROBLEM} happen?"


async def _definitions(session: ClientSession) -> tuple[int, set[str]]:
    listed = (await session.list_tools()).tools
    tokens = sum(
        definition_tokens({"name": t.name, "description": t.description, "parameters": t.inputSchema})
        for t in listed
    )
    return tokens + count_tokens(INSTRUCTIONS), {t.name for t in listed}


def _text(result: types.CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, types.TextContent))


def _route(name: str, definitions: int, answers: list[str], calls: int) -> dict[str, Any]:
    turns = calls + 1
    sizes = [count_tokens(a) for a in answers]
    question = count_tokens(QUESTION)
    simple = definitions * turns + sum(sizes) + question
    # each turn re-reads the definitions, the question and every answer received so far
    cumulative = sum(definitions + question + sum(sizes[:turn]) for turn in range(turns))
    return {
        "route": name,
        "calls": calls,
        "turns": turns,
        "definitions": definitions,
        "answers": sum(sizes),
        "total": simple,
        "cumulative": cumulative,
        "root_cause_found": any(ROOT_CAUSE in a for a in answers),
    }


async def measure(compact: bool) -> list[dict[str, Any]]:
    toolkit = await DynatraceToolkit.from_settings(
        simulator_settings(), transport_factory=simulator_transport, probe=False, compact=compact
    )
    server = build_server(toolkit, investigator=InvestigationRunner())
    set_name = "compact" if compact else "full"
    try:
        async with create_connected_server_and_client_session(server.sdk_server()) as session:
            definitions, names = await _definitions(session)
            answers = []
            for tool, args in QUESTIONS:
                if tool not in names:  # the compact set asks the same question in DQL
                    tool, args = "dynatrace_execute_dql", {"query": DQL_FOR[tool]}
                result = await session.call_tool(tool, args)
                if result.isError:
                    raise RuntimeError(f"{tool} failed: {_text(result)}")
                answers.append(_text(result))
            question_route = _route(f"questions ({set_name})", definitions, answers, len(QUESTIONS))
            report = await session.call_tool("dynatrace_investigate", {"problem": PROBLEM})
            if report.isError:
                raise RuntimeError(f"dynatrace_investigate failed: {_text(report)}")
            investigate_route = _route(f"investigate ({set_name})", definitions, [_text(report)], 1)
    finally:
        await server.aclose()
    return [question_route, investigate_route]


def report(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'route':24} {'calls':>5} {'defs/turn':>9} {'answers':>8} {'total':>7} {'cumulative':>10} "
        "root cause"
    )
    for row in rows:
        print(
            f"{row['route']:24} {row['calls']:>5} {row['definitions']:>9} {row['answers']:>8} "
            f"{row['total']:>7} {row['cumulative']:>10} {'yes' if row['root_cause_found'] else 'no'}"
        )
    for pair in (rows[0:2], rows[2:4]):
        questions, investigate = pair
        total = investigate["total"] / questions["total"]
        cumulative = investigate["cumulative"] / questions["cumulative"]
        print(
            f"{investigate['route']} / {questions['route']}: total {total:.2f}, cumulative {cumulative:.2f}"
        )
    print(
        f"target: investigate route <= {TARGET} tokens all told (Dynatrace's server, question route: ~100k)"
    )


async def _all() -> list[dict[str, Any]]:
    return [*(await measure(compact=False)), *(await measure(compact=True))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    rows = asyncio.run(_all())
    report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    investigate = [r for r in rows if r["route"].startswith("investigate")]
    ok = all(r["cumulative"] <= TARGET and r["root_cause_found"] for r in investigate)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
