"""Client for the two Dynatrace API planes: the Environment API (API token) and the platform (OAuth).

Import from here; the submodules are implementation detail::

    async with DynatraceClient(settings) as client:
        problem = await client.environment.get_problem("P-240101")
        logs = await client.grail.query("fetch logs | limit 10", scopes=["storage:logs:read"])
"""

from __future__ import annotations

from dynatrace_agent.client.connection import (
    CapabilityReport,
    ConnectionReport,
    PlaneReport,
    Status,
    test_connection,
)
from dynatrace_agent.client.dynatrace import DynatraceClient
from dynatrace_agent.client.environment import EnvironmentAPI
from dynatrace_agent.client.grail import GrailAPI, QueryResult
from dynatrace_agent.client.http import RetryPolicy
from dynatrace_agent.client.scopes import BUCKETS_SCOPE, CAPABILITY_SCOPES, CapabilityScopes, request_scopes
from dynatrace_agent.client.slo import SloAPI

__all__ = [
    "BUCKETS_SCOPE",
    "CAPABILITY_SCOPES",
    "CapabilityReport",
    "CapabilityScopes",
    "ConnectionReport",
    "DynatraceClient",
    "EnvironmentAPI",
    "GrailAPI",
    "PlaneReport",
    "QueryResult",
    "RetryPolicy",
    "SloAPI",
    "Status",
    "request_scopes",
    "test_connection",
]
