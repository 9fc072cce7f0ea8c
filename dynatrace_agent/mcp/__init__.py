"""The toolkit over the Model Context Protocol, for agents that are not LangGraph programs.

Claude Desktop, Claude Code, VS Code, Cursor and custom agents reach tools over MCP.
:func:`build_server` serves the same scope-filtered tools as ``DynatraceToolkit`` (same
names, budgets and error advice; errors come back as text with ``isError``), plus
``dynatrace_investigate`` (one call runs the investigation graph) and the reports and
recorded cases as resources. ``dynatrace-agent mcp`` runs it over stdio or streamable HTTP.

The ``mcp`` SDK is an optional extra (``pip install "dynatrace-agent[mcp]"``); importing
this package without it raises a :class:`~dynatrace_agent.errors.ConfigurationError` that
says how to install it.
"""

from __future__ import annotations

from dynatrace_agent.errors import ConfigurationError

try:
    import mcp as _mcp_sdk  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess test
    if exc.name not in ("mcp", "mcp.types"):
        raise
    raise ConfigurationError(
        "the MCP server needs the 'mcp' extra: pip install \"dynatrace-agent[mcp]\""
    ) from None

from dynatrace_agent.mcp.resources import ResourceStore
from dynatrace_agent.mcp.server import SERVER_NAME, DynatraceMcpServer, build_server

__all__ = ["SERVER_NAME", "DynatraceMcpServer", "ResourceStore", "build_server"]
