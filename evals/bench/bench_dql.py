"""Benchmark of the simulator's DQL engine over 10k, 100k and 1M synthetic log records.

Run: ``python evals/bench/bench_dql.py [--sizes 10000,100000,1000000] [--repeat 3]``

For each size it prints the time to build the :class:`DataSource` (parsing timestamps and
sorting, paid once per case) and the best-of-N time of the issue's query
(filter + summarize + limit), with the cost per record so linear scaling is visible.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from dynatrace_agent.simulator.dql_engine import DataSource, execute

QUERY = (
    'fetch logs | filter loglevel == "ERROR" and contains(content, "timeout") '
    "| summarize count(), by:{dt.entity.service} | limit 10"
)
NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)
_LEVELS = ["INFO"] * 80 + ["WARN"] * 10 + ["ERROR"] * 6 + ["DEBUG"] * 4
_MESSAGES = [
    "GET /api/cart 200 in {n} ms",
    "Connection timeout after {n} ms calling payment",
    "Order {n} placed",
    "Cache miss for key product:{n}",
    "Upstream request timeout (attempt {n})",
    "Retrying request {n}",
]


def synthetic_logs(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` log records spread over the two hours before NOW, in random order."""
    rng = random.Random(seed)
    start = NOW - timedelta(hours=2)
    span_us = int(timedelta(hours=2).total_seconds() * 1_000_000)
    records = []
    for _ in range(count):
        ts = start + timedelta(microseconds=rng.randrange(span_us))
        service = rng.randrange(20)
        records.append(
            {
                "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z",
                "content": rng.choice(_MESSAGES).format(n=rng.randrange(10_000)),
                "loglevel": rng.choice(_LEVELS),
                "dt.entity.service": f"SERVICE-{service:016X}",
                "service.name": f"svc-{service}",
                "host.name": f"host-{rng.randrange(8)}",
            }
        )
    return records


def bench(size: int, repeat: int) -> tuple[float, float]:
    """Return (load seconds, best query seconds) for ``size`` records."""
    logs = synthetic_logs(size)
    t0 = time.perf_counter()
    data = DataSource.from_tables({"logs": logs})
    load = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = execute(QUERY, data, now=NOW)
        best = min(best, time.perf_counter() - t0)
    assert result.scanned_records == size, "every synthetic record lies inside the default timeframe"
    return load, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"query: {QUERY}")
    print(f"{'records':>10} {'load s':>8} {'query s':>8} {'load ns/rec':>12} {'query ns/rec':>13}")
    for size in sizes:
        load, query = bench(size, args.repeat)
        print(f"{size:>10} {load:>8.3f} {query:>8.3f} {load / size * 1e9:>12.0f} {query / size * 1e9:>13.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
