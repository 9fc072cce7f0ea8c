"""Benchmark: does a tool answer hold the fact the question needs, and at what token cost?

Replays the first-hour questions on the demo incident (payment 2.8.0 rolled out at 14:19,
rolled back at 14:41), each once through our tool and once as the raw records a plain DQL
tool returns for the same question (the first 100 records as JSON, one per line, as a
DQL tool such as Dynatrace's MCP server returns them by default). For each it prints the
cl100k tokens of both, their ratio, and whether each answer holds the fact the question needs:

- "When did the payment errors begin?" — a first-seen time of the PSP errors between 14:19
  and 14:25 (the newest records alone put it at the end of the incident);
- "What changed before the problem?" — the deployment's description ("PSP API 2024-10
  migration"), not just its name;
- "What errors did users see?" — the kind of error most sessions met (HTTP 5xx responses;
  Grail's ``user.sessions`` records count errors by kind under ``error.*``, the messages
  themselves live on user events);
- "Which endpoint is failing?" — payment's ``POST /api/payments/authorize`` as the top
  failing endpoint, counted over every span;
- "What is payment?" — its technology and Kubernetes namespace.

Run: ``python -m evals.bench.bench_questions [--json OUT]``. Target: every fact present in our
answers, fewer tokens than the raw records in total. Exit status 1 when a fact is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from dynatrace_agent.simulator import simulator_settings, simulator_transport
from dynatrace_agent.summarise import count_tokens
from dynatrace_agent.tools import DynatraceToolkit

WINDOW = {"timeframe_start": "2025-03-11T14:00:00Z", "timeframe_end": "2025-03-11T14:50:00Z"}
_RAW_WINDOW = 'from:"2025-03-11T14:00:00Z", to:"2025-03-11T14:50:00Z"'
RAW_LIMIT = 100


@dataclass(frozen=True)
class Question:
    """One question: our tool call, the plain DQL a raw tool would run, and the fact needed."""

    text: str
    fact: str
    tool: str
    args: dict[str, Any]
    raw_dql: str
    pattern: str  # a regular expression (multi-line mode) that matches the fact in an answer


QUESTIONS = (
    Question(
        "When did the payment errors begin?",
        "first PSP error time, 14:19-14:25",
        "dynatrace_query_logs",
        dict(WINDOW),
        f'fetch logs, {_RAW_WINDOW} | filter loglevel == "ERROR" | sort timestamp desc | limit {RAW_LIMIT}',
        r"^(?=.*PSP returned)(?=.*\b14:(?:19|2[0-5]):\d\d).*$",
    ),
    Question(
        "What changed before the problem?",
        "the deployment's description",
        "dynatrace_query_events",
        {"timeframe_start": "2025-03-11T13:00:00Z", "timeframe_end": "2025-03-11T14:50:00Z"},
        'fetch events, from:"2025-03-11T13:00:00Z", to:"2025-03-11T14:50:00Z" '
        f'| filter event.kind == "DAVIS_EVENT" | limit {RAW_LIMIT}',
        r"PSP API 2024-10 migration",
    ),
    Question(
        "What errors did users see?",
        "the kind of error most sessions met (HTTP 5xx responses)",
        "dynatrace_query_user_sessions",
        dict(WINDOW),
        f"fetch user.sessions, {_RAW_WINDOW} | limit {RAW_LIMIT}",
        r"Top errors:\n- \d+ HTTP 5xx responses",
    ),
    Question(
        "Which endpoint is failing?",
        "payment POST /api/payments/authorize as the top failing endpoint",
        "dynatrace_query_traces",
        dict(WINDOW),
        f"fetch spans, {_RAW_WINDOW} | filter request.is_failed == true | limit {RAW_LIMIT}",
        r"(?:Top failing endpoints:\n\|[^\n]*\n\|[^\n]*\n\|[^\n]*|\"endpoint.name\": \")"
        r"[^\n]*POST /api/payments/authorize",
    ),
    Question(
        "What is payment?",
        "payment's technology and namespace",
        "dynatrace_list_entities",
        {"name": "payment"},
        f'fetch dt.entity.service | filter entity.name == "payment" | limit {RAW_LIMIT}',
        r"Java[^\n]*(?:ns payments|namespace[^\n]*payments)",
    ),
)


async def _answer(toolkit: DynatraceToolkit, name: str, args: dict[str, Any]) -> str:
    tool = next(t for t in toolkit.get_tools() if t.name == name)
    message = await tool.ainvoke({"type": "tool_call", "id": "q", "name": name, "args": args})
    return str(message.content)


async def _raw(toolkit: DynatraceToolkit, dql: str) -> str:
    """What a plain DQL tool returns: the records as JSON (an error's text when the query fails)."""
    tool = next(t for t in toolkit.get_tools() if t.name == "dynatrace_execute_dql")
    message = await tool.ainvoke(
        {"type": "tool_call", "id": "raw", "name": tool.name, "args": {"query": dql, "budget": 100}}
    )
    artifact = getattr(message, "artifact", None)
    if isinstance(artifact, dict) and isinstance(artifact.get("records"), list):
        # One record per line, as compact as a JSON tool answer gets.
        return "\n".join(json.dumps(r, default=str) for r in artifact["records"][:RAW_LIMIT])
    return str(message.content)


async def run() -> list[dict[str, Any]]:
    """Every question through both tools; one result row per question."""
    toolkit = await DynatraceToolkit.from_settings(
        simulator_settings(), transport_factory=lambda: simulator_transport(None)
    )
    rows: list[dict[str, Any]] = []
    try:
        for q in QUESTIONS:
            ours = await _answer(toolkit, q.tool, q.args)
            raw = await _raw(toolkit, q.raw_dql)
            rows.append(
                {
                    "question": q.text,
                    "fact": q.fact,
                    "tool": q.tool,
                    "our_tokens": count_tokens(ours),
                    "raw_tokens": count_tokens(raw),
                    "fact_in_ours": bool(re.search(q.pattern, ours, re.MULTILINE)),
                    "fact_in_raw": bool(re.search(q.pattern, raw, re.MULTILINE)),
                }
            )
    finally:
        await toolkit.aclose()
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    """The table the benchmark prints."""
    lines = [f"{'question':<38} {'ours':>6} {'raw':>6} {'ratio':>6}  fact in ours / raw"]
    for r in rows:
        ratio = r["raw_tokens"] / r["our_tokens"] if r["our_tokens"] else 0.0
        lines.append(
            f"{r['question']:<38} {r['our_tokens']:>6} {r['raw_tokens']:>6} {ratio:>5.1f}×  "
            f"{'yes' if r['fact_in_ours'] else 'MISSING'} / {'yes' if r['fact_in_raw'] else 'no'}"
            f"  ({r['fact']})"
        )
    ours, raw = sum(r["our_tokens"] for r in rows), sum(r["raw_tokens"] for r in rows)
    present, raw_present = sum(r["fact_in_ours"] for r in rows), sum(r["fact_in_raw"] for r in rows)
    lines.append(
        f"total: ours {ours:,} tokens, raw {raw:,} tokens ({raw / max(ours, 1):.1f}× fewer); "
        f"facts present in ours {present}/{len(rows)}, in raw {raw_present}/{len(rows)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", dest="json_out", help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = asyncio.run(run())
    print(render(rows))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)
    return 0 if all(r["fact_in_ours"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
