"""Read timeouts: a client must finish its headers, and then its body, within a bound.

Without them a client that opens connections and sends headers a byte at a time (slowloris)
holds sockets and memory for as long as it likes: uvicorn's keep-alive timeout only covers
idle connections. Two guards:

* :func:`header_timeout_protocol` builds a uvicorn HTTP protocol class (httptools when
  installed, else h11) that closes a connection whose request headers are not complete within
  ``header_timeout_s`` of the connection opening or of the previous response ending,
  answering ``408 Request Timeout`` first;
* :class:`BodyTimeout`, an ASGI middleware, answers ``408`` when the request body does not
  arrive within ``timeout_s`` (the whole body, counted from the first read).

Behind a reverse proxy (nginx, Envoy, a cloud load balancer) set the proxy's own client
header/body timeouts as well: it then absorbs slow clients and these guards only bound
what the proxy forwards.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyTimeout", "header_timeout_protocol"]

_HEADERS_LATE = b"the request headers did not arrive in time"
_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_HEADERS_LATE)).encode() + b"\r\nconnection: close\r\n\r\n" + _HEADERS_LATE
)


def _base_protocol() -> type[Any]:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol


def header_timeout_protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    """A uvicorn ``http=`` protocol class that bounds the time to send request headers."""
    base = _base_protocol()

    class HeaderTimeoutProtocol(base):  # type: ignore[misc, valid-type]
        """uvicorn's protocol plus a timer from connection (or last response) to complete headers."""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._header_timer: asyncio.TimerHandle | None = None
            self._armed_cycle: Any = None
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._armed_cycle = self.cycle
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_timed_out)

        def _disarm(self) -> None:
            timer = getattr(self, "_header_timer", None)
            if timer is not None:
                timer.cancel()
                self._header_timer = None

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._header_timer is not None and self.cycle is not self._armed_cycle:
                self._disarm()  # a new request's headers are complete

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _headers_timed_out(self) -> None:
            self._header_timer = None
            if self.cycle is not self._armed_cycle or self.transport.is_closing():
                return
            self.transport.write(_REQUEST_TIMEOUT)
            self.transport.close()

    return HeaderTimeoutProtocol


class _BodyTimedOut(Exception):
    pass


class BodyTimeout:
    """ASGI middleware: the request body must arrive within ``timeout_s``, else ``408``."""

    def __init__(self, app: ASGIApp, *, timeout_s: float = 30.0) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 408 when the request body is not complete within ``timeout_s``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal deadline, body_done
            if body_done:
                return await receive()
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + self.timeout_s
            try:
                async with asyncio.timeout_at(deadline):  # no extra task per read, unlike wait_for
                    message = await receive()
            except TimeoutError:
                raise _BodyTimedOut from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except _BodyTimedOut:
            if started:
                raise
            detail = f"the request body did not arrive within {self.timeout_s:g} s".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 408,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(detail)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": detail})
