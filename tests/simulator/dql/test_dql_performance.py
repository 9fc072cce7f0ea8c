"""The benchmark's query gives the right answer on the benchmark's data.

How fast it runs over a million records is a figure for ``evals/bench/bench_dql.py`` (a
timing asserted in a test fails on a busy machine and proves nothing about behaviour); this
test checks that the query the benchmark times computes what it says, against a plain-Python
count of the same synthetic records.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

from dynatrace_agent.simulator.dql_engine import DataSource, execute

_BENCH = Path(__file__).resolve().parents[3] / "evals" / "bench" / "bench_dql.py"


def test_benchmark_query_counts_timeouts_per_service() -> None:
    spec = importlib.util.spec_from_file_location("bench_dql", _BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    logs = bench.synthetic_logs(20_000)
    result = execute(bench.QUERY, DataSource.from_tables({"logs": logs}), now=bench.NOW)
    assert result.scanned_records == 20_000
    expected = Counter(
        r["dt.entity.service"] for r in logs if r["loglevel"] == "ERROR" and "timeout" in r["content"]
    )
    got = {r["dt.entity.service"]: int(r["count()"]) for r in result.records}
    assert len(result.records) == 10
    assert all(got[service] == expected[service] for service in got)
