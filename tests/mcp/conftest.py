"""Fixtures for the MCP tests: servers over the in-process demo simulator, and an in-memory client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import ClientSession
from mcp.shared.memory import create_connected_server_and_client_session

from dynatrace_agent.mcp import DynatraceMcpServer, ResourceStore, build_server
from dynatrace_agent.simulator import SimulatorOptions
from graphs.investigation.run import InvestigationRunner
from tests.tools.conftest import make_toolkit
from tests.tools.conftest import toolkit as toolkit  # the fixture, shared


async def make_server(options: SimulatorOptions | None = None, **kwargs: Any) -> DynatraceMcpServer:
    """A server over a probed toolkit on the demo simulator (``compact`` goes to the toolkit)."""
    kit = await make_toolkit(options, compact=kwargs.pop("compact", False))
    kwargs.setdefault("resources", ResourceStore())
    kwargs.setdefault("investigator", InvestigationRunner())
    return build_server(kit, **kwargs)


@asynccontextmanager
async def connected(server: DynatraceMcpServer) -> AsyncIterator[ClientSession]:
    """The SDK's client, initialised, talking to ``server`` over in-memory streams."""
    try:
        async with create_connected_server_and_client_session(server.sdk_server()) as session:
            yield session
    finally:
        await server.aclose()
