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
from dynatrace_agent.errors import DynatraceAPIError, InvalidArgumentError, TransportError

__all__ = ["DEFAULT_TIMEOUT", "HttpCore", "RequestAuth", "RetryPolicy"]

#: Explicit timeouts: connect fast, allow Grail's long polls to block for a while.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=60.0)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    The budget is time, not a count: a degraded tenant often answers 503 for several seconds,
    and four quick sends over two seconds gave up on outages that end in ten. Retried while
    the budget lasts: 429, 502, 503, 504 and connection errors (every call this package makes
    is a read, so a repeat is harmless). A 500 usually means the request itself hit a bug, so
    it is retried only ``retry_500_times`` (once) and only for idempotent methods (GET, HEAD).
    ``Retry-After`` (or Grail's ``retryAfterSeconds``) is honoured exactly; otherwise the
    wait is ``backoff_base_s * 2**(n-1)`` capped at ``backoff_max_s`` with up to ``jitter``
    (a fraction) taken off at random so that parallel callers spread out. No wait that would
    end after ``max_total_s`` since the first send, and at most ``max_attempts`` sends as a
    backstop. The error raised at the end says how many sends over how long, or why none was
    repeated. ``sleep`` and ``rand`` are injectable for tests.
    """

    max_attempts: int = 12
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    max_total_s: float = 30.0
    jitter: float = 0.5
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    retry_500_times: int = 1
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    rand: Callable[[], float] = field(default=random.random, repr=False)

    def backoff(self, attempt: int) -> float:
        """The wait after the ``attempt``-th failed send (1-based), with jitter."""
        raw = min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempt - 1))
        return float(raw * (1.0 - self.jitter * self.rand()))


def _noted(error: DynatraceAPIError, note: str) -> DynatraceAPIError:
    """``error`` with ``note`` (what the retries did) appended to its message."""
    message = str(error).rstrip()
    if message.endswith("."):
        message = message[:-1]
    error.args = (f"{message} {note}.", *error.args[1:])
    return error


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
            raise InvalidArgumentError("max_concurrency must be at least 1")
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
        idempotent = method.upper() in ("GET", "HEAD")
        server_errors = 0
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
                    f"{self._tries(attempt, start)}; check the environment URL and the network, then retry."
                ) from exc
            status = response.status_code
            if status == 401 and auth is not None and not reauthenticated and await auth.refresh():
                reauthenticated = True  # one fresh credential, not counted as a retry
                attempt -= 1
                continue
            note = ""
            if status in policy.retry_statuses:
                wait = retry_after_seconds(response)
                delay = wait if wait is not None else policy.backoff(attempt)
                if self._may_retry(attempt, delay, start):
                    await policy.sleep(delay)
                    continue
                if wait is not None and (self.clock() - start) + wait > policy.max_total_s:
                    note = (
                        f"({self._tries(attempt, start)}; Dynatrace asked to wait {wait:.0f} s more, "
                        f"beyond the {policy.max_total_s:.0f} s retry budget)"
                    )
                else:
                    note = (
                        f"({self._tries(attempt, start)}, the whole {policy.max_total_s:.0f} s retry budget)"
                    )
            elif status == 500:
                if idempotent and server_errors < policy.retry_500_times:
                    server_errors += 1
                    delay = policy.backoff(attempt)
                    if self._may_retry(attempt, delay, start):
                        await policy.sleep(delay)
                        continue
                if not idempotent:
                    note = (
                        f"(not retried: a 500 is repeated only for GET requests, this was {method.upper()})"
                    )
                else:
                    note = (
                        f"({self._tries(attempt, start)}; a 500 is retried {policy.retry_500_times} time(s))"
                    )
            if 200 <= status < 300:
                return response
            error = (error_mapper or (lambda r: error_for_response(r, op)))(response)
            raise _noted(error, note) if note else error

    def _tries(self, attempt: int, start: float) -> str:
        elapsed = self.clock() - start
        if attempt == 1:
            return "sent once"
        return f"sent {attempt} times over {elapsed:.1f} s"

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
