"""Streamable HTTP transport: loopback by default, a bearer token on any other bind.

The tools read production telemetry, so an MCP endpoint reachable from the network must not
be open: :func:`check_bind` refuses a non-loopback host without a token (at least
:data:`MIN_TOKEN_LENGTH` characters, from ``DT_AGENT_MCP_TOKEN``), and :class:`BearerAuth`
answers 401 to any request without it, compared in constant time. On loopback the SDK's
DNS-rebinding protection only accepts loopback ``Host`` headers, so a web page cannot reach
the server through a rebound name.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.mcp.server import DynatraceMcpServer

__all__ = [
    "MCP_PATH",
    "MIN_TOKEN_LENGTH",
    "TOKEN_ENV",
    "BearerAuth",
    "build_http_app",
    "check_bind",
    "is_loopback",
]

MCP_PATH = "/mcp"
TOKEN_ENV = "DT_AGENT_MCP_TOKEN"
MIN_TOKEN_LENGTH = 16
_LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only listens on this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def check_bind(host: str, token: SecretStr | None) -> None:
    """Refuse a non-loopback bind without a token, and any token too short to be one."""
    if token is not None and len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            f"{TOKEN_ENV} is shorter than {MIN_TOKEN_LENGTH} characters; use a random token, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    if token is None and not is_loopback(host):
        raise ConfigurationError(
            f"refusing to serve MCP on {host} without a bearer token: anyone who can reach it could read "
            f"your Dynatrace data. Set {TOKEN_ENV} to a random token (clients send "
            "'Authorization: Bearer <token>'), or bind to 127.0.0.1"
        )


class BearerAuth:
    """ASGI middleware: HTTP requests need ``Authorization: Bearer <token>``; others pass."""

    def __init__(self, app: ASGIApp, token: SecretStr) -> None:
        self.app = app
        self._expected = f"Bearer {token.get_secret_value()}".encode()

    def __repr__(self) -> str:
        return "BearerAuth(token=**********)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401 unless the request carries the token (compared in constant time)."""
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                body = json.dumps(
                    {"error": "unauthorized", "detail": "send Authorization: Bearer <token>"}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="dynatrace-agent"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class _Endpoint:
    """The session manager as a plain ASGI endpoint (Starlette routes it unchanged)."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self.manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.manager.handle_request(scope, receive, send)


def build_http_app(server: DynatraceMcpServer, *, host: str, token: SecretStr | None) -> Any:
    """The ASGI app serving ``server`` at :data:`MCP_PATH` (after :func:`check_bind`)."""
    check_bind(host, token)
    security = (
        TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=_LOOPBACK_HOSTS)
        if is_loopback(host)
        else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    )
    manager = StreamableHTTPSessionManager(app=server.sdk_server(), security_settings=security)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            try:
                yield
            finally:
                await server.aclose()

    app: Any = Starlette(routes=[Route(MCP_PATH, endpoint=_Endpoint(manager))], lifespan=lifespan)
    return BearerAuth(app, token) if token is not None else app
