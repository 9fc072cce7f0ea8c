"""The MCP benchmarks run and their figures meet issue #15's targets (sizes, not timings)."""

from __future__ import annotations

import pytest

from evals.bench import bench_definitions, bench_mcp_session


async def test_definitions_benchmark_meets_its_targets(capsys: pytest.CaptureFixture[str]) -> None:
    result = await bench_definitions.measure()
    bench_definitions.report(result)
    assert result["full"] <= 3000 and result["compact"] <= 1500
    assert result["full"] == result["full_mcp"]  # LangChain and MCP clients read the same definitions
    assert result["full"] < result["baseline_full"]
    out = capsys.readouterr().out
    assert "all tools" in out and "compact set" in out and "dynatrace_query_logs" in out


@pytest.mark.slow
async def test_investigate_route_reaches_the_root_cause_within_ten_thousand_tokens() -> None:
    questions, investigate = await bench_mcp_session.measure(compact=False)
    assert investigate["root_cause_found"] and investigate["calls"] == 1
    assert investigate["cumulative"] <= 10_000
    assert questions["calls"] == 9 and questions["total"] > investigate["total"]
