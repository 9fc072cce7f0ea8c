"""Capabilities send the query forms a real tenant answers (issue #11), proven on the simulator.

Every test runs the real client against the bundled demo case, whose records use Grail's
field names only, so a capability that drifts back to a wrong form returns nothing here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from dynatrace_agent import capabilities as caps
from dynatrace_agent.case import demo_case_path, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import simulator_settings, simulator_transport

CASE = load_case(demo_case_path())


@pytest.fixture
async def sim() -> AsyncIterator[DynatraceClient]:
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(CASE)) as client:
        yield client


def _service(name: str) -> str:
    return next(
        e["entityId"] for e in CASE.entities if e.get("type") == "SERVICE" and e["displayName"] == name
    )


async def test_failure_rate_is_computed_from_the_two_counters(sim: DynatraceClient) -> None:
    """There is no dt.service.request.failure_rate metric; the classic key maps to count ratios."""
    checkout = _service("checkout")
    result = await caps.query_metrics(
        sim, ["builtin:service.errors.total.rate"], entity_ids=[checkout], timeframe_start="now-2h"
    )
    assert "dt.service.request.failure_rate" not in (result.query or "")
    assert "sum(dt.service.request.failure_count)" in (result.query or "")
    row = result.raw[0]
    rates: list[Any] = row["failure_rate"]
    fails, counts = row["failure_rate_failures"], row["failure_rate_requests"]
    i = next(i for i, c in enumerate(counts) if c and float(c) > 0 and fails[i] and float(fails[i]) > 0)
    assert rates[i] == pytest.approx(100 * float(fails[i]) / float(counts[i]))
    assert "Percent" in result.summary() and "failure_rate" in result.summary()
    assert any("failure_count" in n for n in result.notes)


async def test_spans_by_service_name_and_trace_lookup(sim: DynatraceClient) -> None:
    by_name = await caps.query_spans(sim, service="checkout", timeframe_start="now-2h", failing_traces=3)
    assert by_name.total and 'dt.service.name == "checkout"' in (by_name.query or "")
    trace = next(r["trace.id"] for r in by_name.raw if r.get("trace.id"))
    one = await caps.query_spans(sim, trace_id=trace.upper(), timeframe_start="now-2h")
    assert one.raw and {r["trace.id"] for r in one.raw} == {trace}
    assert f'trace.id == toUid("{trace}")' in (one.query or "")
    # the failing traces are fetched whole, by uid
    assert any("in(trace.id, {toUid(" in q for q in by_name.queries)


async def test_sessions_filter_on_real_fields(sim: DynatraceClient) -> None:
    shop = await caps.query_user_sessions(sim, application="www.shop.example", timeframe_start="now-3h")
    assert shop.raw and all("www.shop.example" in r["frontend.name"] for r in shop.raw)
    errors = await caps.query_user_sessions(sim, with_errors=True, timeframe_start="now-3h")
    assert errors.raw and all(int(r["error.count"]) >= 1 for r in errors.raw)
    user = next(r["dt.rum.user_tag"] for r in shop.raw if r.get("dt.rum.user_tag"))
    mine = await caps.query_user_sessions(sim, user=user, timeframe_start="now-3h")
    assert mine.raw and {r["dt.rum.user_tag"] for r in mine.raw} == {user}
    assert "Top errors:" in errors.summary() and "HTTP 5xx responses" in errors.summary()


async def test_slos_are_evaluated_through_start_and_poll(sim: DynatraceClient) -> None:
    """The platform list has no status: each SLO is evaluated (evaluation:start + evaluation:poll)."""
    result = await caps.list_slos(sim, name_contains="availability")
    assert {r["name"] for r in result.raw} >= {"checkout availability", "payment availability"}
    payment = next(r for r in result.raw if r["name"] == "payment availability")
    evaluation = payment["evaluationResults"][0]
    assert evaluation["status"] in ("SUCCESS", "WARNING", "FAILURE") and isinstance(
        evaluation["value"], float
    )
    assert "evaluated:" in result.summary()
    assert any("evaluation:start" in q for q in result.queries)
    # the demo's payment outage breaks its availability SLO
    assert evaluation["status"] == "FAILURE" and evaluation["errorBudget"] < 0


async def test_logs_of_a_service_without_service_ids_on_the_records() -> None:
    """Most log lines carry only the process group; a service's logs are found through it."""
    import dataclasses

    logs = [
        {k: v for k, v in r.items() if k not in ("dt.entity.service", "service.name")}
        for r in CASE.tables["logs"]
    ]
    case = dataclasses.replace(CASE, tables={**CASE.tables, "logs": logs})
    checkout = _service("checkout")
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(case)) as client:
        result = await caps.query_logs(client, service=checkout, timeframe_start="now-2h")
    pgs = {
        r["id"]
        for e in CASE.entities
        if e["entityId"] == checkout
        for r in e["fromRelationships"].get("runsOn", [])
    }
    assert result.total and result.raw and {r["dt.entity.process_group"] for r in result.raw} <= pgs
    assert "dt.entity.process_group" in (result.query or "")
