"""Service-level objectives: targets, warnings, timeframes and SLI definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, list_slos
from dynatrace_agent.tools.base import OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["LIST_SLOS", "ListSlosArgs"]


class ListSlosArgs(ToolArgs):
    """Which SLOs to list."""

    name_contains: OneLine | None = Field(
        default=None,
        max_length=100,
        description="Name substring.",
    )
    max_slos: int = Field(default=200, ge=1, le=500)


async def _run(client: DynatraceClient, args: ListSlosArgs) -> CapabilityResult[Any]:
    return await list_slos(client, name_contains=args.name_contains, max_slos=args.max_slos)


LIST_SLOS = ToolSpec(
    name="dynatrace_list_slos",
    capability="slos",
    description="SLOs: name, target and warning, timeframe, what is measured.",
    args_schema=ListSlosArgs,
    run=_run,
)
