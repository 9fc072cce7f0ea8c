"""``dynatrace-agent demo``: investigate the bundled incident on the in-process simulator.

No credentials and no network: the simulator serves the demo case through an ASGI
transport, the real client and the real graph run against it, and the Markdown report is
printed. The quickest way to see what the project does. Registered from the graph layer.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynatrace_agent.case import demo_case_path, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from graphs.commands.investigate import ProgressPrinter, print_report

if TYPE_CHECKING:
    from dynatrace_agent.report import InvestigationReport

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``demo`` to the CLI."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="investigate the bundled demo incident on the built-in simulator (no credentials)",
        description=(
            "Start the Dynatrace simulator in-process on the bundled demo incident, run the full "
            "investigation against it and print the report. Nothing leaves this machine."
        ),
    )
    parser.add_argument("--case", type=Path, help="another incident case folder to investigate")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of Markdown")
    parser.add_argument("--latency-ms", type=int, default=0, help="simulated latency per API request")
    parser.add_argument(
        "--no-oauth", action="store_true", help="simulate an environment without OAuth (no Grail)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve the case in-process, investigate its problem, print the report."""
    from graphs.investigation.run import InvestigationRunner

    if args.latency_ms < 0:
        raise ConfigurationError("--latency-ms must be 0 or more")
    path = args.case or demo_case_path()
    if not (Path(path) / "case.json").exists():
        raise ConfigurationError(
            f"no incident case at {path}; the demo case ships with the package "
            "(reinstall it) or pass --case DIR"
        )
    case = load_case(path)
    opts = SimulatorOptions(latency_ms=args.latency_ms, oauth_enabled=not args.no_oauth)
    progress = None if args.quiet else ProgressPrinter()
    runner = InvestigationRunner()  # the demo never reads settings: no model, default budget

    async def main() -> InvestigationReport:
        transport = simulator_transport(case if args.case else None, opts)
        async with DynatraceClient(simulator_settings(opts), transport=transport) as client:
            return await runner.investigate(case.problem, client=client, on_progress=progress)

    report = asyncio.run(main())
    print_report(report, as_json=args.json)
    return 0
