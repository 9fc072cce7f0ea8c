"""A faithful Dynatrace tenant in a box: serves an incident case over the real API shapes.

Tests, the demo, the evaluation harness and users' own agent tests run the real client
against it, in-process (:func:`simulator_transport`) or on loopback
(``dynatrace-agent simulator serve``).
"""

from __future__ import annotations

from dynatrace_agent.simulator.app import create_app
from dynatrace_agent.simulator.inprocess import demo_case, simulator_settings, simulator_transport
from dynatrace_agent.simulator.options import SimulatorOptions

__all__ = ["SimulatorOptions", "create_app", "demo_case", "simulator_settings", "simulator_transport"]
