"""A deep connection check: one small query per capability, and which expected fields came back.

``test-connection`` says whether a capability *may* run (credentials, scopes); this says
whether it *sees data shaped as the tools expect*. For each Grail capability a handful of
recent records is fetched and every field the tools rely on (``fields.EXPECTED``) is reported
as missing (in no record), empty (always null) or present; metrics get one timeseries, SLOs
one evaluation. A user with a real tenant runs it once and learns whether the tools see their
data, and can send the output to us: it holds field names and counts only, never values.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynatrace_agent.capabilities.base import capability_scopes
from dynatrace_agent.dql import Query, timeframe
from dynatrace_agent.errors import DynatraceAgentError
from dynatrace_agent.fields import EXPECTED

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["DeepCheck", "deep_check"]

SAMPLE = 20
WINDOW = "now-2h"


@dataclass
class DeepCheck:
    """What one capability's probe found."""

    capability: str
    query: str
    records: int = 0
    missing: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    error: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """Data came back and every expected field was seen with a value."""
        return self.error is None and self.records > 0 and not self.missing and not self.empty

    def to_dict(self) -> dict[str, Any]:
        """The probe result as JSON-ready data (for the ``tools`` command and the MCP server)."""
        return {
            "capability": self.capability,
            "query": self.query,
            "records": self.records,
            "missing": self.missing,
            "empty": self.empty,
            "present": self.present,
            "error": self.error,
            "note": self.note,
        }


def _fields_seen(records: list[dict[str, Any]], expected: tuple[str, ...], check: DeepCheck) -> None:
    for name in expected:
        values = [r[name] for r in records if name in r]
        if not values:
            check.missing.append(name)
        elif all(v is None or v == [] for v in values):
            check.empty.append(name)
        else:
            check.present.append(name)


async def _records(
    client: DynatraceClient, capability: str, table: str, expected: tuple[str, ...]
) -> DeepCheck:
    query = Query.fetch(table, timeframe(WINDOW)).limit(SAMPLE).render()
    check = DeepCheck(capability, query)
    try:
        result = await client.grail.query(
            query, scopes=capability_scopes(capability), max_result_records=SAMPLE
        )
    except DynatraceAgentError as exc:
        check.error = str(exc)
        return check
    check.records = len(result.records)
    if not result.records:
        check.note = f"no {table} records in the last 2 hours; fields could not be checked"
        return check
    _fields_seen(result.records, expected, check)
    return check


async def _metrics(client: DynatraceClient) -> DeepCheck:
    query = (
        "timeseries { requests = sum(dt.service.request.count), "
        "failures = sum(dt.service.request.failure_count), rt = avg(dt.service.request.response_time) }, "
        "by:{dt.entity.service}, from:now()-2h | limit 5"
    )
    check = DeepCheck("metrics", query)
    try:
        result = await client.grail.query(query, scopes=capability_scopes("metrics"), max_result_records=5)
    except DynatraceAgentError as exc:
        check.error = str(exc)
        return check
    check.records = len(result.records)
    _fields_seen(result.records, ("dt.entity.service", "requests", "failures", "rt"), check)
    units = [m for m in result.metadata.get("metrics") or [] if isinstance(m, dict) and m.get("unit")]
    if check.records and not units:
        check.note = "no metric units came back (metadata.metrics)"
    return check


async def _slos(client: DynatraceClient) -> DeepCheck:
    check = DeepCheck("slos", "GET /platform/slo/v1/slos + POST slos/evaluation:start (first SLO)")
    try:
        slos = [s async for s in client.slo.list_slos(max_items=1)]
        check.records = len(slos)
        if not slos:
            check.note = "no SLOs are defined"
            return check
        evaluated = await client.slo.evaluate(str(slos[0].get("id")))
    except DynatraceAgentError as exc:
        check.error = str(exc)
        return check
    results = evaluated.get("evaluationResults")
    first = results[0] if isinstance(results, list) and results and isinstance(results[0], dict) else {}
    _fields_seen([first] if first else [], ("status", "value", "errorBudget"), check)
    return check


async def deep_check(client: DynatraceClient) -> list[DeepCheck]:
    """Probe every Grail capability and the SLO evaluation; never raises for API errors."""
    jobs = [_records(client, cap, table, expected) for cap, (table, expected) in EXPECTED.items()]
    return list(await asyncio.gather(*jobs, _metrics(client), _slos(client)))
