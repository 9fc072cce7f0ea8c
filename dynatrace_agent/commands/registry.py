"""The CLI's registry of what the layers above the library contribute.

Commands that run the investigation graph (``investigate``, ``demo``) or the evaluation
(``eval``) belong to the packages that own them (``graphs``, ``evals``); so does the
:class:`~dynatrace_agent.investigator.InvestigatorFactory` that ``serve`` and ``mcp`` use.
Those packages fill the registry through the ``dynatrace_agent.cli`` entry-point group of
the installed distribution (``install(registry)`` functions), so the library never imports
them, not even by name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.investigator import InvestigatorFactory

__all__ = ["ENTRY_POINT_GROUP", "CommandRegistry", "Register", "load_registry"]

#: The entry-point group whose ``install(registry)`` functions fill the registry.
ENTRY_POINT_GROUP = "dynatrace_agent.cli"

#: Adds one command to the CLI: ``register(subparsers)``.
Register = Callable[[Any], None]


@dataclass
class CommandRegistry:
    """Commands by name, and the investigator factory, as the installed layers registered them."""

    commands: dict[str, Register] = field(default_factory=dict)
    investigator: InvestigatorFactory | None = None
    #: Entry points that could not be imported (a stale or partial install): name → why.
    failures: dict[str, str] = field(default_factory=dict)

    def why_missing(self) -> str:
        """What to do about a missing command or investigator, naming any entry point that failed."""
        failed = "; ".join(
            f"the '{name}' entry point failed: {why}" for name, why in sorted(self.failures.items())
        )
        return (f"{failed}; " if failed else "") + (
            "reinstall dynatrace-agent (pip install -e . in a checkout, or pip install dynatrace-agent)"
        )

    def add_command(self, name: str, register: Register) -> None:
        """Register a command; a name registered twice is a packaging error, said at once."""
        if name in self.commands:
            raise ConfigurationError(f"the command {name!r} is registered twice; reinstall dynatrace-agent")
        self.commands[name] = register

    def provide_investigator(self, factory: InvestigatorFactory) -> None:
        """Register how investigations are built (the graph layer does)."""
        self.investigator = factory

    def investigator_factory(self) -> InvestigatorFactory:
        """The registered factory; a ``ConfigurationError`` with the fix when none is installed."""
        if self.investigator is None:
            raise ConfigurationError(
                "no investigation graph is installed (the 'graphs' package registers it through the "
                f"'{ENTRY_POINT_GROUP}' entry points); {self.why_missing()}"
            )
        return self.investigator


@functools.cache
def load_registry() -> CommandRegistry:
    """The registry filled by every installed ``dynatrace_agent.cli`` entry point (once per process).

    An entry point that cannot be imported (a stale or partial install) does not stop the CLI:
    the library's own commands still work, and the missing ones say what failed and how to fix it.
    """
    registry = CommandRegistry()
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            install = entry.load()
        except ImportError as exc:
            registry.failures[entry.name] = f"{type(exc).__name__}: {exc}"
            continue
        install(registry)
    return registry
