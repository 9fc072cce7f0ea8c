"""Which plane and which scopes each capability needs.

The table is the single source for two decisions: which OAuth scopes a Grail query asks for
(only its own, so an ungranted scope disables only that capability), and what the connection
test checks to report a capability as OK or UNAVAILABLE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BUCKETS_SCOPE",
    "CAPABILITY_SCOPES",
    "ENVIRONMENT_PLANE",
    "PLATFORM_PLANE",
    "CapabilityScopes",
    "Plane",
    "request_scopes",
]

Plane = Literal["environment", "platform"]
ENVIRONMENT_PLANE: Plane = "environment"
PLATFORM_PLANE: Plane = "platform"

#: Every Grail storage query needs this besides the table's own scope.
BUCKETS_SCOPE = "storage:buckets:read"


@dataclass(frozen=True)
class CapabilityScopes:
    """A capability's plane, the scopes it needs, and what it is for (shown by test-connection).

    ``grail`` capabilities query Grail storage, so ``storage:buckets:read`` is added to their
    token requests; ``essential`` marks the scope without which the whole plane is useless.
    """

    name: str
    plane: Plane
    scopes: tuple[str, ...]
    description: str
    grail: bool = False
    essential: bool = False

    @property
    def token_scopes(self) -> tuple[str, ...]:
        """The scopes to request or check: the capability's own plus buckets for Grail storage."""
        return request_scopes(self.scopes) if self.grail else self.scopes


def request_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Sorted, de-duplicated scopes for a Grail query, always including ``storage:buckets:read``."""
    return tuple(sorted({*scopes, BUCKETS_SCOPE}))


def _cap(
    name: str,
    plane: Plane,
    scopes: tuple[str, ...],
    description: str,
    *,
    grail: bool = False,
    essential: bool = False,
) -> tuple[str, CapabilityScopes]:
    return name, CapabilityScopes(name, plane, scopes, description, grail=grail, essential=essential)


CAPABILITY_SCOPES: dict[str, CapabilityScopes] = dict(
    [
        _cap("problems", ENVIRONMENT_PLANE, ("problems.read",), "Problems API v2", essential=True),
        _cap("entities", ENVIRONMENT_PLANE, ("entities.read",), "Monitored entities API v2"),
        _cap("alerting_rules", ENVIRONMENT_PLANE, ("settings.read",), "Settings API v2 (alerting rules)"),
        _cap("metrics", PLATFORM_PLANE, ("storage:metrics:read",), "Grail metrics (timeseries)", grail=True),
        _cap("logs", PLATFORM_PLANE, ("storage:logs:read",), "Grail logs", grail=True),
        _cap("traces", PLATFORM_PLANE, ("storage:spans:read",), "Grail spans", grail=True),
        _cap(
            "business_events",
            PLATFORM_PLANE,
            ("storage:bizevents:read",),
            "Grail business events",
            grail=True,
        ),
        _cap(
            "user_sessions",
            PLATFORM_PLANE,
            ("storage:user.sessions:read",),
            "Grail user sessions",
            grail=True,
        ),
        _cap(
            "events",
            PLATFORM_PLANE,
            ("storage:events:read",),
            "Grail events (deployments, changes)",
            grail=True,
        ),
        _cap("slos", PLATFORM_PLANE, ("slo:slos:read",), "SLO service"),
        _cap("dql", PLATFORM_PLANE, (BUCKETS_SCOPE,), "Free DQL (plus each table's own scope)", grail=True),
    ]
)
