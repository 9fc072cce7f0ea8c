"""``dynatrace-agent eval``: replay incident cases through the graph and score the reports.

Registered from this layer (``install`` is the ``evals`` package's ``dynatrace_agent.cli``
entry point), so the library never imports ``evals``. The harness (which compiles the graph)
is imported when the command runs, not when the CLI starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from dynatrace_agent.commands.registry import CommandRegistry
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import resolve_model

__all__ = ["install", "register"]


def install(registry: CommandRegistry) -> None:
    """Add ``eval`` to the command registry."""
    registry.add_command("eval", register)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``eval`` command."""
    parser = sub.add_parser(
        "eval",
        help="replay incident cases and score the investigation",
        description=(
            "Replay incident cases through the investigation graph against the built-in simulator "
            "and score each report against the case's expected root cause, category and change "
            "event. Cases whose 'expected' is null (as 'record' writes them) run but are not scored."
        ),
    )
    parser.add_argument(
        "--cases",
        required=True,
        type=Path,
        help="a case folder (holding case.json) or a folder whose subfolders are case folders; "
        "only one level is looked at",
    )
    parser.add_argument("--json", dest="json_out", type=Path, help="write eval-results@1 JSON here")
    parser.add_argument("--filter", dest="filter_tag", help="only cases carrying this tag")
    parser.add_argument("--repeat", type=int, default=1, help="run every case N times")
    parser.add_argument("--model", help="provider:model for the narrative and the judge (optional)")
    parser.add_argument(
        "--threshold",
        type=Path,
        help='a JSON threshold file ({"ac_at_1": 0.8, ...}, or such objects keyed by case set as in '
        "evals/thresholds.json); exit 1 when a metric falls below it",
    )
    parser.add_argument(
        "--threshold-set",
        metavar="NAME",
        help="the entry of a --threshold file keyed by case set to gate on (e.g. alt)",
    )
    parser.set_defaults(handler=_run)




def _run(args: argparse.Namespace) -> int:
    from evals import harness

    if args.repeat < 1:
        raise ConfigurationError("--repeat must be at least 1")
    if args.threshold_set and not args.threshold:
        raise ConfigurationError("--threshold-set names an entry of a --threshold file; give --threshold too")
    # Read and validated before the run, so a bad file fails at once.
    threshold = harness.read_threshold(args.threshold, args.threshold_set) if args.threshold else None
    try:
        results = asyncio.run(
            harness.run_eval(
                args.cases,
                filter_tag=args.filter_tag,
                repeat=args.repeat,
                model=resolve_model(args.model or None),
                progress=lambda line: print(line, file=sys.stderr),
            )
        )
    except FileNotFoundError as exc:
        raise ConfigurationError(str(exc)) from exc
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(harness.render_table(results))
    if not results["cases"]:
        print(f"error: no case in {args.cases} carries the tag {args.filter_tag!r}", file=sys.stderr)
        return 1
    if not results["summary"].get("scored", len(results["cases"])):
        print(
            "warning: every case is unlabelled (expected is null), so nothing was scored; "
            "fill in 'expected' in case.json to score a case",
            file=sys.stderr,
        )
        if threshold is not None:
            print("error: --threshold needs at least one labelled case", file=sys.stderr)
            return 1
    if threshold is not None:
        failures = harness.check_threshold(results, threshold)
        for failure in failures:
            print(f"regression: {failure}", file=sys.stderr)
        return 1 if failures else 0
    return 0
