"""Responses that always encode, the security headers every answer carries, the 500 handler.

A page or API answer is built from attacker-supplied text. :class:`SafeJSONResponse` and
:class:`SafeHTMLResponse` encode whatever reaches them (lone surrogates replaced, ``NaN``
written as ``null``) instead of failing on it. :class:`SecurityHeaders` adds a strict
Content-Security-Policy (no scripts at all, the one inline stylesheet allowed by its hash),
frame protection, ``nosniff`` and ``Referrer-Policy`` to every response, and
:func:`server_error` answers an unexpected exception with a JSON 500 that closes the
connection (the server drops it anyway; saying so lets a keep-alive client know).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dynatrace_agent.webhook.safety import displayable

__all__ = ["SafeHTMLResponse", "SafeJSONResponse", "SecurityHeaders", "security_headers", "server_error"]

log = logging.getLogger("dynatrace_agent.webhook")


class SafeJSONResponse(JSONResponse):
    """Strict JSON of any value: what cannot be encoded is repaired, never a 500."""

    def render(self, content: Any) -> bytes:
        """Strict JSON (no NaN); content that cannot be encoded is made displayable first."""
        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return text.encode("utf-8")
        except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
            safe = displayable(content)
            text = json.dumps(safe, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return text.encode("utf-8", "replace")


class SafeHTMLResponse(HTMLResponse):
    """HTML whose text may hold lone surrogates: they become U+FFFD instead of an error."""

    def render(self, content: Any) -> bytes:
        """Text as UTF-8 (unencodable characters replaced); anything else as the parent renders it."""
        if isinstance(content, str):
            return content.encode("utf-8", "replace")
        return bytes(super().render(content))


@cache
def _style_hash() -> str:
    """The CSP hash of the base layout's inline ``<style>`` (the only style the pages use)."""
    text = resources.files("dynatrace_agent.webhook").joinpath("pages", "base.html").read_text("utf-8")
    match = re.search(r"<style>(.*?)</style>", text, re.S)
    body = match.group(1) if match else ""
    digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


@cache
def security_headers() -> tuple[tuple[bytes, bytes], ...]:
    """The headers added to every response (as raw ASGI header pairs)."""
    csp = (
        f"default-src 'none'; style-src {_style_hash()}; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return (
        (b"content-security-policy", csp.encode("ascii")),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    )


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response (pages, API, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the security headers to every HTTP response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in security_headers() if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """The answer to an exception no handler expected: logged, 500, connection closed."""
    log.error(
        "unexpected error answering %s %s: %s: %s",
        request.method,
        request.url.path if not request.url.path.startswith("/webhooks/") else "/webhooks/dynatrace/…",
        type(exc).__name__,
        str(exc)[:300],
    )
    return SafeJSONResponse(
        {"detail": "internal error; it was logged on the server"},
        status_code=500,
        headers={"Connection": "close", **{k.decode(): v.decode() for k, v in security_headers()}},
    )
