"""What the library expects of an investigation that a layer above it provides.

The library never imports the investigation graph (``graphs``): the webhook service's local
runner, the MCP ``dynatrace_investigate`` tool and the ``serve``/``mcp`` commands receive an
:class:`Investigator` instead, built by an :class:`InvestigatorFactory` that the graph layer
registers with the CLI (:mod:`dynatrace_agent.commands.registry`). The graph's
``InvestigationRunner`` is the implementation; tests pass small fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient
    from dynatrace_agent.report import InvestigationReport

__all__ = ["Investigator", "InvestigatorFactory", "Progress"]

#: Receives ``{"phase": …, "status": "started"|"done", "detail": …}`` events.
Progress = Callable[[dict[str, Any]], None]


class Investigator(Protocol):
    """Investigates one problem with a caller's client."""

    async def investigate(
        self,
        problem: str,
        *,
        client: DynatraceClient,
        environment: str | None = None,
        on_progress: Progress | None = None,
    ) -> InvestigationReport:
        """The report of one problem (display id ``P-…`` or problemId)."""
        ...

    async def run(
        self,
        problem: str,
        *,
        client: DynatraceClient,
        environment: str | None = None,
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        """The same report as JSON (``InvestigationReport.model_dump(mode="json")``)."""
        ...


class InvestigatorFactory(Protocol):
    """Builds an :class:`Investigator` with a run's options (a model, a deadline, a token budget)."""

    def __call__(
        self, *, model: Any | None = None, deadline_s: float = 120.0, token_budget: int = 1500
    ) -> Investigator:
        """An investigator; ``model`` is a chat model, a ``provider:model`` string or None."""
        ...
