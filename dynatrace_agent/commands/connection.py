"""``dynatrace-agent test-connection``: which planes and capabilities work in an environment.

Exit status 0 unless a plane FAILED (1); configuration errors exit 2 through the CLI's handler.
Incomplete OAuth settings are loaded leniently here so they show up as a failed Grail plane
instead of stopping the command before it can report anything.

``--deep`` adds one small query per Grail capability (and an SLO evaluation) and reports, per
capability, which fields the tools rely on came back missing or empty: field names and counts
only, so the output can be shared. ``--simulator`` runs against the bundled demo in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from dynatrace_agent.capabilities.probe import DeepCheck, deep_check
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.client.connection import ConnectionReport, test_connection
from dynatrace_agent.settings import EnvironmentSettings, load_settings

__all__ = ["format_deep", "format_report", "register"]


def register(subparsers: Any) -> None:
    """Add ``test-connection`` to the CLI."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "test-connection",
        help="check credentials, scopes and reachability of both Dynatrace API planes",
        description=(
            "Report the Environment API (token) plane and the Grail (OAuth) plane separately, and every "
            "capability as OK, UNAVAILABLE (scope not granted) or FAILED. Exit 0 unless a plane FAILED."
        ),
    )
    parser.add_argument("--env", metavar="NAME", help="environment from the TOML file (default: its default)")
    parser.add_argument(
        "--config", metavar="FILE", help="TOML file with environments (default: DT_AGENT_CONFIG)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also run one small query per capability; report expected fields missing or empty",
    )
    parser.add_argument(
        "--simulator", action="store_true", help="check the in-process demo simulator (no credentials needed)"
    )
    parser.set_defaults(handler=run)


async def _check(
    environment: EnvironmentSettings, transport: Any, deep: bool
) -> tuple[ConnectionReport, list[DeepCheck] | None]:
    report = await test_connection(environment, transport=transport)
    if not deep:
        return report, None
    async with DynatraceClient(environment, transport=transport) as client:
        return report, await deep_check(client)


def run(args: argparse.Namespace) -> int:
    """Load settings, test the connection (and with --deep the data), print; 1 when a plane failed."""
    transport = None
    if getattr(args, "simulator", False):
        from dynatrace_agent.simulator import simulator_settings, simulator_transport

        environment, transport = simulator_settings(), simulator_transport()
    else:
        settings = load_settings(config_path=args.config, allow_partial_oauth=True)
        environment = settings.environment(args.env)
    report, checks = asyncio.run(_check(environment, transport, getattr(args, "deep", False)))
    if args.json:
        body = report.to_dict()
        if checks is not None:
            body["deep"] = [c.to_dict() for c in checks]
        print(json.dumps(body, indent=2))
    else:
        print(
            format_report(
                report, classic=environment.classic_base_url, platform=environment.platform_base_url
            )
        )
        if checks is not None:
            print(format_deep(checks))
    return 0 if report.ok else 1


def format_deep(checks: list[DeepCheck]) -> str:
    """The --deep section: per capability, records seen and the expected fields missing or empty."""
    rows: list[tuple[str, ...]] = []
    for check in checks:
        if check.error:
            status, detail = "FAILED", check.error
        elif check.records == 0:
            status, detail = "NO DATA", check.note or "no records"
        else:
            status = "OK" if check.ok else "FIELDS"
            parts = []
            if check.missing:
                parts.append("missing: " + ", ".join(check.missing))
            if check.empty:
                parts.append("empty: " + ", ".join(check.empty))
            if check.note:
                parts.append(check.note)
            detail = "; ".join(parts) or f"all {len(check.present)} expected fields present"
        rows.append((check.capability, str(check.records), status, detail))
    return "\n".join(
        [
            "",
            "Deep check (expected fields per capability)",
            *_table(("CAPABILITY", "RECORDS", "DATA", "DETAIL"), rows),
        ]
    )


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:-1])]
    lines = []
    for row in [headers, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def format_report(report: ConnectionReport, *, classic: str, platform: str | None) -> str:
    """The report as two readable tables (planes, then capabilities)."""
    lines = [
        f'Environment "{report.environment}"',
        f"  classic:  {classic}",
        f"  platform: {platform or '-'}",
        "",
    ]
    lines += _table(
        ("PLANE", "STATUS", "DETAIL"), [(p.label, p.status.value, p.reason) for p in report.planes]
    )
    lines.append("")
    lines += _table(
        ("CAPABILITY", "PLANE", "STATUS", "DETAIL"),
        [(c.name, c.plane, c.status.value, c.reason) for c in report.capabilities],
    )
    lines.append("")
    verdict = "OK" if report.ok else "FAILED: at least one plane failed"
    lines.append(f"Result: {verdict} ({report.api_calls} API calls)")
    return "\n".join(lines)
