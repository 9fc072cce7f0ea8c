"""Retries: which statuses, Retry-After and retryAfterSeconds, backoff, bounds, concurrency limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
import respx

from dynatrace_agent.client import DynatraceClient, RetryPolicy
from dynatrace_agent.errors import BadRequestError, RateLimitedError, ServerError, TransportError

from .conftest import CLASSIC, QUERY, SSO, Sleeps, make_settings, token_response

ENTITY = f"{CLASSIC}/api/v2/entities/HOST-1"
OK = httpx.Response(200, json={"entityId": "HOST-1"})


async def test_429_honours_retry_after_header(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    route = router.get(ENTITY).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), OK])
    async with make_client() as client:
        assert (await client.environment.get_entity("HOST-1"))["entityId"] == "HOST-1"
        assert client.api_calls == 2
    assert route.call_count == 2
    assert sleeps.calls == [7.0]


async def test_grail_retry_after_seconds_in_the_body_is_honoured(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    router.post(SSO).mock(return_value=token_response())
    busy = {"error": {"code": 429, "message": "Too many requests.", "retryAfterSeconds": 3}}
    done = {"state": "SUCCEEDED", "result": {"records": [{"a": 1}], "types": [], "metadata": {}}}
    router.post(f"{QUERY}/query:execute").mock(
        side_effect=[httpx.Response(429, json=busy), httpx.Response(200, json=done)]
    )
    async with make_client() as client:
        result = await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert result.records == [{"a": 1}]
    assert sleeps.calls == [3.0]


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_back_off_exponentially_then_raise(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps, status: int
) -> None:
    route = router.get(ENTITY).mock(return_value=httpx.Response(status, json={"error": {"message": "busy"}}))
    async with make_client() as client:
        with pytest.raises(ServerError, match=str(status)) as info:
            await client.environment.get_entity("HOST-1")
    # the budget is time: 0.5+1+2+4+8+8 = 23.5 s; one more 8 s wait would end after 30 s
    assert sleeps.calls == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert route.call_count == 7
    assert "sent 7 times over 23.5 s, the whole 30 s retry budget" in str(info.value)
    assert "after every retry" not in str(info.value)


async def test_five_503s_in_a_row_do_not_abort_the_call(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    busy = httpx.Response(503, json={"error": {"message": "busy"}})
    route = router.get(ENTITY).mock(side_effect=[busy] * 5 + [OK])
    async with make_client() as client:
        assert (await client.environment.get_entity("HOST-1"))["entityId"] == "HOST-1"
    assert route.call_count == 6 and sum(sleeps.calls) == 15.5


async def test_a_500_is_retried_once_for_reads_and_says_so(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    route = router.get(ENTITY).mock(side_effect=[httpx.Response(500), OK])
    async with make_client() as client:
        assert (await client.environment.get_entity("HOST-1"))["entityId"] == "HOST-1"
    assert route.call_count == 2 and sleeps.calls == [0.5]

    route.side_effect = [httpx.Response(500), httpx.Response(500), OK]
    async with make_client() as client:
        with pytest.raises(ServerError) as info:
            await client.environment.get_entity("HOST-1")
    assert "sent 2 times" in str(info.value) and "a 500 is retried 1 time(s)" in str(info.value)


async def test_a_500_on_a_post_is_not_retried_and_says_why(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    router.post(SSO).mock(return_value=token_response())
    route = router.post(f"{QUERY}/query:execute").mock(return_value=httpx.Response(500))
    async with make_client() as client:
        with pytest.raises(ServerError) as info:
            await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert route.call_count == 1 and sleeps.calls == []
    assert "not retried: a 500 is repeated only for GET requests, this was POST" in str(info.value)


async def test_400_is_not_retried(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    route = router.get(ENTITY).mock(side_effect=[httpx.Response(400)])
    async with make_client() as client:
        with pytest.raises(BadRequestError):
            await client.environment.get_entity("HOST-1")
    assert route.call_count == 1
    assert sleeps.calls == []


async def test_jitter_shortens_waits_within_bounds(router: respx.MockRouter, sleeps: Sleeps) -> None:
    router.get(ENTITY).mock(return_value=httpx.Response(503))
    policy = RetryPolicy(sleep=sleeps, rand=lambda: 1.0, jitter=0.5, max_attempts=4)
    async with DynatraceClient(
        make_settings(), transport=httpx.MockTransport(router.async_handler), retry=policy
    ) as client:
        with pytest.raises(ServerError):
            await client.environment.get_entity("HOST-1")
    assert sleeps.calls == [0.25, 0.5, 1.0]


async def test_connection_errors_are_retried_then_reported_without_a_traceback_worth_of_detail(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    route = router.get(ENTITY).mock(side_effect=httpx.ConnectError("connection refused"))
    async with make_client() as client:
        with pytest.raises(TransportError) as info:
            await client.environment.get_entity("HOST-1")
    assert route.call_count == 7
    assert "sent 7 times over 23.5 s" in str(info.value)
    assert "abc12345.live.dynatrace.com" in str(info.value)
    assert "connection refused" in str(info.value)


async def test_connection_error_then_success(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.get(ENTITY).mock(side_effect=[httpx.ReadTimeout("slow"), OK])
    async with make_client() as client:
        assert (await client.environment.get_entity("HOST-1"))["entityId"] == "HOST-1"
        assert client.api_calls == 2


async def test_retry_after_longer_than_the_total_budget_gives_up_at_once(
    router: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = router.get(ENTITY).mock(return_value=httpx.Response(429, headers={"Retry-After": "120"}))
    policy = RetryPolicy(sleep=sleeps, rand=lambda: 0.0, max_total_s=30)
    async with DynatraceClient(
        make_settings(), transport=httpx.MockTransport(router.async_handler), retry=policy
    ) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.environment.get_entity("HOST-1")
    assert route.call_count == 1 and sleeps.calls == []
    assert info.value.retry_after == 120.0
    assert "asked to wait 120 s more, beyond the 30 s retry budget" in str(info.value)


async def test_total_time_bounds_the_retries(router: respx.MockRouter, sleeps: Sleeps) -> None:
    route = router.get(ENTITY).mock(return_value=httpx.Response(503))
    policy = RetryPolicy(sleep=sleeps, rand=lambda: 0.0, max_attempts=10, backoff_base_s=1, max_total_s=4)
    async with DynatraceClient(
        make_settings(), transport=httpx.MockTransport(router.async_handler), retry=policy
    ) as client:
        client._core.clock = lambda: sum(sleeps.calls)  # time passes only while sleeping
        with pytest.raises(ServerError):
            await client.environment.get_entity("HOST-1")
    assert sleeps.calls == [1.0, 2.0]  # a 4 s wait would end after 7 s > 4 s
    assert route.call_count == 3


async def test_concurrency_is_limited_per_environment(router: respx.MockRouter) -> None:
    active = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.005)
        active -= 1
        return httpx.Response(200, json={"entityId": "HOST-1"})

    router.get(ENTITY).mock(side_effect=slow)
    async with DynatraceClient(
        make_settings(), transport=httpx.MockTransport(router.async_handler), max_concurrency=3
    ) as client:
        await asyncio.gather(*(client.environment.get_entity("HOST-1") for _ in range(15)))
        assert client.max_in_flight == 3
        assert client.api_calls == 15
    assert peak == 3


async def test_http_date_retry_after(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], sleeps: Sleeps
) -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2026 07:28:05 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"}
    router.get(ENTITY).mock(side_effect=[httpx.Response(429, headers=headers), OK])
    async with make_client() as client:
        await client.environment.get_entity("HOST-1")
    assert sleeps.calls == [5.0]
