"""``dynatrace-agent test-connection``: which planes and capabilities work in an environment.

Exit status 0 unless a plane FAILED (1); configuration errors exit 2 through the CLI's handler.
Incomplete OAuth settings are loaded leniently here so they show up as a failed Grail plane
instead of stopping the command before it can report anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from dynatrace_agent.client.connection import ConnectionReport, test_connection
from dynatrace_agent.settings import load_settings

__all__ = ["format_report", "register"]


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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load settings, test the connection, print the report; 1 when a plane failed."""
    settings = load_settings(config_path=args.config, allow_partial_oauth=True)
    environment = settings.environment(args.env)
    report = asyncio.run(test_connection(environment))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(
            format_report(
                report, classic=environment.classic_base_url, platform=environment.platform_base_url
            )
        )
    return 0 if report.ok else 1


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
