"""The mutable state of one simulator app: the case, options, issued tokens, running queries.

Kept on ``app.state.sim`` so every route reaches it the same way and two apps (say, two test
cases side by side) never share anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.simulator.auth import TokenStore
from dynatrace_agent.simulator.entities import EntityIndex
from dynatrace_agent.simulator.options import SimulatorOptions

if TYPE_CHECKING:
    from dynatrace_agent.simulator.queries import QueryStore

__all__ = ["SimulatorState"]


@dataclass
class SimulatorState:
    """Everything a request handler needs; one per app."""

    case: IncidentCase
    options: SimulatorOptions
    entities: EntityIndex
    queries: QueryStore
    tokens: TokenStore = field(default_factory=TokenStore)
    requests_counted: int = 0
    slo_evaluations: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> result

    def count_request(self) -> int:
        """Count one API request (faults are keyed on this number) and return it."""
        self.requests_counted += 1
        return self.requests_counted
