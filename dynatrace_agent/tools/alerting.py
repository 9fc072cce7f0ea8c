"""Alerting rules: metric events and Davis anomaly detectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, list_alerting_rules
from dynatrace_agent.tools.base import OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["LIST_ALERTING_RULES", "ListAlertingRulesArgs"]


class ListAlertingRulesArgs(ToolArgs):
    """Which alerting rules to list."""

    enabled_only: bool = Field(default=False, description="Enabled rules only.")
    text: OneLine | None = Field(
        default=None,
        max_length=200,
        description="In title or metric/query.",
    )
    max_rules: int = Field(default=500, ge=1, le=2000)


async def _run(client: DynatraceClient, args: ListAlertingRulesArgs) -> CapabilityResult[Any]:
    return await list_alerting_rules(
        client, enabled_only=args.enabled_only, text=args.text, max_rules=args.max_rules
    )


LIST_ALERTING_RULES = ToolSpec(
    name="dynatrace_list_alerting_rules",
    capability="alerting_rules",
    description=(
        "Alerting rules (metric events, anomaly detectors): what each watches, threshold, event type, "
        "enabled."
    ),
    args_schema=ListAlertingRulesArgs,
    run=_run,
)
