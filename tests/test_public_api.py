"""The public import surface is deliberate: adding or removing a name is a visible change."""

from __future__ import annotations

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
