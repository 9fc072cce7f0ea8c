"""SLOs from the platform SLO service: definitions, then each one's evaluation.

The SLO list holds definitions only (targets, warnings, timeframes, SLI); status, SLI value and
error budget come from an evaluation per SLO (``evaluation:start`` + ``evaluation:poll``).
Evaluations run a few at a time and are best effort: one that fails leaves its SLO listed with
the reason instead of a status. The name filter is ``name~'text'`` (contains), as dtctl sends it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities.base import CapabilityResult, Record, Text, check_limit, to_models
from dynatrace_agent.errors import DynatraceAgentError, InvalidArgumentError
from dynatrace_agent.summarise.slos import summarise_slos

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "Slo", "list_slos"]

CAPABILITY = "slos"
_PARALLEL_EVALUATIONS = 4


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
        raise InvalidArgumentError(
            "the SLO name filter must be 1-100 characters without quotes, backslashes or line breaks"
        )
    return f"name~'{text.strip()}'"


async def list_slos(
    client: DynatraceClient,
    *,
    name_contains: str | None = None,
    max_slos: int = 200,
    evaluate: int = 20,
) -> CapabilityResult[Slo]:
    """SLO definitions (name containing ``name_contains``), the first ``evaluate`` of them evaluated."""
    check_limit(max_slos, "max_slos", 1, 500)
    check_limit(evaluate, "evaluate", 0, 100)
    flt = _name_filter(name_contains) if name_contains else None
    call = "GET /platform/slo/v1/slos" + (f"?filter={flt}" if flt else "")
    raw: list[dict[str, Any]] = []
    async for item in client.slo.list_slos(filter=flt, max_items=max_slos):
        raw.append(dict(item))  # evaluations are added to our copy, never to the caller's record
    queries = [call]
    notes: list[str] = []
    chosen = [slo for slo in raw if isinstance(slo.get("id"), str)][:evaluate]
    if chosen:
        gate = asyncio.Semaphore(_PARALLEL_EVALUATIONS)

        async def one(slo: dict[str, Any]) -> None:
            async with gate:
                try:
                    found = await client.slo.evaluate(slo["id"])
                except DynatraceAgentError as exc:
                    slo["evaluationError"] = str(exc)
                    return
            results = found.get("evaluationResults")
            slo["evaluationResults"] = results if isinstance(results, list) else []

        await asyncio.gather(*(one(slo) for slo in chosen))
        queries.append(
            f"POST /platform/slo/v1/slos/evaluation:start (+ evaluation:poll) for {len(chosen)} SLOs"
        )
        failed = sum(1 for slo in chosen if "evaluationError" in slo)
        if failed:
            notes.append(f"{failed} of {len(chosen)} SLO evaluations failed; see evaluationError")
    if len(raw) > len(chosen):
        notes.append(
            f"{len(raw) - len(chosen)} SLOs were listed without evaluating them (evaluate={evaluate})"
        )
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(Slo, raw),
        raw=raw,
        query=call,
        queries=queries,
        limits={"max_slos": max_slos, "evaluate": evaluate},
        notes=notes,
        summariser=lambda budget: summarise_slos(raw, budget=budget),
    )
