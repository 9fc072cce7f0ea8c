"""Benchmark of one investigation on the simulator: parallel branches against sequential ones.

Run: ``python evals/bench/bench_investigation.py [--latency-ms 200] [--repeat 1] [--case DIR]``

Every API request to the in-process simulator waits ``--latency-ms`` (200 ms by default, a
realistic round trip to a SaaS tenant plus Grail's queueing). The same nodes run once with
the evidence branches fanned out (the shipped graph) and once chained one after another;
the script prints the wall time of both and their ratio (target ≤ 0.5), the API calls and
the tokens of evidence text per investigation, and each branch's own time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from dynatrace_agent.case import IncidentCase, demo_case_path, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from graphs.investigation.run import investigate

BRANCHES = ("topology", "changes", "traces", "logs", "metrics", "routine_lines", "impact", "alerting")


async def _once(case: IncidentCase, latency_ms: int, *, sequential: bool) -> dict[str, Any]:
    opts = SimulatorOptions(latency_ms=latency_ms)
    timings: dict[str, list[float]] = {}

    def progress(event: dict[str, Any]) -> None:
        timings.setdefault(str(event.get("phase")), []).append(time.perf_counter())

    async with DynatraceClient(simulator_settings(opts), transport=simulator_transport(case, opts)) as client:
        began = time.perf_counter()
        report = await investigate(case.problem, client=client, sequential=sequential, on_progress=progress)
        wall = time.perf_counter() - began
    branch_s = {b: timings[b][-1] - timings[b][0] for b in BRANCHES if len(timings.get(b, [])) >= 2}
    top = report.ranked_root_causes[0] if report.ranked_root_causes else None
    return {
        "wall_s": wall,
        "api_calls": report.stats.api_calls,
        "tokens": report.stats.tool_output_tokens,
        "branch_s": branch_s,
        "top": (top.name or top.entity_id) if top else None,
    }


async def run(case: IncidentCase, latency_ms: int, repeat: int) -> float:
    results: dict[str, list[dict[str, Any]]] = {"parallel": [], "sequential": []}
    for _ in range(repeat):
        results["parallel"].append(await _once(case, latency_ms, sequential=False))
        results["sequential"].append(await _once(case, latency_ms, sequential=True))
    par = statistics.median(r["wall_s"] for r in results["parallel"])
    seq = statistics.median(r["wall_s"] for r in results["sequential"])
    first = results["parallel"][0]
    print(f"case {case.id} (problem {case.problem}), {latency_ms} ms per API request, {repeat} run(s) each")
    print(
        f"  parallel   wall {par:6.2f} s   API calls {first['api_calls']}   evidence tokens {first['tokens']}"
    )
    print(
        f"  sequential wall {seq:6.2f} s   API calls {results['sequential'][0]['api_calls']}   "
        f"evidence tokens {results['sequential'][0]['tokens']}"
    )
    ratio = par / seq if seq else float("nan")
    print(f"  ratio parallel/sequential {ratio:.2f} (target <= 0.50)")
    print(
        "  branch time in the parallel run: "
        + ", ".join(f"{b} {s:.2f} s" for b, s in first["branch_s"].items())
    )
    print(f"  sum of branch times {sum(first['branch_s'].values()):.2f} s; top candidate: {first['top']}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--case", type=Path, default=None, help="case folder (default: the bundled demo)")
    parser.add_argument("--latency-ms", type=int, default=200, help="latency per API request (default 200)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant (median reported)")
    args = parser.parse_args(argv)
    case = load_case(args.case or demo_case_path())
    ratio = asyncio.run(run(case, args.latency_ms, max(1, args.repeat)))
    return 0 if ratio <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
