"""The topology expansion: the same candidates as hop-by-hop lookups, in fewer dependent rounds.

The reference below asks for every hop's entities one round after the other (one request per
entity type, one per host for its processes), as the expansion did before it looked ahead
with relationship selectors; the expansion must find exactly its candidates.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from dynatrace_agent.analysis import Candidate, ProblemInfo
from dynatrace_agent.analysis.signals import problem_info
from dynatrace_agent.capabilities import get_problem, list_entities
from dynatrace_agent.case import IncidentCase, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from graphs.investigation.nodes import topology
from graphs.investigation.nodes.common import Collector

EVALS = Path(__file__).resolve().parents[2] / "evals"
#: Cases with different shapes: services on hosts, serverless custom devices, services only.
OTHER_CASES = [
    EVALS / "cases" / "resource-noisy-neighbour",
    EVALS / "cases_alt" / "alt-aws-lambda-memory",
    EVALS / "cases_min" / "bench-cpu-seat-metrics-by-name",
]


class Counting(httpx.AsyncBaseTransport):
    """Counts entity requests and can fail those whose selector contains a marker."""

    def __init__(self, inner: httpx.AsyncBaseTransport, fail_when: str | None = None) -> None:
        self.inner = inner
        self.fail_when = fail_when
        self.selectors: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/v2/entities"):
            selector = request.url.params.get("entitySelector", "")
            self.selectors.append(selector)
            if self.fail_when and self.fail_when in selector:
                return httpx.Response(400, json={"error": {"code": 400, "message": "unsupported selector"}})
        return await self.inner.handle_async_request(request)


def _client(case: IncidentCase, fail_when: str | None = None) -> tuple[DynatraceClient, Counting]:
    opts = SimulatorOptions()
    transport = Counting(simulator_transport(case, opts), fail_when)
    return DynatraceClient(simulator_settings(opts), transport=transport), transport


async def _info(client: DynatraceClient, case: IncidentCase) -> ProblemInfo:
    result = await get_problem(client, case.problem)
    return problem_info(result.raw[0], source=result.query)


async def _hop_by_hop(client: DynatraceClient, info: ProblemInfo) -> list[Candidate]:
    """The reference expansion: one round of lookups per hop."""
    graph = topology._seeded(info)
    fetched: set[str] = set()
    raws: dict[str, dict[str, Any]] = {}
    for _ in range(topology._MAX_ROUNDS):
        wanted = [i for i in graph.nodes if i not in fetched]
        if not wanted:
            break
        fetched.update(wanted)
        by_type: dict[str, list[str]] = {}
        for ident in wanted:
            by_type.setdefault(topology._type_of(ident), []).append(ident)
        hosts = [i for i in by_type.get("HOST", []) if graph.nodes[i].hop <= 1][: topology._MAX_HOSTS]
        lookups = await asyncio.gather(
            *(list_entities(client, entity_ids=ids[:100], max_entities=200) for ids in by_type.values())
        )
        neighbours = await asyncio.gather(
            *(
                list_entities(client, entity_type="PROCESS_GROUP", runs_on=host, max_entities=50)
                for host in hosts
            )
        )
        for host, result in zip(hosts, neighbours, strict=True):
            for raw in result.raw:
                graph.add(raw["entityId"], "process_group", graph.nodes[host].hop + 1)
                fetched.add(raw["entityId"])
                topology._absorb(graph, raw["entityId"], raw)
        for result in lookups:
            for raw in result.raw:
                topology._absorb(graph, raw["entityId"], raw)
                raws[raw["entityId"]] = raw
        # A call recorded on either end counts both ways (as the expansion derives it).
        graph.calls = topology._Calls(raws)
        for ident in wanted:
            node = graph.nodes[ident]
            if node.raw is not None:
                graph.expand(node)
    return [topology._candidate(n, None, topology._Calls(raws)) for n in graph.nodes.values()]


def _comparable(candidates: list[Candidate]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json", exclude={"source", "name"}) for c in candidates]


async def _compare(case: IncidentCase, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """Candidates equal the reference's; returns (rounds, requests, reference requests)."""
    replays: list[int] = []
    real_replay = topology._replay

    def counting_replay(info: ProblemInfo, cache: Any) -> Any:
        replays.append(1)
        return real_replay(info, cache)

    monkeypatch.setattr(topology, "_replay", counting_replay)
    client, transport = _client(case)
    async with client:
        info = await _info(client, case)
        before = len(transport.selectors)
        out = Collector(capability="topology")
        found = await topology.expand_topology(client, info, out)
        requests = len(transport.selectors) - before
        reference = await _hop_by_hop(client, info)
        reference_requests = len(transport.selectors) - before - requests
    assert _comparable(found) == _comparable(reference)
    assert not out.gaps
    # Every candidate the answers described carries its name.
    by_id = {c.entity_id: c for c in reference}
    for c in found:
        assert c.name is not None or by_id[c.entity_id].name is None
    return len(replays) - 1, requests, reference_requests


async def test_demo_case_same_candidates_in_two_rounds(
    case: IncidentCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds, requests, reference_requests = await _compare(case, monkeypatch)
    assert rounds <= 2
    assert requests <= reference_requests


@pytest.mark.parametrize("path", OTHER_CASES, ids=lambda p: p.name)
async def test_other_shapes_same_candidates(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (path / "case.json").exists() and not (path / "case.json.gz").exists():
        pytest.skip(f"{path} is not in this checkout")
    rounds, _, _ = await _compare(load_case(path), monkeypatch)
    assert rounds <= topology._MAX_ROUNDS


async def test_failed_look_ahead_falls_back_to_lookups_by_id(case: IncidentCase) -> None:
    """A tenant that rejects relationship selectors still gets every candidate, and no gap."""
    client, transport = _client(case, fail_when="toRelationships.calls")
    async with client:
        info = await _info(client, case)
        out = Collector(capability="topology")
        found = await topology.expand_topology(client, info, out)
        reference = await _hop_by_hop(client, info)
    assert _comparable(found) == _comparable(reference)
    assert not out.gaps
    assert any("toRelationships.calls" in s for s in transport.selectors)


async def test_failed_lookups_leave_the_seeds(case: IncidentCase) -> None:
    client, _ = _client(case, fail_when="entityId(")
    async with client:
        info = await _info(client, case)
        out = Collector(capability="topology")
        found = await topology.expand_topology(client, info, out)
    seeds = {ref.id for ref in info.affected}
    assert seeds <= {c.entity_id for c in found}
    assert out.gaps and all(g.capability == "entities" for g in out.gaps)


def _residents(raws: list[dict[str, Any]], truncated: bool = False) -> Any:
    class Result:
        raw = raws
        query = "q"

    Result.truncated = truncated  # type: ignore[attr-defined]
    return Result()


def test_one_request_for_several_hosts_is_split_by_either_side_of_runs_on() -> None:
    cache = topology._Cache()
    cache.raws["HOST-1"] = {"entityId": "HOST-1", "toRelationships": {"runsOn": [{"id": "PROCESS_GROUP-B"}]}}
    pg_a = {"entityId": "PROCESS_GROUP-A", "fromRelationships": {"runsOn": [{"id": "HOST-2"}]}}
    pg_b = {"entityId": "PROCESS_GROUP-B", "fromRelationships": {}}
    pg_c = {"entityId": "PROCESS_GROUP-C", "fromRelationships": {"runsOn": ["HOST-1", "HOST-2"]}}
    cache.assign_residents(["HOST-1", "HOST-2"], _residents([pg_a, pg_b, pg_c]))
    assert cache.residents == {"HOST-1": [pg_b, pg_c], "HOST-2": [pg_a, pg_c]}


def test_truncated_request_for_several_hosts_asks_host_by_host() -> None:
    cache = topology._Cache()
    cache.assign_residents(["HOST-1", "HOST-2"], _residents([], truncated=True))
    assert cache.per_host and not cache.residents
    cache.assign_residents(["HOST-1"], None)
    assert cache.residents == {"HOST-1": None}


FIVE = EVALS / "cases_five" / "pet-statusupdater-concurrency"
LAMBDA = "AWS_LAMBDA_FUNCTION-8B02D2BF8CAADDF8"


async def test_callee_of_another_type_recorded_only_on_its_side_is_a_candidate() -> None:
    """An API gateway's function is found though only the function's record holds the call."""
    if not (FIVE / "case.json").exists():
        pytest.skip(f"{FIVE} is not in this checkout")
    case = load_case(FIVE)
    client, transport = _client(case)
    async with client:
        info = await _info(client, case)
        found = await topology.expand_topology(client, info, Collector(capability="topology"))
    fn = next((c for c in found if c.entity_id == LAMBDA), None)
    assert fn is not None and fn.relations == ["callee"]
    assert any(
        'type("AWS_LAMBDA_FUNCTION")' in s and "toRelationships.calls" in s for s in transport.selectors
    )
    assert len(transport.selectors) <= 30
