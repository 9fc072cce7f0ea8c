"""Fixtures for the investigation graph tests: a case served in-process by the simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from dynatrace_agent.case import IncidentCase, demo_case_path, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport

SMALL_CASE = Path(__file__).parent / "fixtures" / "small_case"

ClientFactory = Callable[..., DynatraceClient]


@pytest.fixture(scope="session")
def case() -> IncidentCase:
    """The bundled demo incident when it is there, else the small fixture case."""
    path = demo_case_path()
    return load_case(path if (path / "case.json").exists() else SMALL_CASE)


@pytest.fixture
def make_client(case: IncidentCase) -> ClientFactory:
    """``make_client(options=None, transport=None)``: a real client on the in-process simulator."""

    def factory(
        options: SimulatorOptions | None = None, transport: httpx.AsyncBaseTransport | None = None
    ) -> DynatraceClient:
        opts = options or SimulatorOptions()
        return DynatraceClient(
            simulator_settings(opts), transport=transport or simulator_transport(case, opts)
        )

    return factory
