"""Relationship criteria with nested selectors: built safely, and answered by the simulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dynatrace_agent import capabilities as caps
from dynatrace_agent.analysis.signals import problem_info
from dynatrace_agent.capabilities.entities import Relationship, build_entity_selector
from dynatrace_agent.capabilities.selectors import check_selector, relationship_name
from dynatrace_agent.case import demo_case_path, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.simulator import simulator_settings, simulator_transport

A = "SERVICE-0000000000000A0A"
B = "SERVICE-0000000000000B0B"


def test_nested_relationship_selector() -> None:
    seeds = build_entity_selector(ids=[A, B])
    callees = Relationship("to", "calls", seeds)
    assert (
        build_entity_selector(type_="SERVICE", related=[callees])
        == f'type("SERVICE"),toRelationships.calls(entityId("{A}","{B}"))'
    )
    depth_two = Relationship("to", "calls", build_entity_selector(type_="SERVICE", related=[callees]))
    assert build_entity_selector(type_="service", related=[depth_two]) == (
        f'type("SERVICE"),toRelationships.calls(type("SERVICE"),toRelationships.calls(entityId("{A}","{B}")))'
    )
    on_hosts = Relationship("from", "runsOn", build_entity_selector(type_="HOST", name='a"),type("X'))
    assert build_entity_selector(type_="PROCESS_GROUP", related=[on_hosts]) == (
        'type("PROCESS_GROUP"),fromRelationships.runsOn(type("HOST"),entityName.equals("a~"),type(~"X"))'
    )


@pytest.mark.parametrize(
    "nested",
    ['type("HOST")),type("SERVICE"', 'type("HOST"', 'entityId("x)', "", '")('],
)
def test_nested_selector_cannot_break_out(nested: str) -> None:
    with pytest.raises(InvalidArgumentError):
        Relationship("to", "calls", nested)


def test_relationship_names_and_directions_are_checked() -> None:
    assert relationship_name("runsOnHost") == "runsOnHost"
    for bad in ("calls(x)", "Calls", "runs on", ""):
        with pytest.raises(InvalidArgumentError, match="relationship name"):
            Relationship("to", bad, 'type("HOST")')
    with pytest.raises(InvalidArgumentError, match="direction"):
        Relationship("sideways", "calls", 'type("HOST")')  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="Relationship"):
        build_entity_selector(type_="SERVICE", related=['toRelationships.calls(type("X"))'])  # type: ignore[list-item]
    # Escaped quotes and parentheses inside values are part of the value.
    assert check_selector('entityName.equals("a~")(")') == 'entityName.equals("a~")(")'


async def test_list_entities_sends_related_as_a_relationship_selector() -> None:
    seen: list[httpx.Request] = []
    inner = simulator_transport(load_case(demo_case_path()))

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await inner.handle_async_request(request)

    related = [Relationship("from", "calls", build_entity_selector(ids=[A]))]
    async with DynatraceClient(simulator_settings(), transport=httpx.MockTransport(record)) as client:
        await caps.list_entities(client, entity_type="SERVICE", related=related)
    selector = seen[-1].url.params["entitySelector"]
    assert selector == f'type("SERVICE"),fromRelationships.calls(entityId("{A}"))'


def _ids(result: Any) -> set[str]:
    return {r.entity_id for r in result.records}


async def test_nested_relationships_on_the_simulator() -> None:
    """Callees two hops down through one nested request equal two requests hop by hop."""
    case = load_case(demo_case_path())
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(case)) as client:
        problem = await caps.get_problem(client, case.problem)
        affected = problem_info(problem.raw[0]).affected
        seeds = [ref.id for ref in affected if ref.id.startswith("SERVICE-")]
        seed_sel = build_entity_selector(ids=seeds)
        hop1 = await caps.list_entities(
            client, entity_type="SERVICE", related=[Relationship("to", "calls", seed_sel)]
        )
        assert hop1.records
        direct = set()
        for seed in seeds:
            direct |= _ids(await caps.list_entities(client, entity_type="SERVICE", called_by=seed))
        assert _ids(hop1) == direct
        nested = Relationship(
            "to",
            "calls",
            build_entity_selector(type_="SERVICE", related=[Relationship("to", "calls", seed_sel)]),
        )
        hop2 = await caps.list_entities(client, entity_type="SERVICE", related=[nested])
        two_hops = Relationship("to", "calls", build_entity_selector(ids=sorted(_ids(hop1))))
        expected = await caps.list_entities(client, entity_type="SERVICE", related=[two_hops])
        assert _ids(hop2) == _ids(expected)


def test_runs_on_uses_the_real_relationship_per_type() -> None:
    """Services run on hosts via runsOnHost; runsOn(HOST) on a service matches nothing (#11)."""
    host = "HOST-00000000000000AA"
    assert build_entity_selector(type_="SERVICE", runs_on=host) == (
        f'type("SERVICE"),fromRelationships.runsOnHost(entityId("{host}"))'
    )
    assert "fromRelationships.isProcessOf(" in build_entity_selector(
        type_="PROCESS_GROUP_INSTANCE", runs_on=host
    )
    assert "fromRelationships.runsOn(" in build_entity_selector(type_="PROCESS_GROUP", runs_on=host)
    pg = "PROCESS_GROUP-00000000000000AA"
    assert "fromRelationships.runsOn(" in build_entity_selector(type_="SERVICE", runs_on=pg)
    with pytest.raises(InvalidArgumentError, match="needs an entity type"):
        build_entity_selector(ids=[A], runs_on=host)
    with pytest.raises(InvalidArgumentError, match="cannot link HOST to HOST"):
        build_entity_selector(type_="HOST", runs_on=host)


async def test_services_on_a_host_on_the_simulator() -> None:
    case = load_case(demo_case_path())
    hosts = {h["entityId"]: h for h in case.entities if h.get("type") == "HOST" and h.get("toRelationships")}
    services = [e for e in case.entities if e.get("type") == "SERVICE"]
    host, expected = next(
        (
            h,
            {
                s["entityId"]
                for s in services
                if h in {r["id"] for r in s["fromRelationships"].get("runsOnHost", [])}
            },
        )
        for h in hosts
        if any(h in {r["id"] for r in s["fromRelationships"].get("runsOnHost", [])} for s in services)
    )
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(case)) as client:
        found = await caps.list_entities(client, entity_type="SERVICE", runs_on=host)
    assert expected and _ids(found) == expected
