"""The ``dynatrace-agent`` command line.

Each area registers its own subcommands from ``dynatrace_agent/commands/<area>.py`` (a
``register(subparsers)`` function), so parts of the CLI can be built and tested apart.
Commands that run the investigation graph or the evaluation are registered by the packages
that own them, through the command registry (:mod:`dynatrace_agent.commands.registry`); the
library never imports those packages.
Handlers return the process exit status. Expected failures (``DynatraceAgentError``) are
printed as one clear line on stderr, never as a traceback, and never with a secret.

Exit statuses: 0 success, 1 a check failed (threshold, connection test), 2 usage or
configuration error (including a bare command without a subcommand), 70 a bug, 130
interrupted. A reader that closes the pipe early (``| head``) ends the output quietly.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from dynatrace_agent._version import __version__
from dynatrace_agent.commands import connection, importer, mcp, record, serve, simulator, tools
from dynatrace_agent.commands.registry import ENTRY_POINT_GROUP, Register, load_registry
from dynatrace_agent.errors import ConfigurationError, DynatraceAgentError

#: The library's own commands.
LIBRARY_COMMANDS: dict[str, Register] = {
    "test-connection": connection.register,
    "tools": tools.register,
    "serve": serve.register,
    "mcp": mcp.register,
    "simulator": simulator.register,
    "record": record.register,
    "import": importer.register,
}
#: Every command, in the order it appears in ``--help``; the ones not in ``LIBRARY_COMMANDS``
#: come from the command registry (``investigate`` and ``demo`` from ``graphs``, ``eval`` from
#: ``evals``). Registered commands not named here follow at the end.
COMMAND_ORDER = (
    "demo",
    "investigate",
    "test-connection",
    "tools",
    "serve",
    "mcp",
    "simulator",
    "eval",
    "record",
    "import",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with the library's commands and every registered one."""
    parser = argparse.ArgumentParser(
        prog="dynatrace-agent",
        description="Investigate Dynatrace incidents with AI agents.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registry = load_registry()
    registered = registry.commands
    commands = {**registered, **LIBRARY_COMMANDS}
    for name in [*COMMAND_ORDER, *sorted(set(registered) - set(COMMAND_ORDER))]:
        register = commands.get(name)
        if register is None:
            _not_installed(sub, name, registry.why_missing())
        else:
            register(sub)
    return parser


def _not_installed(sub: Any, name: str, fix: str) -> None:
    """A command whose package did not register it: running it says how to fix the install."""
    parser = sub.add_parser(name, help="(not installed: reinstall dynatrace-agent)", add_help=False)
    parser.add_argument("rest", nargs=argparse.REMAINDER)

    def handler(args: argparse.Namespace) -> int:
        raise ConfigurationError(
            f"the {name!r} command is not installed: the package that owns it registers it through "
            f"the '{ENTRY_POINT_GROUP}' entry points; {fix}"
        )

    parser.set_defaults(handler=handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2  # no command given: a usage error, so scripts notice
    try:
        result = handler(args)
        sys.stdout.flush()  # a closed pipe shows up here for output still in the buffer
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except DynatraceAgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line; the traceback only on request
        if os.environ.get("DT_AGENT_DEBUG"):
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} "
            "(this is a bug in dynatrace-agent; set DT_AGENT_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 70
    return int(result or 0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null after the reader went away (``| head``).

    Python would otherwise try to flush the rest of the buffer at exit and print "Exception
    ignored ... BrokenPipeError"; the reader chose to stop, which is not an error.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests, embedding)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
