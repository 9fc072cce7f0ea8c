"""Injected faults: latency, periodic 429s, 5xx bursts.

An ASGI middleware in front of the routes, so every endpoint suffers the same way a real
tenant's gateway makes it suffer. Token requests get the latency but are not counted (SSO is
a different service in reality); every other request is counted, and the count decides
which request is throttled or fails.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from dynatrace_agent.simulator.responses import classic_error, platform_error
from dynatrace_agent.simulator.state import SimulatorState

__all__ = ["TOKEN_PATH", "FaultMiddleware"]

TOKEN_PATH = "/sso/oauth2/token"


class FaultMiddleware:
    """Apply the options' latency, rate limit and error burst to each HTTP request."""

    def __init__(self, app: ASGIApp, state: SimulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Delay, throttle or fail an HTTP request as the options say; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        options = self.state.options
        if options.latency_ms > 0:
            await asyncio.sleep(options.latency_ms / 1000)
        path: str = scope.get("path", "")
        if path == TOKEN_PATH:
            await self.app(scope, receive, send)
            return
        number = self.state.count_request()
        platform = path.startswith("/platform/") and not path.startswith("/platform/classic/")
        if options.rate_limit_every > 0 and number % options.rate_limit_every == 0:
            retry = str(options.retry_after_s)
            if platform:
                response = platform_error(
                    429,
                    "Too many requests.",
                    retry_after_s=options.retry_after_s,
                    headers={"Retry-After": retry},
                )
            else:
                response = classic_error(429, "Too many requests", headers={"Retry-After": retry})
            await response(scope, receive, send)
            return
        if options.error_burst is not None:
            first, count = options.error_burst
            if first <= number < first + count:
                message = "Service temporarily unavailable (simulated error burst); retry later."
                response = platform_error(503, message) if platform else classic_error(503, message)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
