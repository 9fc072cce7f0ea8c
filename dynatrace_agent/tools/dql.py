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
        description="E.g. fetch logs | summarize count(), by:{loglevel}",
    )
    max_records: int = Field(default=1000, ge=1, le=10_000)
    scan_limit_gb: float = Field(default=100.0, gt=0, le=10_000)


async def _run(client: DynatraceClient, args: ExecuteDqlArgs) -> CapabilityResult[Any]:
    return await execute_dql(
        client, args.query, max_records=args.max_records, scan_limit_gb=args.scan_limit_gb
    )


EXECUTE_DQL = ToolSpec(
    name="dynatrace_execute_dql",
    capability="dql",
    description="Read-only DQL on Grail, for questions the other tools cannot answer.",
    args_schema=ExecuteDqlArgs,
    run=_run,
)
