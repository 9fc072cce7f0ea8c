"""The benchmark query over many log records answers correctly.

How fast it runs is measured by ``evals/bench/bench_dql.py`` (it prints its figures): tests
assert behaviour, not timings, because this machine is shared and its speed varies.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from dynatrace_agent.simulator.dql import DataSource, execute

_BENCH = Path(__file__).resolve().parents[3] / "evals" / "bench" / "bench_dql.py"


@pytest.mark.slow
def test_benchmark_query_scans_every_record_and_limits_the_answer() -> None:
    spec = importlib.util.spec_from_file_location("bench_dql", _BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = DataSource.from_tables({"logs": bench.synthetic_logs(200_000)})
    result = execute(bench.QUERY, data, now=bench.NOW)
    assert result.scanned_records == 200_000
    assert 0 < len(result.records) <= 10
