"""Where tools get their clients, and how the sync path runs async capabilities.

A ``DynatraceClient`` holds an ``httpx.AsyncClient`` whose pooled connections belong to the
event loop that opened them, so one client must not be shared across loops. Environments
built from settings therefore get one client *per event loop* (created on first use). The
sync path of every tool runs on one private background loop, so repeated sync calls reuse
one client (and its OAuth tokens) instead of reconnecting each time, and a sync call works
even from a thread that already runs a loop. A client handed in by the caller is used as is:
the caller chose its loop.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.settings import EnvironmentSettings

__all__ = ["EnvironmentHandle", "TransportFactory", "run_sync"]

T = TypeVar("T")

#: Builds a fresh transport for a new client (tests, the in-process simulator); None = network.
TransportFactory = Callable[[], httpx.AsyncBaseTransport]


class EnvironmentHandle:
    """One environment a toolkit can query: its settings and how to get a client for it."""

    def __init__(
        self,
        settings: EnvironmentSettings,
        *,
        transport_factory: TransportFactory | None = None,
        borrowed: DynatraceClient | None = None,
    ) -> None:
        self.settings = settings
        self.transport_factory = transport_factory
        self.borrowed = borrowed
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, DynatraceClient] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        kind = "borrowed client" if self.borrowed is not None else "own clients"
        return f"EnvironmentHandle({self.settings.name!r}, {kind})"

    @classmethod
    def from_client(cls, client: DynatraceClient) -> EnvironmentHandle:
        """A handle over a caller's client (used for every call, never closed by us)."""
        return cls(client.settings, borrowed=client)

    @property
    def name(self) -> str:
        """The environment's name, as tools accept it in their ``environment`` argument."""
        return self.settings.name

    def client(self) -> DynatraceClient:
        """The client for the running event loop (must be called inside a coroutine)."""
        if self.borrowed is not None:
            return self.borrowed
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            transport = self.transport_factory() if self.transport_factory else None
            client = DynatraceClient(self.settings, transport=transport)
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close the client this handle opened on the running loop (borrowed ones stay open)."""
        if self.borrowed is not None:
            return
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


class _BackgroundLoop:
    """A daemon thread running one event loop for every sync tool call of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="dynatrace-agent-tools", daemon=True)
                thread.start()
                self._loop = loop
            return self._loop


_BACKGROUND = _BackgroundLoop()


def run_sync(coro: Coroutine[Any, Any, T], *, timeout_s: float | None = None) -> T:
    """Run ``coro`` on the shared background loop and wait for its result in this thread."""
    future = asyncio.run_coroutine_threadsafe(coro, _BACKGROUND.loop())
    return future.result(timeout_s)
