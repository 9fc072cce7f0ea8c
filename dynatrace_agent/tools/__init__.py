"""The Dynatrace capabilities as LangChain tools, and the toolkit that offers them.

::

    toolkit = await DynatraceToolkit.from_settings(load_settings())
    agent = create_agent(model, tools=toolkit.get_tools())

Every tool answers ``(summary, artifact)``: a token-budgeted summary for the model and the
full records with their query and Grail metadata for code.
"""

from dynatrace_agent.tools.availability import Availability, configured_availability, probe_availability
from dynatrace_agent.tools.base import ToolArgs, ToolSpec, build_tool, tool_result
from dynatrace_agent.tools.context import EnvironmentHandle
from dynatrace_agent.tools.registry import COMPACT_TOOL_NAMES, TOOL_NAMES, TOOL_SPECS, spec
from dynatrace_agent.tools.toolkit import DynatraceToolkit

__all__ = [
    "COMPACT_TOOL_NAMES",
    "TOOL_NAMES",
    "TOOL_SPECS",
    "Availability",
    "DynatraceToolkit",
    "EnvironmentHandle",
    "ToolArgs",
    "ToolSpec",
    "build_tool",
    "configured_availability",
    "probe_availability",
    "spec",
    "tool_result",
]
