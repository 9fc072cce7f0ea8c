"""Logs from Grail: whole-window counts via ``summarize`` plus a bounded sample for patterns.

Fetching every log line does not scale; the counts by level and by service come from one
``summarize`` over the full window, the patterns and examples from the newest ``sample_size``
records, and, when asked, a baseline sample from just before the window marks new patterns.

Logs are attached to process groups, hosts and Kubernetes workloads; ``dt.entity.service`` is
on a log record only for some ingestion paths. So the logs of a service are found through
its process group(s) (looked up in the Entities API: a service ``runsOn`` its process group),
then its id, then the OpenTelemetry ``service.name``. Without the entities scope the lookup
is skipped and a note says the filter fell back to the service fields alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities.base import (
    CapabilityResult,
    Record,
    Text,
    check_limit,
    grail_query,
    to_models,
)
from dynatrace_agent.capabilities.entities import build_entity_selector
from dynatrace_agent.capabilities.filters import LOOKS_LIKE_ID, entities_condition, named_condition
from dynatrace_agent.dql import Expr, Query, contains, entity_id, func, in_, or_, timeframe
from dynatrace_agent.errors import DynatraceAgentError, InvalidArgumentError
from dynatrace_agent.summarise.logs import ERROR_LEVELS, summarise_logs
from dynatrace_agent.values import as_int

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "LogRecord", "log_conditions", "query_logs", "service_log_condition"]

CAPABILITY = "logs"
LEVELS = ("ERROR", "WARN", "INFO", "DEBUG", "FATAL", "SEVERE", "WARNING", "TRACE", "NONE")


class LogRecord(Record):
    """One log record."""

    timestamp: Text = None
    content: Text = None
    loglevel: Text = None
    service: Text = Field(default=None, alias="dt.entity.service")
    service_name: Text = Field(default=None, alias="service.name")
    process_group: Text = Field(default=None, alias="dt.entity.process_group")
    host: Text = Field(default=None, alias="dt.entity.host")
    trace_id: Text = None


def _process_groups(entity: dict[str, Any]) -> list[str]:
    rels = entity.get("fromRelationships")
    runs_on = rels.get("runsOn") if isinstance(rels, dict) else None
    out = []
    for item in runs_on if isinstance(runs_on, list) else []:
        ref = item.get("id") if isinstance(item, dict) else item
        if isinstance(ref, str) and ref.startswith("PROCESS_GROUP-"):
            out.append(ref)
    return out


async def service_log_condition(client: DynatraceClient, services: Sequence[str], notes: list[str]) -> Expr:
    """Logs of the services (ids or names): their process groups, their ids, their OTel name."""
    ids = [entity_id(s) for s in services if LOOKS_LIKE_ID.match(s.strip())]
    names = [s.strip() for s in services if not LOOKS_LIKE_ID.match(s.strip())]
    selectors = ([build_entity_selector(ids=ids)] if ids else []) + [
        build_entity_selector(type_="SERVICE", name=name) for name in names
    ]
    groups: list[str] = []
    try:
        for selector in selectors:
            async for entity in client.environment.list_entities(
                selector, fields=["+fromRelationships"], max_items=50
            ):
                if isinstance(entity.get("entityId"), str) and entity["entityId"] not in ids:
                    ids.append(entity["entityId"])
                groups += [g for g in _process_groups(entity) if g not in groups]
    except DynatraceAgentError as exc:
        notes.append(
            f"the service's process groups could not be looked up ({exc}); "
            "logs were matched on the service fields only"
        )
    parts: list[Expr] = []
    if groups:
        parts.append(in_("dt.entity.process_group", groups))
    if ids:
        parts.append(in_("dt.entity.service", ids))
    if names:
        parts.append(in_("service.name", names))
    return or_(*parts)


def log_conditions(
    *,
    service: str | Expr | None = None,
    host: str | None = None,
    entity_ids: Sequence[str] = (),
    levels: Sequence[str] = (),
    text: str | None = None,
) -> list[Expr]:
    """Filter conditions for logs from checked arguments."""
    conditions: list[Expr] = []
    if isinstance(service, Expr):
        conditions.append(service)
    elif service:
        conditions.append(named_condition(service, id_field="dt.entity.service", name_field="service.name"))
    if host:
        conditions.append(named_condition(host, id_field="dt.entity.host", name_field="host.name"))
    if entity_ids:
        conditions.append(entities_condition(entity_ids))
    if levels:
        wanted = []
        for level in levels:
            upper = level.strip().upper()
            if upper not in LEVELS:
                raise InvalidArgumentError(f"{level!r} is not a log level; use one of {', '.join(LEVELS)}")
            wanted.append(upper)
        conditions.append(in_("loglevel", wanted))
    if text:
        conditions.append(contains("content", text))
    return conditions


async def query_logs(
    client: DynatraceClient,
    *,
    service: str | None = None,
    host: str | None = None,
    entity_ids: Sequence[str] = (),
    levels: Sequence[str] = (),
    text: str | None = None,
    timeframe_start: str | datetime = "now-1h",
    timeframe_end: str | datetime | None = None,
    baseline_start: str | datetime | None = None,
    sample_size: int = 1000,
    scan_limit_gb: float | None = None,
) -> CapabilityResult[LogRecord]:
    """Logs matching the filters: counts by level and service, and a sample for patterns.

    With ``baseline_start`` a second sample from ``baseline_start`` to ``timeframe_start`` is
    fetched so the summary can mark patterns that are new in the window.
    """
    check_limit(sample_size, "sample_size", 10, 10_000)
    window = timeframe(timeframe_start, timeframe_end)
    notes: list[str] = []
    scope = await service_log_condition(client, [service], notes) if service else None
    services = [i for i in entity_ids if i.strip().upper().startswith("SERVICE-")]
    others = [i for i in entity_ids if i not in services]
    conditions = log_conditions(
        service=scope, host=host, entity_ids=() if services else others, levels=levels, text=text
    )
    if services:  # services through their process groups, other entities by their own field
        by_service = await service_log_condition(client, services, notes)
        conditions.append(or_(by_service, entities_condition(others)) if others else by_service)
    base = Query.fetch("logs", window, scan_limit_gb=scan_limit_gb).filter(*conditions)
    queries: list[str] = []
    counts = await grail_query(
        client,
        CAPABILITY,
        base.summarize(
            [
                ("count", func("count")),
                ("first", func("min", Expr("timestamp"))),
                ("last", func("max", Expr("timestamp"))),
            ],
            by=["loglevel", "dt.entity.service", "service.name", "dt.entity.process_group"],
        ),
        max_records=5000,
        queries=queries,
    )
    levels_count: dict[str, int] = {}
    services_count: dict[str, int] = {}
    error_times: dict[str, tuple[str, str]] = {}  # service label -> first/last error over the window
    for row in counts.records:
        n = as_int(row.get("count")) or 0
        level = str(row.get("loglevel") or "NONE").upper()
        levels_count[level] = levels_count.get(level, 0) + n
        entity, name = row.get("dt.entity.service"), row.get("service.name")
        group = row.get("dt.entity.process_group")
        label = f"{name} ({entity})" if entity and name else str(entity or name or group or "?")
        services_count[label] = services_count.get(label, 0) + n
        if level in ERROR_LEVELS and row.get("first") and row.get("last"):
            # ISO timestamps of one format compare in time order as text.
            first, last = str(row["first"]), str(row["last"])
            known = error_times.get(label)
            error_times[label] = (min(known[0], first), max(known[1], last)) if known else (first, last)
    total = sum(levels_count.values())
    # Without a level filter, the error-level records are sampled as well, oldest first (up to
    # half of the sample): the newest records alone show when errors ended, not when they began.
    error_count = sum(n for level, n in levels_count.items() if level in ERROR_LEVELS)
    error_share = min(error_count, sample_size // 2) if not levels and error_count < total else 0
    sample = await grail_query(
        client,
        CAPABILITY,
        base.sort("timestamp", descending=True).limit(sample_size - error_share),
        max_records=sample_size - error_share,
        queries=queries,
    )
    sampled = list(sample.records)
    if error_share:
        errors = await grail_query(
            client,
            CAPABILITY,
            base.filter(in_("loglevel", sorted(ERROR_LEVELS))).sort("timestamp").limit(error_share),
            max_records=error_share,
            queries=queries,
        )
        seen = {(str(r.get("timestamp")), str(r.get("content"))) for r in sampled}
        sampled += [r for r in errors.records if (str(r.get("timestamp")), str(r.get("content"))) not in seen]
    baseline: list[dict[str, Any]] | None = None
    if baseline_start is not None:
        before = timeframe(baseline_start, timeframe_start)
        baseline_result = await grail_query(
            client,
            CAPABILITY,
            Query.fetch("logs", before, scan_limit_gb=scan_limit_gb)
            .filter(*conditions)
            .sort("timestamp", descending=True)
            .limit(sample_size),
            max_records=sample_size,
            queries=queries,
        )
        baseline = baseline_result.records
    raw = sampled
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(LogRecord, raw),
        raw=raw,
        query=queries[1],
        grail=sample,
        queries=queries,
        truncated=total > len(raw) or sample.record_limit_reached,
        limits={"sample_size": sample_size, "record_limit_reached": sample.record_limit_reached},
        total=total,
        aggregates={"by_level": levels_count, "by_service": services_count},
        notes=notes,
        summariser=lambda budget: summarise_logs(
            raw,
            budget=budget,
            grail=counts,
            total=total,
            level_counts=levels_count,
            service_counts=services_count,
            error_times=error_times,
            baseline=baseline,
        ),
    )
