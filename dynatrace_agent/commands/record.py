"""``dynatrace-agent record P-123 --out DIR``: write an incident case from a live environment."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.record import parse_before, record_case
from dynatrace_agent.redact import Redactor
from dynatrace_agent.settings import load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``record`` command."""
    parser = sub.add_parser(
        "record",
        help="record an incident case folder from a live environment",
        description=(
            "Read one problem and everything around it (entities, events, logs, spans, metrics) "
            "from a live environment, read-only, and write it as an incident case folder, redacted. "
            "The case's 'expected' block is left null: fill it in with what really happened before "
            "'eval' scores the case (an unlabelled case runs but is not scored)."
        ),
    )
    parser.add_argument("problem", help="display id (P-123) or problemId")
    parser.add_argument("--out", required=True, type=Path, help="new folder to write the case into")
    parser.add_argument("--before", default="60m", help="baseline recorded before the start (default 60m)")
    parser.add_argument(
        "--redact",
        action="append",
        default=[],
        metavar="RULE",
        help="extra redaction: field:NAME (pseudonymise a field) or NAME=REGEX (repeatable)",
    )
    parser.add_argument(
        "--no-default-redaction",
        action="store_true",
        help="drop the default rules (e-mails, IPs, user ids, tokens); not recommended",
    )
    parser.add_argument("--env", help="named environment from the config file")
    parser.add_argument("--config", type=Path, help="TOML config file (default: $DT_AGENT_CONFIG)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        redactor = Redactor.build(args.redact, defaults=not args.no_default_redaction)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    before = parse_before(args.before)
    settings = load_settings(config_path=args.config).environment(args.env)

    async def go() -> int:
        async with DynatraceClient(settings) as client:
            summary = await record_case(client, args.problem, args.out, before=before, redactor=redactor)
        counts = ", ".join(f"{n} {k}" for k, n in summary.counts.items())
        print(f"wrote {summary.path}: {counts}; {summary.redactions} values redacted")
        for table, reason in sorted(summary.unavailable.items()):
            print(f"  not recorded: {table}: {reason}")
        print("next: fill in case.json -> expected (root_cause, category, change_event_id)")
        return 0

    return asyncio.run(go())
