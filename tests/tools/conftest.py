"""Fixtures for the tool tests: toolkits over the in-process simulator serving the demo incident."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from dynatrace_agent.tools import DynatraceToolkit

#: The demo incident: problem P-25031177 (payment 2.8.0 deployed at 14:19; tenant clock 14:50 UTC).
CHECKOUT = "SERVICE-5647DB217B04C447"
PAYMENT = "SERVICE-420724B61BA61077"
STOREFRONT = "SERVICE-5532D1F6D60DC378"
WEB_HOSTS = ("HOST-7F8FC2CE5CE8047F", "HOST-F0DC114BB056E05C", "HOST-3A07EF424A33E0E5")
PAYMENT_DEPLOY_EVENT = "8864224458886522147_1741702740000"
PROBLEM = "P-25031177"


def simulator_factory(options: SimulatorOptions | None = None) -> Callable[[], httpx.AsyncBaseTransport]:
    """A transport factory over a fresh demo simulator with ``options``."""
    return lambda: simulator_transport(None, options)


async def make_toolkit(options: SimulatorOptions | None = None, **kwargs: Any) -> DynatraceToolkit:
    """A probed toolkit over the demo simulator."""
    return await DynatraceToolkit.from_settings(
        simulator_settings(options), transport_factory=simulator_factory(options), **kwargs
    )


@pytest.fixture
async def toolkit() -> AsyncIterator[DynatraceToolkit]:
    """A toolkit with every scope granted, probed."""
    kit = await make_toolkit()
    yield kit
    await kit.aclose()


@pytest.fixture
def tools(toolkit: DynatraceToolkit) -> dict[str, BaseTool]:
    """The toolkit's tools by name."""
    return {t.name: t for t in toolkit.get_tools()}


async def call(tool: BaseTool, args: dict[str, Any], call_id: str = "call-1") -> ToolMessage:
    """Invoke ``tool`` as a model's tool call does and return its message."""
    message = await tool.ainvoke({"type": "tool_call", "id": call_id, "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message
