"""The public import surface is deliberate: adding or removing a name is a visible change."""

from __future__ import annotations

import subprocess
import sys

import dynatrace_agent

PINNED = {
    "TOOL_NAMES", "AgentSettings", "AuthenticationError", "CapabilityUnavailableError",
    "ConfigurationError", "ConnectionReport", "DQLSyntaxError", "DynatraceAPIError",
    "DynatraceAgentError", "DynatraceClient", "DynatraceToolkit", "EnvironmentSettings",
    "IncidentCase", "InvestigationReport", "MissingScopeError", "NotFoundError", "QueryResult",
    "QueryTimeoutError", "RateLimitedError", "ScanBudgetExceededError", "ServerError",
    "SimulatorOptions", "TableNotAuthorizedError", "TransportError", "__version__", "create_app",
    "load_case", "load_settings", "simulator_settings", "simulator_transport", "test_connection",
}  # fmt: skip


def test_all_is_pinned_and_importable() -> None:
    assert set(dynatrace_agent.__all__) == PINNED
    for name in dynatrace_agent.__all__:
        assert getattr(dynatrace_agent, name) is not None


def test_library_never_imports_graphs_or_evals() -> None:
    code = (
        "import sys, dynatrace_agent, dynatrace_agent.cli;"
        "dynatrace_agent.cli.build_parser();"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('graphs', 'evals')];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
