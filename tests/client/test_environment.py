"""Environment API v2: paging with caps, display ids, entities, settings objects, token lookup."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import respx

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import MissingScopeError, NotFoundError

from .conftest import API_TOKEN, CLASSIC, make_settings

API = f"{CLASSIC}/api/v2"


async def collect(items: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item async for item in items]


def pages(key: str, total: int, size: int) -> Callable[[httpx.Request], httpx.Response]:
    """A server that pages ``total`` items ``size`` at a time with opaque page keys."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("nextPageKey", "PAGE-0").split("-")[1])
        items = [{"id": i} for i in range(page * size, min(total, (page + 1) * size))]
        more = (page + 1) * size < total
        return httpx.Response(200, json={key: items, **({"nextPageKey": f"PAGE-{page + 1}"} if more else {})})

    return handler


async def test_problems_page_with_only_next_page_key_and_fields(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get(f"{API}/problems").mock(side_effect=pages("problems", 7, 3))
    async with make_client() as client:
        problems = await collect(
            client.environment.list_problems(
                problem_selector='status("open")',
                entity_selector='type("SERVICE")',
                from_="now-2h",
                fields=["evidenceDetails", "+impactAnalysis"],
                sort="-startTime",
                page_size=3,
            )
        )
    assert [p["id"] for p in problems] == list(range(7))
    first, second = (dict(c.request.url.params) for c in route.calls[:2])
    assert first == {
        "pageSize": "3",
        "problemSelector": 'status("open")',
        "entitySelector": 'type("SERVICE")',
        "from": "now-2h",
        "fields": "+evidenceDetails,+impactAnalysis",
        "sort": "-startTime",
    }
    assert second == {"nextPageKey": "PAGE-1", "fields": "+evidenceDetails,+impactAnalysis"}
    assert route.call_count == 3


async def test_max_items_caps_items_and_requests(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get(f"{API}/entities").mock(side_effect=pages("entities", 1000, 4))
    async with make_client() as client:
        entities = await collect(client.environment.list_entities('type("HOST")', page_size=4, max_items=6))
    assert len(entities) == 6
    assert route.call_count == 2
    assert dict(route.calls[1].request.url.params) == {"nextPageKey": "PAGE-1"}  # entities: key alone
    assert route.calls[0].request.url.params["from"] == "now-3d"


async def test_page_size_never_exceeds_what_is_wanted_or_allowed(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get(f"{API}/problems").mock(side_effect=pages("problems", 3, 3))
    async with make_client() as client:
        await collect(client.environment.list_problems(page_size=100, max_items=2))
        await collect(client.environment.list_problems(page_size=900, max_items=5000))
    assert [c.request.url.params["pageSize"] for c in route.calls] == ["2", "500"]


async def test_a_repeating_page_key_stops_instead_of_looping(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get(f"{API}/entities").mock(
        return_value=httpx.Response(200, json={"entities": [{"id": 1}], "nextPageKey": "SAME"})
    )
    async with make_client() as client:
        entities = await collect(client.environment.list_entities('type("HOST")'))
    assert route.call_count == 2 and len(entities) == 2


async def test_get_problem_by_display_id_resolves_then_gets_by_id(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    listing = router.get(f"{API}/problems").mock(
        side_effect=[
            httpx.Response(200, json={"problems": []}),
            httpx.Response(200, json={"problems": [{"problemId": "-123_456V2", "displayId": "P-240101"}]}),
        ]
    )
    detail = router.get(f"{API}/problems/-123_456V2").mock(
        return_value=httpx.Response(200, json={"problemId": "-123_456V2", "title": "Slow"})
    )
    async with make_client() as client:
        problem = await client.environment.get_problem("p-240101")
    assert problem["title"] == "Slow"
    assert [c.request.url.params["from"] for c in listing.calls] == ["now-30d", "now-365d"]
    assert listing.calls[0].request.url.params["problemSelector"] == 'displayId("P-240101")'
    assert (
        detail.calls.last.request.url.params["fields"] == "+evidenceDetails,+impactAnalysis,+recentComments"
    )


async def test_get_problem_by_id_goes_straight_to_the_problem(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    detail = router.get(f"{API}/problems/-123_456V2").mock(
        return_value=httpx.Response(200, json={"problemId": "x"})
    )
    async with make_client() as client:
        await client.environment.get_problem("-123_456V2", fields=())
    assert detail.call_count == 1 and "fields" not in detail.calls.last.request.url.params


async def test_unknown_display_id_is_not_found_with_advice(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.get(f"{API}/problems").mock(return_value=httpx.Response(200, json={"problems": []}))
    async with make_client() as client:
        with pytest.raises(NotFoundError, match=r"P-999.*Problems app"):
            await client.environment.get_problem("P-999")


async def test_missing_problem_id_is_not_found(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.get(f"{API}/problems/nope").mock(
        return_value=httpx.Response(404, json={"error": {"code": 404, "message": "Problem not found"}})
    )
    async with make_client() as client:
        with pytest.raises(NotFoundError, match="Problem not found"):
            await client.environment.get_problem("nope")


async def test_get_entity_with_fields_and_escaped_id(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get(f"{API}/entities/SERVICE-0123456789ABCDEF").mock(
        return_value=httpx.Response(200, json={"entityId": "SERVICE-0123456789ABCDEF"})
    )
    async with make_client() as client:
        entity = await client.environment.get_entity("SERVICE-0123456789ABCDEF", fields=["fromRelationships"])
    assert entity["entityId"] == "SERVICE-0123456789ABCDEF"
    assert route.calls.last.request.url.params["fields"] == "+fromRelationships"


async def test_settings_objects_page_and_cap(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get(f"{API}/settings/objects").mock(side_effect=pages("items", 5, 2))
    async with make_client() as client:
        items = await collect(
            client.environment.list_settings_objects(
                ["builtin:alerting.profile", "builtin:anomaly-detection.metric-events"], max_items=2
            )
        )
    assert len(items) == 2 and route.call_count == 1
    params = route.calls[0].request.url.params
    assert params["schemaIds"] == "builtin:alerting.profile,builtin:anomaly-detection.metric-events"
    assert "value" in params["fields"].split(",")


async def test_missing_scope_while_paging_is_typed(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.get(f"{API}/settings/objects").mock(
        return_value=httpx.Response(
            403, json={"error": {"code": 403, "message": "Token is missing required scope."}}
        )
    )
    async with make_client() as client:
        with pytest.raises(MissingScopeError) as info:
            await collect(client.environment.list_settings_objects(["builtin:alerting.profile"]))
    assert info.value.scopes == ["settings.read"]


async def test_token_scopes_uses_the_lookup_endpoint(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.post(f"{API}/apiTokens/lookup").mock(
        return_value=httpx.Response(200, json={"name": "agent", "enabled": True, "scopes": ["problems.read"]})
    )
    async with make_client() as client:
        assert await client.environment.token_scopes() == {"problems.read"}
    assert json.loads(route.calls.last.request.content) == {"token": API_TOKEN}


async def test_managed_environment_keeps_its_path_prefix(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get("https://dt.example.com/e/env-1/api/v2/entities/HOST-1").mock(
        return_value=httpx.Response(200, json={"entityId": "HOST-1"})
    )
    settings = make_settings(
        environment_url="https://dt.example.com/e/env-1/", oauth_client_id=None, oauth_client_secret=None
    )
    async with make_client(settings) as client:
        await client.environment.get_entity("HOST-1")
    assert route.call_count == 1


@pytest.mark.parametrize("bad", [{"page_size": 0}, {"max_items": 0}])
async def test_bad_paging_arguments_are_refused(
    make_client: Callable[..., DynatraceClient], bad: dict[str, int]
) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match="at least 1"):
            client.environment.list_problems(
                page_size=bad.get("page_size", 10), max_items=bad.get("max_items", 10)
            )
