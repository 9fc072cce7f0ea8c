"""``dynatrace-agent investigate P-123``: run the investigation graph and print the report.

Registered from the graph layer (:mod:`graphs.commands`). Settings are loaded once here, at
the edge, and passed down as an :class:`~graphs.investigation.run.InvestigationRunner` and a
client. Progress goes to stderr, one line per phase; the report (Markdown by default,
``--json`` for machines) goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import EnvironmentSettings, load_settings

if TYPE_CHECKING:
    from dynatrace_agent.report import InvestigationReport

__all__ = ["ProgressPrinter", "print_report", "register"]


class ProgressPrinter:
    """Prints graph progress events as ``[ 0.4s] traces      done  10 findings in 311 ms``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()

    def __call__(self, event: dict[str, Any]) -> None:
        elapsed = time.perf_counter() - self.started
        phase, status = str(event.get("phase", "?")), str(event.get("status", ""))
        detail = str(event.get("detail") or "")
        print(f"[{elapsed:5.1f}s] {phase:<10} {status:<7} {detail}".rstrip(), file=self.stream, flush=True)


def register(subparsers: Any) -> None:
    """Add ``investigate`` to the CLI."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "investigate",
        help="investigate a Davis problem and print a ranked, evidenced report",
        description=(
            "Load the problem, gather changes, traces, logs, metrics and impact in parallel, rank the root "
            "causes and print the report. With DT_AGENT_MODEL (or --model) a language model writes the "
            "narrative; without one the narrative comes from templates."
        ),
    )
    parser.add_argument("problem", help="display id (P-240101) or problemId")
    parser.add_argument("--env", metavar="NAME", help="environment from the TOML file (default: its default)")
    parser.add_argument(
        "--config", metavar="FILE", help="TOML file with environments (default: DT_AGENT_CONFIG)"
    )
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the report as JSON")
    fmt.add_argument("--markdown", action="store_true", help="print the report as Markdown (the default)")
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--model", metavar="PROVIDER:MODEL", help="chat model for the narrative")
    model.add_argument(
        "--no-model", action="store_true", help="template narrative even if DT_AGENT_MODEL is set"
    )
    parser.add_argument(
        "--deadline", type=float, default=120.0, metavar="S", help="overall deadline (default 120)"
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="SQLite file to persist the run in; an interrupted run of the same problem resumes from it",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=run)


def print_report(report: InvestigationReport, *, as_json: bool, stream: TextIO | None = None) -> None:
    """The report as JSON or Markdown on stdout."""
    out = stream or sys.stdout
    if as_json:
        out.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    else:
        out.write(report.to_markdown())


def _client(environment: EnvironmentSettings) -> DynatraceClient:
    """The client of the chosen environment (a seam the command's tests replace)."""
    return DynatraceClient(environment)


def run(args: argparse.Namespace) -> int:
    """Investigate and print; configuration and Dynatrace errors exit 2 through the CLI."""
    from graphs.investigation.run import InvestigationRunner

    if args.deadline <= 0:
        raise ConfigurationError("--deadline must be a positive number of seconds")
    settings = load_settings(config_path=args.config)
    environment = settings.environment(args.env)
    runner = InvestigationRunner.from_settings(
        settings,
        model=None if args.no_model else (args.model or settings.model),
        deadline_s=args.deadline,
        checkpoint=args.checkpoint,
    )
    progress = None if args.quiet else ProgressPrinter()

    async def main() -> InvestigationReport:
        async with _client(environment) as client:
            return await runner.investigate(args.problem, client=client, on_progress=progress)

    report = asyncio.run(main())
    print_report(report, as_json=args.json)
    return 0
