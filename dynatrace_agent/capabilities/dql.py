"""Free DQL for advanced questions: read-only, under record, byte and scan limits.

DQL has no write commands today, but a query must still *start* with a read command
(``fetch``, ``timeseries``, ``data``, ``describe``, ``smartscapeNodes``…), so text such as
a pasted shell command or an empty query is refused before it is sent. Table scopes are
requested for the tables the query names, so a logs query asks for ``storage:logs:read``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dynatrace_agent.capabilities.base import CapabilityResult, Record, check_limit, grail_query, to_models
from dynatrace_agent.dql import READ_COMMANDS, DQLValueError
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.summarise.dql import summarise_dql

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "TABLE_SCOPES", "DqlRecord", "check_read_only", "execute_dql", "table_scopes"]

CAPABILITY = "dql"
TABLE_SCOPES = {
    "logs": "storage:logs:read",
    "spans": "storage:spans:read",
    "events": "storage:events:read",
    "bizevents": "storage:bizevents:read",
    "user.sessions": "storage:user.sessions:read",
    "user.events": "storage:user.events:read",
    "dt.davis.problems": "storage:events:read",
    "dt.davis.events": "storage:events:read",
    "security.events": "storage:security.events:read",
}
_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|//[^\n]*|/\*.*?\*/', re.DOTALL)
_FETCH = re.compile(r"\bfetch\s+([a-z][a-z0-9_.]*)")
MAX_QUERY_CHARS = 20_000


class DqlRecord(Record):
    """Any DQL result record (all fields kept as extras)."""


def _without_comments(query: str) -> str:
    return _COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] in '"`' else " ", query)


def check_read_only(query: str) -> str:
    """The query, stripped, if its first command is a read command; ``DQLValueError`` otherwise."""
    if not isinstance(query, str) or not query.strip():
        raise DQLValueError("the query is empty; start with fetch, timeseries or data")
    if len(query) > MAX_QUERY_CHARS:
        raise DQLValueError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    bare = _without_comments(query).strip()
    first = re.split(r"[\s,|]", bare, maxsplit=1)[0] if bare else ""
    if first not in READ_COMMANDS:
        raise DQLValueError(
            f"only read-only queries are allowed; a query must start with one of {', '.join(READ_COMMANDS)} "
            f"(got {first or 'nothing'!r})"
        )
    return query.strip()


def table_scopes(query: str) -> list[str]:
    """Scopes for the tables the query fetches (and metrics for timeseries)."""
    bare = _without_comments(query)
    scopes = {TABLE_SCOPES[t] for t in _FETCH.findall(bare) if t in TABLE_SCOPES}
    if re.search(r"(^|\|)\s*(timeseries|metrics)\b", bare):
        scopes.add("storage:metrics:read")
    # Smartscape commands read the smartscape storage; only ``fetch dt.entity.*`` reads entities.
    if re.search(r"\bsmartscape(Nodes|Edges)\b", bare):
        scopes.add("storage:smartscape:read")
    if "dt.entity." in bare:
        scopes.add("storage:entities:read")
    return sorted(scopes)


async def execute_dql(
    client: DynatraceClient,
    query: str,
    *,
    max_records: int = 1000,
    max_bytes: int = 5_000_000,
    scan_limit_gb: float = 100.0,
) -> CapabilityResult[DqlRecord]:
    """Run a read-only DQL query with record, byte and scan limits."""
    text = check_read_only(query)
    check_limit(max_records, "max_records", 1, 10_000)
    check_limit(max_bytes, "max_bytes", 1_000, 50_000_000)
    if not 0 < scan_limit_gb <= 10_000:
        raise InvalidArgumentError("scan_limit_gb must be above 0 and at most 10000")
    queries: list[str] = []
    result = await grail_query(
        client,
        CAPABILITY,
        text,
        max_records=max_records,
        max_bytes=max_bytes,
        scan_limit_gb=scan_limit_gb,
        extra_scopes=table_scopes(text),
        queries=queries,
    )
    raw: list[dict[str, Any]] = [r for r in result.records if isinstance(r, dict)]
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(DqlRecord, raw),
        raw=raw,
        query=text,
        grail=result,
        queries=queries,
        truncated=result.record_limit_reached,
        limits={"max_records": max_records, "max_bytes": max_bytes, "scan_limit_gb": scan_limit_gb},
        summariser=lambda budget: summarise_dql(raw, budget=budget, grail=result),
    )
