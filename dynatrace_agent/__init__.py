"""dynatrace-agent: let AI agents investigate production incidents in Dynatrace.

This module is the one public import surface; everything else is implementation detail
that may move. ``__all__`` is pinned by ``tests/test_public_api.py``.

    from dynatrace_agent import DynatraceClient, DynatraceToolkit, load_settings

    settings = load_settings()
    toolkit = await DynatraceToolkit.from_settings(settings)
    tools = toolkit.get_tools()
"""

from __future__ import annotations

from dynatrace_agent._version import __version__
from dynatrace_agent.case import IncidentCase, load_case
from dynatrace_agent.client import ConnectionReport, DynatraceClient, QueryResult, test_connection
from dynatrace_agent.errors import (
    AuthenticationError,
    CapabilityUnavailableError,
    ConfigurationError,
    DQLSyntaxError,
    DynatraceAgentError,
    DynatraceAPIError,
    MissingScopeError,
    NotFoundError,
    QueryTimeoutError,
    RateLimitedError,
    ScanBudgetExceededError,
    ServerError,
    TableNotAuthorizedError,
    TransportError,
)
from dynatrace_agent.report import InvestigationReport
from dynatrace_agent.settings import AgentSettings, EnvironmentSettings, load_settings
from dynatrace_agent.simulator import SimulatorOptions, create_app, simulator_settings, simulator_transport
from dynatrace_agent.tools import TOOL_NAMES, DynatraceToolkit

__all__ = [
    "TOOL_NAMES",
    "AgentSettings",
    "AuthenticationError",
    "CapabilityUnavailableError",
    "ConfigurationError",
    "ConnectionReport",
    "DQLSyntaxError",
    "DynatraceAPIError",
    "DynatraceAgentError",
    "DynatraceClient",
    "DynatraceToolkit",
    "EnvironmentSettings",
    "IncidentCase",
    "InvestigationReport",
    "MissingScopeError",
    "NotFoundError",
    "QueryResult",
    "QueryTimeoutError",
    "RateLimitedError",
    "ScanBudgetExceededError",
    "ServerError",
    "SimulatorOptions",
    "TableNotAuthorizedError",
    "TransportError",
    "__version__",
    "create_app",
    "load_case",
    "load_settings",
    "simulator_settings",
    "simulator_transport",
    "test_connection",
]
