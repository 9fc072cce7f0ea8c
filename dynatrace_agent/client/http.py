"""Sending one request well: concurrency limit, retries with backoff, one re-auth after a 401.

Every request of a ``DynatraceClient`` (both planes, token requests, polls) goes through one
``HttpCore``, so the per-environment concurrency limit, the retry policy and the ``api_calls``
counter cover all traffic. Failed responses are turned into typed errors by
``client.errormap``; nothing else looks at status codes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from dynatrace_agent.client.errormap import Operation, error_for_response, retry_after_seconds
from dynatrace_agent.errors import DynatraceAPIError, TransportError

__all__ = ["DEFAULT_TIMEOUT", "HttpCore", "RequestAuth", "RetryPolicy"]

#: Explicit timeouts: connect fast, allow Grail's long polls to block for a while.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=60.0)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    Retried: 429, 502, 503, 504 and connection errors (every call this package makes is a
    read, so a repeat is harmless). ``Retry-After`` (or Grail's ``retryAfterSeconds``) is
    honoured exactly; otherwise the wait is ``backoff_base_s * 2**(n-1)`` capped at
    ``backoff_max_s`` with up to ``jitter`` (a fraction) taken off at random so that parallel
    callers spread out. At most ``max_attempts`` sends, and no wait that would end after
    ``max_total_s`` since the first send. ``sleep`` and ``rand`` are injectable for tests.
    """

    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 10.0
    max_total_s: float = 60.0
    jitter: float = 0.5
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    rand: Callable[[], float] = field(default=random.random, repr=False)

    def backoff(self, attempt: int) -> float:
        """The wait after the ``attempt``-th failed send (1-based), with jitter."""
        raw = min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempt - 1))
        return float(raw * (1.0 - self.jitter * self.rand()))


class RequestAuth(Protocol):
    """How a request is authorised: a header value, and a way to drop a refused credential."""

    async def authorization(self) -> str:
        """The ``Authorization`` header value to send now."""
        ...

    async def refresh(self) -> bool:
        """Forget the credential just refused; True when sending again may succeed."""
        ...


ErrorMapper = Callable[[httpx.Response], DynatraceAPIError]


class HttpCore:
    """One environment's connection pool, concurrency limit, retry policy and call counter."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        environment: str,
        max_concurrency: int = 16,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._client = client
        self.environment = environment
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self.api_calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def __repr__(self) -> str:
        return f"HttpCore(environment={self.environment!r}, api_calls={self.api_calls})"

    async def send(
        self,
        method: str,
        url: str,
        *,
        op: Operation,
        auth: RequestAuth | None = None,
        params: Mapping[str, str | int | float] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        error_mapper: ErrorMapper | None = None,
    ) -> httpx.Response:
        """Send with retries; return the first 2xx response or raise the mapped error."""
        policy = self.retry
        start = self.clock()
        attempt = 0
        reauthenticated = False
        while True:
            attempt += 1
            request_headers = {"Accept": "application/json", **(headers or {})}
            if auth is not None:
                request_headers["Authorization"] = await auth.authorization()
            try:
                response = await self._send_once(method, url, params, json, data, request_headers)
            except httpx.TransportError as exc:
                delay = policy.backoff(attempt)
                if self._may_retry(attempt, delay, start):
                    await policy.sleep(delay)
                    continue
                detail = str(exc) or type(exc).__name__
                raise TransportError(
                    f"could not reach {httpx.URL(url).host} while {op.what} ({type(exc).__name__}: {detail}) "
                    f"after {attempt} attempt(s); check the environment URL and the network, then retry."
                ) from exc
            status = response.status_code
            if status == 401 and auth is not None and not reauthenticated and await auth.refresh():
                reauthenticated = True  # one fresh credential, not counted as a retry
                attempt -= 1
                continue
            if status in policy.retry_statuses:
                wait = retry_after_seconds(response)
                delay = wait if wait is not None else policy.backoff(attempt)
                if self._may_retry(attempt, delay, start):
                    await policy.sleep(delay)
                    continue
            if 200 <= status < 300:
                return response
            raise (error_mapper or (lambda r: error_for_response(r, op)))(response)

    def _may_retry(self, attempt: int, delay: float, start: float) -> bool:
        policy = self.retry
        return attempt < policy.max_attempts and (self.clock() - start) + delay <= policy.max_total_s

    async def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int | float] | None,
        json: Any,
        data: Mapping[str, str] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        async with self._semaphore:
            self.api_calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._client.request(
                    method, url, params=params, json=json, data=data, headers=headers
                )
            finally:
                self.in_flight -= 1
