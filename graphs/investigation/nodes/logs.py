"""Logs branch: error and warning counts from Grail aggregates, message patterns from samples.

Counts per entity and level (and the first error of the incident) are computed in Grail over
every record of each window; message patterns, and which of them are new in the incident,
come from bounded samples of the newest error/warning records of each window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Gap, LogStats, Window
from dynatrace_agent.analysis.signals import log_stats
from dynatrace_agent.capabilities.base import grail_query
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.dql import Expr, Query, field_ref, func, in_, or_, timeframe
from dynatrace_agent.values import as_int, parse_timestamp
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import (
    Collector,
    incident_flag,
    names_of,
    no_window_gap,
    run_branch,
    split_rows,
    window_of,
)
from graphs.investigation.state import InvestigationState

__all__ = ["SAMPLE_SIZE", "logs_node"]

CAPABILITY = "logs"
SAMPLE_SIZE = 1000
_ERROR = ("ERROR", "ERR", "FATAL", "SEVERE", "CRITICAL", "CRIT", "EMERG", "EMERGENCY", "ALERT")
_WARN = ("WARN", "WARNING")
_LEVEL_FIELDS = ("loglevel", "status")
_ENTITY_FIELDS = ("dt.entity.service", "dt.entity.process_group", "dt.entity.host")
_NAME_FIELDS = ("service.name", "dt.service.name", "k8s.workload.name", "k8s.deployment.name", "host.name")
#: Names that label a service or process-group entity (a host name labels only a host).
_SERVICE_LABELS = ("service.name", "dt.service.name", "k8s.workload.name", "k8s.deployment.name")


def _level_values() -> list[str]:
    return [v for level in (*_ERROR, *_WARN) for v in (level, level.lower(), level.capitalize())]


def _condition() -> Expr:
    values = _level_values()
    return or_(*(in_(name, values) for name in _LEVEL_FIELDS))


def _level(row: Mapping[str, Any]) -> str | None:
    for name in _LEVEL_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            upper = value.strip().upper()
            if upper in _ERROR:
                return "ERROR"
            if upper in _WARN:
                return "WARN"
            if upper not in ("NONE", "UNKNOWN"):
                return None
    return None


def _entity(row: Mapping[str, Any]) -> tuple[str, str | None]:
    """The entity a log line belongs to, in the same order of preference as the analysis."""
    for name in _ENTITY_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and value:
            labels = ("host.name",) if name == "dt.entity.host" else _SERVICE_LABELS
            label = next((row[f] for f in labels if isinstance(row.get(f), str) and row[f]), None)
            return value, label
    for name in _NAME_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and value:
            return value, value
    return "unknown", None


async def _counts(
    client: DynatraceClient, queries: list[str], window: Window
) -> dict[str, list[dict[str, Any]]]:
    """Error/warning counts per entity and level for both windows, in one query."""
    result = await grail_query(
        client,
        CAPABILITY,
        Query.fetch("logs", timeframe(window.baseline_start, window.incident_end))
        .filter(_condition())
        .fields_add(incident=incident_flag(window))
        .summarize(
            [("count", func("count")), ("first", func("min", field_ref("timestamp")))],
            by=[*_ENTITY_FIELDS, *_NAME_FIELDS, *_LEVEL_FIELDS, "incident"],
        )
        .limit(5000),
        max_records=5000,
        queries=queries,
    )
    return split_rows(result.records)


async def _sample(client: DynatraceClient, queries: list[str], start: Any, end: Any) -> list[dict[str, Any]]:
    result = await grail_query(
        client,
        CAPABILITY,
        Query.fetch("logs", timeframe(start, end))
        .filter(_condition())
        .sort("timestamp", descending=True)
        .limit(SAMPLE_SIZE),
        max_records=SAMPLE_SIZE,
        queries=queries,
    )
    return result.records


def _merge(
    stats: list[LogStats],
    counts: dict[str, list[dict[str, Any]]],
    names: dict[str, str],
    source: str,
) -> list[LogStats]:
    by_entity = {s.entity: s for s in stats}
    exact: dict[str, dict[str, int]] = {}
    first_error: dict[str, datetime] = {}
    for phase, rows in counts.items():
        for row in rows:
            level = _level(row)
            if level is None:
                continue
            entity, label = _entity(row)
            stat = by_entity.setdefault(
                entity, LogStats(entity=entity, name=names.get(entity) or label, source=source)
            )
            stat.name = stat.name or names.get(entity) or label
            key = f"{phase}_{'errors' if level == 'ERROR' else 'warnings'}"
            exact.setdefault(entity, {})
            exact[entity][key] = exact[entity].get(key, 0) + (as_int(row.get("count")) or 0)
            first = parse_timestamp(row.get("first"))
            earlier = entity not in first_error or (first is not None and first < first_error[entity])
            if phase == "incident" and level == "ERROR" and first is not None and earlier:
                first_error[entity] = first
    for entity, stat in by_entity.items():
        stat.source = source
        figures = exact.get(entity)
        if figures is not None:
            stat.baseline_errors = figures.get("baseline_errors", 0)
            stat.incident_errors = figures.get("incident_errors", 0)
            stat.baseline_warnings = figures.get("baseline_warnings", 0)
            stat.incident_warnings = figures.get("incident_warnings", 0)
        if entity in first_error:
            stat.first_incident_error = first_error[entity]
    return sorted(by_entity.values(), key=lambda s: s.entity)


def _lines(stats: list[LogStats], window: Window) -> list[str]:
    scale = window.incident_minutes / window.baseline_minutes

    def jump(s: LogStats) -> float:
        return -(s.incident_errors - s.baseline_errors * scale)

    lines = []
    for i, s in enumerate(sorted(stats, key=jump), 1):
        text = (
            f"[L{i}] {s.name or s.entity} ({s.entity}): errors {s.baseline_errors} → {s.incident_errors}, "
            f"warnings {s.baseline_warnings} → {s.incident_warnings} "
            f"(baseline {window.baseline_minutes:.0f} min, "
            f"incident {window.incident_minutes:.0f} min)"
        )
        if s.new_patterns:
            p = s.new_patterns[0]
            text += f", new: “{p.example[:160] or p.pattern[:160]}” ×{p.incident_count}"
        elif s.top_patterns:
            p = s.top_patterns[0]
            text += f", top: “{p.example[:120] or p.pattern[:120]}” ×{p.incident_count}"
        lines.append(text)
    return lines


async def _gather(
    client: DynatraceClient, state: InvestigationState, ctx: InvestigationContext, out: Collector
) -> None:
    window = window_of(state)
    if window is None:
        out.gaps.append(no_window_gap(CAPABILITY))
        return
    queries: list[str] = []
    b, i = (window.baseline_start, window.baseline_end), (window.incident_start, window.incident_end)
    counts, sample_b, sample_i = await asyncio.gather(
        _counts(client, queries, window),
        _sample(client, queries, *b),
        _sample(client, queries, *i),
    )
    names = names_of(state)
    source = queries[0] if queries else "fetch logs"
    stats = log_stats([*sample_b, *sample_i], window, names=names, source=source)
    merged = _merge(stats, counts, names, source)
    out.cite_queries(CAPABILITY, queries)
    out.update["logs"] = [s.model_dump(mode="json") for s in merged]
    out.lines.extend(_lines(merged, window) or ["[L0] no error or warning logs in the window"])
    if not merged:
        out.gaps.append(
            Gap(
                capability=CAPABILITY,
                reason="no error or warning logs in the baseline or incident window (none ingested?)",
            )
        )


async def logs_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Error and warning logs by entity, baseline against incident, and new message patterns."""
    return await run_branch("logs", _gather, state, runtime)
