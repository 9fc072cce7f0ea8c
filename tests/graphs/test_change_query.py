"""The window's change events are asked once per run, though two branches use them."""

from __future__ import annotations

from typing import Any

import httpx

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.simulator import SimulatorOptions, simulator_transport
from graphs.investigation.context import InvestigationContext
from graphs.investigation.graph import build_graph
from graphs.investigation.run import investigate
from tests.graphs.conftest import ClientFactory


class _ChangeQueries(httpx.AsyncBaseTransport):
    """Forwards to the simulator and counts the Grail queries that read change events."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("query:execute") and b"DEPLOYMENT" in request.content:
            self.count += 1
        return await self.inner.handle_async_request(request)


async def test_one_change_query_serves_both_branches(case: IncidentCase, make_client: ClientFactory) -> None:
    assert case.expected is not None
    opts = SimulatorOptions()
    counting = _ChangeQueries(simulator_transport(case, opts))
    async with make_client(opts, transport=counting) as client:
        report = await investigate(case.problem, client=client)
    assert counting.count == 1
    # both users of the query still got it: the change is reported and credited
    assert report.triggering_change == case.expected.change_event_id
    assert "events" in {c.capability for c in report.citations}


async def test_a_context_used_for_two_runs_asks_again_each_run(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    opts = SimulatorOptions()
    counting = _ChangeQueries(simulator_transport(case, opts))
    graph = build_graph()
    async with make_client(opts, transport=counting) as client:
        context = InvestigationContext(client=client)
        for run in (1, 2):
            out = await graph.ainvoke({"problem": case.problem}, context=context)
            assert out["report"]["triggering_change"] is not None
            assert counting.count == run


async def test_sequential_graph_shares_the_query_too(case: IncidentCase, make_client: ClientFactory) -> None:
    opts = SimulatorOptions()
    counting = _ChangeQueries(simulator_transport(case, opts))
    async with make_client(opts, transport=counting) as client:
        await investigate(case.problem, client=client, sequential=True)
    assert counting.count == 1


async def test_a_caller_giving_up_does_not_cancel_the_query_for_the_other(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    import asyncio
    from types import SimpleNamespace

    from dynatrace_agent.analysis.signals import problem_info
    from dynatrace_agent.capabilities import get_problem
    from graphs.investigation.nodes.change_query import window_change_events
    from graphs.investigation.nodes.problem import investigation_window

    opts = SimulatorOptions(latency_ms=100)
    counting = _ChangeQueries(simulator_transport(case, opts))
    async with make_client(opts, transport=counting) as client:
        info = problem_info((await get_problem(client, case.problem)).records[0])
        window = investigation_window(info)
        assert window is not None
        runtime: Any = SimpleNamespace(context=InvestigationContext(client=client))
        first = asyncio.ensure_future(window_change_events(client, runtime, window, info.start))
        second = asyncio.ensure_future(window_change_events(client, runtime, window, info.start))
        await asyncio.sleep(0.05)
        first.cancel()  # e.g. its branch hit the run's deadline
        result = await second
    assert first.cancelled()
    assert result.records, "the other caller still gets the window's change events"
    assert counting.count == 1
