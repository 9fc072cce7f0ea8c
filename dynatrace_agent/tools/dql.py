"""Free read-only DQL for questions the structured tools do not cover."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, execute_dql
from dynatrace_agent.tools.base import ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["EXECUTE_DQL", "ExecuteDqlArgs"]


class ExecuteDqlArgs(ToolArgs):
    """One read-only DQL query and its limits."""

    query: str = Field(
        min_length=1,
        max_length=20_000,
        description=(
            "A read-only DQL query starting with fetch, timeseries or data, e.g. "
            '\'fetch logs, from:now()-30m | filter loglevel == "ERROR" | summarize count(), '
            "by:{service.name}'. "
            "Prefer summarize over returning raw records."
        ),
    )
    max_records: int = Field(default=1000, ge=1, le=10_000, description="At most this many result records.")
    scan_limit_gb: float = Field(
        default=100.0, gt=0, le=10_000, description="Stop scanning after this many GB."
    )


async def _run(client: DynatraceClient, args: ExecuteDqlArgs) -> CapabilityResult[Any]:
    return await execute_dql(
        client, args.query, max_records=args.max_records, scan_limit_gb=args.scan_limit_gb
    )


EXECUTE_DQL = ToolSpec(
    name="dynatrace_execute_dql",
    capability="dql",
    description=(
        "Advanced: run any read-only DQL query on Dynatrace Grail, under record, byte and scan limits. "
        "Use the "
        "specific dynatrace_* tools first; use this for questions they cannot answer. Errors name the "
        "line and "
        "column to fix."
    ),
    args_schema=ExecuteDqlArgs,
    run=_run,
)
