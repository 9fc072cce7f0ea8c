"""SLO service: page-key paging, filter resent, its own scope only."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import CapabilityUnavailableError

from .conftest import PLATFORM, SSO, make_settings, token_response

SLOS = f"{PLATFORM}/platform/slo/v1/slos"


async def test_slos_page_with_page_key_and_resend_the_filter(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    sso = router.post(SSO).mock(return_value=token_response())
    route = router.get(SLOS).mock(
        side_effect=[
            httpx.Response(
                200, json={"slos": [{"id": "a"}, {"id": "b"}], "nextPageKey": "K1", "totalCount": 3}
            ),
            httpx.Response(200, json={"slos": [{"id": "c"}], "totalCount": 3}),
        ]
    )
    async with make_client() as client:
        slos = [s async for s in client.slo.list_slos(filter="name~'checkout'")]
    assert [s["id"] for s in slos] == ["a", "b", "c"]
    first, second = (dict(c.request.url.params) for c in route.calls)
    assert first == {"page-size": "100", "filter": "name~'checkout'"}
    assert second == {"page-key": "K1", "filter": "name~'checkout'"}
    assert parse_qs(sso.calls.last.request.content.decode())["scope"] == ["slo:slos:read"]


async def test_slo_cap(router: respx.MockRouter, make_client: Callable[..., DynatraceClient]) -> None:
    router.post(SSO).mock(return_value=token_response())
    route = router.get(SLOS).mock(
        return_value=httpx.Response(200, json={"slos": [{"id": "a"}, {"id": "b"}], "nextPageKey": "K"})
    )
    async with make_client() as client:
        slos = [s async for s in client.slo.list_slos(max_items=1)]
    assert len(slos) == 1 and route.call_count == 1
    assert route.calls.last.request.url.params["page-size"] == "1"


async def test_slos_need_oauth(make_client: Callable[..., DynatraceClient]) -> None:
    async with make_client(make_settings(oauth_client_id=None, oauth_client_secret=None)) as client:
        with pytest.raises(CapabilityUnavailableError) as info:
            client.slo.list_slos()
    assert info.value.capability == "slos" and info.value.scopes == ["slo:slos:read"]
