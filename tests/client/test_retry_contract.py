"""The retry policy as documented on ``RetryPolicy``, stated case by case at the ``HttpCore`` level.

Each test names one promise: ``Retry-After`` is honoured on every retried status (not only
429), Grail's ``retryAfterSeconds`` may be fractional, and no wait ever ends after
``max_total_s`` since the first send, connection errors included.
"""

from __future__ import annotations

import httpx
import pytest

from dynatrace_agent.client.errormap import Operation
from dynatrace_agent.client.http import HttpCore, RetryPolicy
from dynatrace_agent.errors import ServerError, TransportError

URL = "https://abc12345.live.dynatrace.com/api/v2/entities/HOST-1"
OP = Operation(what="reading entity HOST-1", plane="environment", environment="prod")


class VirtualTime:
    """A clock that only moves when the policy sleeps, so time budgets are exact."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _core(handler: httpx.MockTransport, time: VirtualTime, **policy: float) -> HttpCore:
    retry = RetryPolicy(sleep=time.sleep, rand=lambda: 0.0, **policy)  # type: ignore[arg-type]
    return HttpCore(httpx.AsyncClient(transport=handler), environment="prod", retry=retry, clock=time.clock)


def _replies(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.MockTransport(handle), seen


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retry_after_is_honoured_on_every_retried_status(status: int) -> None:
    time = VirtualTime()
    transport, seen = _replies(httpx.Response(status, headers={"Retry-After": "7"}), httpx.Response(200))
    core = _core(transport, time)
    assert (await core.send("GET", URL, op=OP)).status_code == 200
    assert time.sleeps == [7.0] and len(seen) == 2


async def test_retry_after_on_a_503_overrides_the_backoff_even_when_shorter() -> None:
    time = VirtualTime()
    transport, _ = _replies(httpx.Response(503, headers={"Retry-After": "0"}), httpx.Response(200))
    await _core(transport, time, backoff_base_s=5.0).send("GET", URL, op=OP)
    assert time.sleeps == [0.0]


async def test_grail_retry_after_seconds_may_be_fractional() -> None:
    time = VirtualTime()
    busy = {"error": {"code": 429, "message": "Too many requests.", "retryAfterSeconds": 2.5}}
    transport, _ = _replies(httpx.Response(429, json=busy), httpx.Response(200))
    await _core(transport, time, backoff_base_s=9.0).send("GET", URL, op=OP)
    assert time.sleeps == [2.5]


async def test_a_retry_after_that_would_end_past_the_total_budget_is_not_waited_for() -> None:
    time = VirtualTime()
    transport, seen = _replies(httpx.Response(503, headers={"Retry-After": "30"}), httpx.Response(200))
    with pytest.raises(ServerError, match="503"):
        await _core(transport, time, max_total_s=10.0).send("GET", URL, op=OP)
    assert time.sleeps == [] and len(seen) == 1


async def test_connection_errors_stop_retrying_at_the_total_time_budget() -> None:
    time = VirtualTime()
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    # backoff 1, 2, 4, 8 … with up to 20 attempts: only the time budget can stop it early.
    budget = {"backoff_base_s": 1.0, "backoff_max_s": 100.0, "max_total_s": 5.0, "max_attempts": 20}
    core = _core(httpx.MockTransport(refuse), time, **budget)
    with pytest.raises(TransportError, match=r"sent 3 times over 3\.0 s") as info:
        await core.send("GET", URL, op=OP)
    assert time.sleeps == [1.0, 2.0]  # a third wait (4 s) would end at 7 s > 5 s
    assert len(attempts) == 3
    assert time.now - 100.0 <= 5.0
    assert "abc12345.live.dynatrace.com" in str(info.value) and "reading entity HOST-1" in str(info.value)


async def test_connection_errors_are_retried_up_to_max_attempts() -> None:
    time = VirtualTime()
    calls: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ConnectError("connection reset", request=request)
        return httpx.Response(200, json={"ok": True})

    response = await _core(httpx.MockTransport(flaky), time, backoff_base_s=0.5).send("GET", URL, op=OP)
    assert response.json() == {"ok": True}
    assert time.sleeps == [0.5, 1.0]


async def test_gateway_errors_stop_at_the_total_time_budget_too() -> None:
    time = VirtualTime()
    transport, seen = _replies(*[httpx.Response(502) for _ in range(10)])
    core = _core(transport, time, backoff_base_s=1.0, backoff_max_s=100.0, max_total_s=3.0, max_attempts=10)
    with pytest.raises(ServerError):
        await core.send("GET", URL, op=OP)
    assert time.sleeps == [1.0, 2.0] and len(seen) == 3
