"""Benchmark: simulator case load time and Grail query time as the log table grows.

Run: ``python -m evals.bench.bench_simulator [--sizes 10000,100000,1000000] [--case DIR]``.
For each size it generates a scaled case (``simulator generate``), loads it, then times
``filter + summarize + limit`` through the real HTTP app (in-process ASGI transport), so the
figures include routing, auth, JSON encoding and the DQL engine. Query time should grow no
worse than linearly with the record count and stay under a second at 1M records.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from dynatrace_agent.case import load_case
from dynatrace_agent.simulator import create_app
from dynatrace_agent.simulator.generate import generate_case

DEFAULT_CASE = Path(__file__).resolve().parents[2] / "tests" / "simulator" / "fixtures" / "small_case"
QUERY = (
    'fetch logs, from: now-2h | filter loglevel == "ERROR" or contains(content, "timeout") '
    "| summarize n = count(), by:{service.name, loglevel} | sort n desc | limit 10"
)


async def _time_query(case_dir: Path, repeats: int) -> tuple[float, float, int]:
    started = time.perf_counter()
    case = load_case(case_dir)
    load_s = time.perf_counter() - started
    transport = httpx.ASGITransport(app=create_app(case))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        token = await client.post(
            "/sso/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "dt0s02.SIMULATOR",
                "client_secret": "dt0s02.SIMULATOR.SECRET",
                "scope": "storage:logs:read storage:buckets:read",
            },
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        timings = []
        scanned = 0
        for _ in range(repeats + 1):  # the first run also builds the DQL data source
            t0 = time.perf_counter()
            response = await client.post(
                "/platform/storage/query/v1/query:execute", json={"query": QUERY}, headers=headers
            )
            timings.append(time.perf_counter() - t0)
            response.raise_for_status()
            scanned = response.json()["result"]["metadata"]["grail"]["scannedRecords"]
    return load_s, statistics.median(timings[1:]), scanned


def main() -> None:
    """Print one line per size: records, load seconds, median query seconds, per-record cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'records':>9} {'load s':>8} {'query s':>8} {'µs/record':>10} {'scanned':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            case_dir = generate_case(args.case, Path(tmp) / f"logs-{size}", logs=size)
            load_s, query_s, scanned = asyncio.run(_time_query(case_dir, args.repeats))
            per_record_us = query_s / size * 1e6
            print(f"{size:>9} {load_s:>8.2f} {query_s:>8.3f} {per_record_us:>10.2f} {scanned:>9}", flush=True)


if __name__ == "__main__":
    main()
