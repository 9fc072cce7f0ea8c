"""The CLI commands that run the investigation graph, registered from this layer.

``install`` is the ``dynatrace_agent.cli`` entry point of the ``graphs`` package: it adds
``investigate`` and ``demo`` to the command registry and provides the
:class:`~graphs.investigation.run.InvestigationRunner` that ``serve`` and ``mcp`` use. The
command modules stay light (the graph is compiled when a command runs, not when the CLI starts).
"""

from __future__ import annotations

from typing import Any

from dynatrace_agent.commands.registry import CommandRegistry
from dynatrace_agent.investigator import Investigator
from graphs.commands import demo, investigate

__all__ = ["install", "investigator"]


def investigator(
    *, model: Any | None = None, deadline_s: float = 120.0, token_budget: int = 1500
) -> Investigator:
    """An :class:`~graphs.investigation.run.InvestigationRunner` (the graph is compiled on first use)."""
    from graphs.investigation.run import InvestigationRunner

    return InvestigationRunner(model=model, deadline_s=deadline_s, token_budget=token_budget)


def install(registry: CommandRegistry) -> None:
    """Register this layer's commands and the investigator factory."""
    registry.add_command("demo", demo.register)
    registry.add_command("investigate", investigate.register)
    registry.provide_investigator(investigator)
