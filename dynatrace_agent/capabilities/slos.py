"""SLOs from the platform SLO service: targets, warnings, timeframes, SLI definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities.base import CapabilityResult, Record, Text, check_limit, to_models
from dynatrace_agent.summarise.slos import summarise_slos

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "Slo", "list_slos"]

CAPABILITY = "slos"


class Slo(Record):
    """An SLO definition (platform shape; classic fields are kept as extras)."""

    id: Text = None
    name: Text = None
    description: Text = None
    criteria: list[dict[str, Any]] = Field(default_factory=list)
    tags: list[Any] = Field(default_factory=list)


def _name_filter(text: str) -> str:
    """``name contains '…'`` with quotes and control characters refused."""
    if not text.strip() or len(text) > 100 or any(ch in text for ch in "'\"\\\n\r\t"):
        raise ValueError(
            "the SLO name filter must be 1-100 characters without quotes, backslashes or line breaks"
        )
    return f"name contains '{text.strip()}'"


async def list_slos(
    client: DynatraceClient,
    *,
    name_contains: str | None = None,
    max_slos: int = 200,
) -> CapabilityResult[Slo]:
    """SLO definitions, optionally those whose name contains ``name_contains``."""
    check_limit(max_slos, "max_slos", 1, 500)
    flt = _name_filter(name_contains) if name_contains else None
    call = "GET /platform/slo/v1/slos" + (f"?filter={flt}" if flt else "")
    raw: list[dict[str, Any]] = []
    async for item in client.slo.list_slos(filter=flt, max_items=max_slos):
        raw.append(item)
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(Slo, raw),
        raw=raw,
        query=call,
        queries=[call],
        limits={"max_slos": max_slos},
        summariser=lambda budget: summarise_slos(raw, budget=budget),
    )
