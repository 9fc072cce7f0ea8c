"""``dynatrace-agent investigate P-123``: run the investigation graph and print the report.

The graph lives outside the library (``graphs``), so it is imported by name when the command
runs, never when the library is imported. Progress goes to stderr, one line per phase; the
report (Markdown by default, ``--json`` for machines) goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import load_settings

__all__ = ["ProgressPrinter", "investigate_with", "print_report", "register"]


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


async def investigate_with(
    client: DynatraceClient,
    problem: str,
    *,
    model: Any | None = None,
    deadline_s: float = 120.0,
    token_budget: int = 1500,
    checkpoint: Path | None = None,
    progress: Any | None = None,
) -> Any:
    """Run the graph (imported lazily) on ``client``; returns the ``InvestigationReport``."""
    runner = importlib.import_module("graphs.investigation.run")
    if checkpoint is not None:
        return await runner.investigate_checkpointed(
            problem,
            client=client,
            db_path=checkpoint,
            model=model,
            deadline_s=deadline_s,
            token_budget=token_budget,
            on_progress=progress,
        )
    return await runner.investigate(
        problem,
        client=client,
        model=model,
        deadline_s=deadline_s,
        token_budget=token_budget,
        on_progress=progress,
    )


def print_report(report: Any, *, as_json: bool, stream: TextIO | None = None) -> None:
    """The report as JSON or Markdown on stdout."""
    out = stream or sys.stdout
    if as_json:
        out.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    else:
        out.write(report.to_markdown())


def _client(environment: Any) -> DynatraceClient:
    return DynatraceClient(environment)


def run(args: argparse.Namespace) -> int:
    """Investigate and print; configuration and Dynatrace errors exit 2 through the CLI."""
    if args.deadline <= 0:
        raise ConfigurationError("--deadline must be a positive number of seconds")
    settings = load_settings(config_path=args.config)
    environment = settings.environment(args.env)
    model = None if args.no_model else (args.model or settings.model)
    progress = None if args.quiet else ProgressPrinter()

    async def main() -> Any:
        async with _client(environment) as client:
            return await investigate_with(
                client,
                args.problem,
                model=model,
                deadline_s=args.deadline,
                token_budget=settings.token_budget,
                checkpoint=args.checkpoint,
                progress=progress,
            )

    report = asyncio.run(main())
    print_report(report, as_json=args.json)
    return 0
