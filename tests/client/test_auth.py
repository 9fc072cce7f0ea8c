"""OAuth client credentials: form, cache per scope set, refresh ahead of expiry, single-flight, 401."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.client.auth import OAuthTokenProvider
from dynatrace_agent.errors import AuthenticationError, MissingScopeError

from .conftest import (
    ACCOUNT_URN,
    CLASSIC,
    CLIENT_ID,
    CLIENT_SECRET,
    QUERY,
    SSO,
    assert_no_secret,
    make_settings,
    token_response,
)

OK_RESULT = {"state": "SUCCEEDED", "result": {"records": [], "types": [], "metadata": {}}}


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


async def test_token_request_is_a_client_credentials_form_post(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    sso = router.post(SSO).mock(return_value=token_response())
    router.post(f"{QUERY}/query:execute").mock(return_value=httpx.Response(200, json=OK_RESULT))
    async with make_client() as client:
        await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    request = sso.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"storage%3Abuckets%3Aread+storage%3Alogs%3Aread" in request.content  # space as +
    assert form(request) == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "storage:buckets:read storage:logs:read",
        "resource": ACCOUNT_URN,
    }


async def test_resource_is_the_account_urn_when_set(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    urn = "urn:dtaccount:12345678-1234-1234-1234-123456789abc"
    sso = router.post(SSO).mock(return_value=token_response())
    router.post(f"{QUERY}/query:execute").mock(return_value=httpx.Response(200, json=OK_RESULT))
    async with make_client(make_settings(account_urn=urn)) as client:
        await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert form(sso.calls.last.request)["resource"] == urn


async def test_each_query_asks_only_for_its_own_scopes_and_tokens_are_cached_per_scope_set(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    sso = router.post(SSO).mock(side_effect=lambda r: token_response(f"TOKEN-{form(r)['scope']}"))
    execute = router.post(f"{QUERY}/query:execute").mock(return_value=httpx.Response(200, json=OK_RESULT))
    async with make_client() as client:
        await client.grail.query("fetch logs", scopes=["storage:logs:read"])
        await client.grail.query("fetch spans", scopes=["storage:spans:read"])
        await client.grail.query("fetch logs | limit 1", scopes=["storage:logs:read"])
        assert client.api_calls == 5  # two token requests + three executes
    assert [form(c.request)["scope"] for c in sso.calls] == [
        "storage:buckets:read storage:logs:read",
        "storage:buckets:read storage:spans:read",
    ]
    auths = [c.request.headers["authorization"] for c in execute.calls]
    assert auths == [
        "Bearer TOKEN-storage:buckets:read storage:logs:read",
        "Bearer TOKEN-storage:buckets:read storage:spans:read",
        "Bearer TOKEN-storage:buckets:read storage:logs:read",
    ]


async def test_twenty_concurrent_callers_cause_one_token_request(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)
        return token_response()

    sso = router.post(SSO).mock(side_effect=slow_token)
    router.post(f"{QUERY}/query:execute").mock(return_value=httpx.Response(200, json=OK_RESULT))
    async with make_client() as client:
        results = await asyncio.gather(
            *(client.grail.query("fetch logs", scopes=["storage:logs:read"]) for _ in range(20))
        )
    assert len(results) == 20
    assert sso.call_count == 1


async def test_concurrent_callers_share_one_failure_instead_of_each_retrying(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    sso = router.post(SSO).mock(return_value=httpx.Response(400, json={"error": "invalid_client"}))
    async with make_client() as client:
        assert client.tokens is not None
        tokens = client.tokens
        outcomes = await asyncio.gather(*(tokens.token(["a:b"]) for _ in range(10)), return_exceptions=True)
    assert all(isinstance(o, AuthenticationError) for o in outcomes)
    assert sso.call_count == 1


async def test_token_is_refreshed_ahead_of_expiry(router: respx.MockRouter) -> None:
    now = [1000.0]
    counter = iter(range(100))
    sso = router.post(SSO).mock(side_effect=lambda r: token_response(f"T{next(counter)}", expires_in=300))
    async with DynatraceClient(
        make_settings(), transport=httpx.MockTransport(router.async_handler)
    ) as client:
        provider = OAuthTokenProvider(
            client.settings, client._core, refresh_margin_s=30, clock=lambda: now[0]
        )
        first = await provider.token(["x"])
        now[0] += 260  # 40 s before expiry: still used
        assert (await provider.token(["x"])).get_secret_value() == first.get_secret_value()
        now[0] += 15  # 25 s before expiry: inside the 30 s margin, replaced
        second = await provider.token(["x"])
    assert first.get_secret_value() == "T0"
    assert second.get_secret_value() == "T1"
    assert sso.call_count == 2


async def test_short_lived_tokens_keep_most_of_their_life(router: respx.MockRouter) -> None:
    now = [0.0]
    sso = router.post(SSO).mock(return_value=token_response(expires_in=10))
    async with DynatraceClient(
        make_settings(), transport=httpx.MockTransport(router.async_handler)
    ) as client:
        provider = OAuthTokenProvider(
            client.settings, client._core, refresh_margin_s=30, clock=lambda: now[0]
        )
        await provider.token(["x"])
        now[0] = 7.9  # margin is capped at a fifth of the 10 s lifetime
        await provider.token(["x"])
        assert sso.call_count == 1
        now[0] = 8.1
        await provider.token(["x"])
    assert sso.call_count == 2


async def test_one_retry_with_a_fresh_token_after_a_401(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    counter = iter(range(100))
    sso = router.post(SSO).mock(side_effect=lambda r: token_response(f"TOKEN{next(counter)}"))
    execute = router.post(f"{QUERY}/query:execute").mock(
        side_effect=[
            httpx.Response(401, json={"error": {"code": 401, "message": "expired"}}),
            httpx.Response(200, json=OK_RESULT),
        ]
    )
    async with make_client() as client:
        await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert sso.call_count == 2
    assert [c.request.headers["authorization"] for c in execute.calls] == ["Bearer TOKEN0", "Bearer TOKEN1"]


async def test_a_second_401_is_an_authentication_error_without_a_loop(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    sso = router.post(SSO).mock(return_value=token_response())
    execute = router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(401, json={"error": {"code": 401, "message": "no"}})
    )
    async with make_client() as client:
        with pytest.raises(AuthenticationError) as info:
            await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert execute.call_count == 2 and sso.call_count == 2
    assert "OAuth client" in str(info.value)
    assert_no_secret(str(info.value))


async def test_api_token_401_is_not_retried(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    route = router.get(f"{CLASSIC}/api/v2/entities/HOST-1").mock(
        return_value=httpx.Response(
            401, json={"error": {"code": 401, "message": "Token Authentication failed"}}
        )
    )
    async with make_client() as client:
        with pytest.raises(AuthenticationError, match="DT_API_TOKEN"):
            await client.environment.get_entity("HOST-1")
    assert route.call_count == 1
    assert route.calls.last.request.headers["authorization"] == (
        "Api-Token dt0c01.PUBLICPART.SUPERSECRETAPITOKENVALUE"
    )


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"error": "invalid_scope", "error_description": "scope not allowed"}, MissingScopeError),
        (400, {"error": "invalid_client"}, AuthenticationError),
        # real SSO bodies (reference §10, dynatrace-mcp #11/#18/#24): all 400 invalid_request
        (
            400,
            {
                "errorCode": 400,
                "message": "Bad Request",
                "error": "invalid_request",
                "error_description": "Invalid OAuth2 request. "
                "UNSUCCESSFUL_OAUTH_ACCESS_TOKEN_VALIDATION_FAILED"
                " | OAuth client is missing following scopes [storage:logs:read]",
            },
            MissingScopeError,
        ),
        (
            400,
            {
                "error": "invalid_request",
                "error_description": "Invalid OAuth2 request. "
                "UNSUCCESSFUL_OAUTH_ACCESS_TOKEN_VALIDATION_FAILED"
                " | ClientId or clientSecret is not correct.",
            },
            AuthenticationError,
        ),
        (
            400,
            {
                "errorCode": 400,
                "message": "Bad Request",
                "issueId": "x",
                "error": "invalid_request",
                "error_description": "",
            },
            AuthenticationError,
        ),
        (401, {"error": "unauthorized_client"}, AuthenticationError),
        (200, {"token_type": "Bearer"}, AuthenticationError),
    ],
)
async def test_token_endpoint_refusals_are_typed(
    router: respx.MockRouter,
    make_client: Callable[..., DynatraceClient],
    status: int,
    body: dict[str, str],
    error: type[Exception],
) -> None:
    router.post(SSO).mock(return_value=httpx.Response(status, json=body))
    async with make_client() as client:
        with pytest.raises(error) as info:
            await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert_no_secret(str(info.value))
    if isinstance(info.value, MissingScopeError):
        named = "missing following scopes" in str(body)  # the scope SSO named, else all requested
        assert info.value.scopes == (
            ["storage:logs:read"] if named else ["storage:buckets:read", "storage:logs:read"]
        )


async def test_narrower_grant_than_requested_names_the_missing_scope(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.post(SSO).mock(return_value=token_response(scope="storage:buckets:read"))
    async with make_client() as client:
        with pytest.raises(MissingScopeError) as info:
            await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert info.value.scopes == ["storage:logs:read"]
    assert "storage:logs:read" in str(info.value)


async def test_prefetch_fetches_each_grail_scope_set_once_and_ignores_refusals(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    def grant(request: httpx.Request) -> httpx.Response:
        if "storage:spans:read" in form(request)["scope"]:
            return httpx.Response(400, json={"error": "invalid_scope", "error_description": "not granted"})
        return token_response(f"TOKEN-{form(request)['scope']}")

    sso = router.post(SSO).mock(side_effect=grant)
    execute = router.post(f"{QUERY}/query:execute").mock(return_value=httpx.Response(200, json=OK_RESULT))
    async with make_client() as client:
        await client.prefetch_tokens(["logs", "traces", "logs", "problems", "unknown"])
        assert sso.call_count == 2  # logs and traces; classic and unknown capabilities need none
        await client.grail.query("fetch logs", scopes=["storage:logs:read"])
        assert sso.call_count == 2  # the prefetched token was used
    assert execute.called
