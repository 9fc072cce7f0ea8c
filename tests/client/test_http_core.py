"""``HttpCore``: what one request carries, what counts as success, and how re-auth is counted.

Every request of the client goes through here, so a dropped parameter, a lost ``Accept``
header or a 3xx taken for success would break every capability at once; these tests state
those promises against a transport that records what it was sent.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from dynatrace_agent.client.errormap import Operation
from dynatrace_agent.client.http import HttpCore, RetryPolicy
from dynatrace_agent.errors import DynatraceAPIError, TransportError

URL = "https://abc12345.live.dynatrace.com/api/v2/problems"
OP = Operation(what="listing problems", plane="environment", environment="prod")


class NoWait:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _core(handler: object, **kwargs: object) -> tuple[HttpCore, NoWait]:
    sleeps = NoWait()
    retry = RetryPolicy(sleep=sleeps, rand=lambda: 0.0, **kwargs)  # type: ignore[arg-type]
    transport = httpx.MockTransport(handler)  # type: ignore[arg-type]
    return HttpCore(httpx.AsyncClient(transport=transport), environment="prod", retry=retry), sleeps


def test_max_concurrency_must_be_at_least_one() -> None:
    client = httpx.AsyncClient()
    with pytest.raises(ValueError, match=r"^max_concurrency must be at least 1$"):
        HttpCore(client, environment="prod", max_concurrency=0)
    core = HttpCore(client, environment="prod", max_concurrency=1)
    assert core.environment == "prod"
    assert repr(core) == "HttpCore(environment='prod', api_calls=0)"
    assert (core.api_calls, core.in_flight, core.max_in_flight) == (0, 0, 0)


async def test_params_json_and_accept_header_are_sent() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    core, _ = _core(handle)
    await core.send("GET", URL, op=OP, params={"pageSize": 5, "from": "now-1d"})
    await core.send("POST", URL, op=OP, json={"query": "fetch logs"}, headers={"X-Extra": "1"})
    await core.send("POST", URL, op=OP, data={"grant_type": "client_credentials"})
    get, post, form = seen
    assert get.url.params["pageSize"] == "5" and get.url.params["from"] == "now-1d"
    assert get.headers["accept"] == "application/json"
    assert json.loads(post.content) == {"query": "fetch logs"} and post.headers["x-extra"] == "1"
    assert form.content == b"grant_type=client_credentials"
    assert core.api_calls == 3


@pytest.mark.parametrize("status", [300, 301, 302, 304])
async def test_a_3xx_is_not_success(status: int) -> None:
    core, _ = _core(lambda request: httpx.Response(status, headers={"Location": "https://elsewhere"}))
    with pytest.raises(DynatraceAPIError):
        await core.send("GET", URL, op=OP)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
async def test_every_2xx_is_success(status: int) -> None:
    core, _ = _core(lambda request: httpx.Response(status))
    assert (await core.send("GET", URL, op=OP)).status_code == status


class OneRefresh:
    """A credential that is refused once and then replaced."""

    def __init__(self) -> None:
        self.tokens = ["Bearer old", "Bearer new"]
        self.refreshes = 0

    async def authorization(self) -> str:
        return self.tokens[0]

    async def refresh(self) -> bool:
        self.refreshes += 1
        if len(self.tokens) > 1:
            self.tokens.pop(0)
            return True
        return False


async def test_one_reauthentication_after_a_401_is_not_counted_as_a_retry() -> None:
    seen: list[str] = []
    replies = [httpx.Response(401), httpx.Response(503), httpx.Response(200, json={"ok": 1})]

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return replies.pop(0)

    auth = OneRefresh()
    core, sleeps = _core(handle, max_attempts=2)
    response = await core.send("GET", URL, op=OP, auth=auth)
    assert response.json() == {"ok": 1}
    assert seen == ["Bearer old", "Bearer new", "Bearer new"]
    assert sleeps.calls == [0.5]  # the 503 was the first counted attempt
    assert auth.refreshes == 1


async def test_a_second_401_is_an_error_not_another_refresh() -> None:
    auth = OneRefresh()
    core, _ = _core(lambda request: httpx.Response(401))
    with pytest.raises(DynatraceAPIError):
        await core.send("GET", URL, op=OP, auth=auth)
    assert auth.refreshes == 1


async def test_a_transport_error_names_host_operation_and_exception() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("", request=request)

    core, _ = _core(refuse, max_attempts=1)
    with pytest.raises(TransportError) as info:
        await core.send("GET", URL, op=OP)
    message = str(info.value)
    assert "could not reach abc12345.live.dynatrace.com while listing problems" in message
    assert "(ConnectError: ConnectError)" in message and "sent once" in message


async def test_in_flight_is_bounded_counted_and_released() -> None:
    gate = asyncio.Event()
    started = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal started
        started += 1
        await gate.wait()
        return httpx.Response(200)

    sleeps = NoWait()
    core = HttpCore(
        httpx.AsyncClient(transport=httpx.MockTransport(slow)),
        environment="prod",
        max_concurrency=2,
        retry=RetryPolicy(sleep=sleeps),
    )
    tasks = [asyncio.create_task(core.send("GET", URL, op=OP)) for _ in range(5)]
    while started < 2:
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)
    assert (started, core.in_flight) == (2, 2)
    gate.set()
    await asyncio.gather(*tasks)
    assert (core.in_flight, core.max_in_flight, core.api_calls) == (0, 2, 5)
