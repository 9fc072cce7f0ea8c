"""Secrets (API token, client secret, access tokens) never appear in reprs or error messages."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
import respx

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.client.auth import ApiTokenAuth
from dynatrace_agent.errors import DynatraceAgentError

from .conftest import CLASSIC, QUERY, SSO, assert_no_secret, token_response


async def test_reprs_hide_every_secret(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.post(SSO).mock(return_value=token_response())
    router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(200, json={"state": "SUCCEEDED", "result": {"records": [], "types": []}})
    )
    async with make_client() as client:
        await client.grail.query("fetch logs", scopes=["storage:logs:read"])  # a token is now cached
        assert client.tokens is not None
        texts = [
            repr(client),
            repr(client.settings),
            repr(client.tokens),
            repr(client.tokens.for_scopes(["storage:logs:read"])),
            repr(client.environment),
            repr(client.grail),
            repr(client.slo),
            repr(client._core),
            repr(ApiTokenAuth(client.settings.api_token)),
            str(vars(client.settings)),
        ]
    for text in texts:
        assert_no_secret(text)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(401, json={"error": {"code": 401, "message": "Token Authentication failed"}}),
        httpx.Response(403, json={"error": {"code": 403, "message": "Use one of: entities.read"}}),
        httpx.Response(500, text="boom"),
        httpx.ConnectError("refused"),
    ],
)
async def test_error_messages_and_logs_carry_no_secret(
    router: respx.MockRouter,
    make_client: Callable[..., DynatraceClient],
    caplog: pytest.LogCaptureFixture,
    failure: httpx.Response | Exception,
) -> None:
    caplog.set_level(logging.DEBUG)
    route = router.get(f"{CLASSIC}/api/v2/entities/HOST-1")
    if isinstance(failure, Exception):
        route.mock(side_effect=failure)
    else:
        route.mock(return_value=failure)
    async with make_client() as client:
        with pytest.raises(DynatraceAgentError) as info:
            await client.environment.get_entity("HOST-1")
    assert_no_secret(str(info.value))
    assert_no_secret(repr(info.value))
    assert_no_secret(repr(getattr(info.value, "body", None)))
    assert_no_secret(caplog.text)


async def test_token_endpoint_errors_carry_no_secret(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    router.post(SSO).mock(return_value=httpx.Response(400, json={"error": "invalid_client"}))
    async with make_client() as client:
        with pytest.raises(DynatraceAgentError) as info:
            await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert_no_secret(str(info.value))
    assert_no_secret(caplog.text)
