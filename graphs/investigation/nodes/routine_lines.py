"""Routine-lines branch: log lines of the candidates that stopped near the problem's start.

Runs once the candidates are known (inside the topology-and-metrics node). One query reads
the candidates' recent log lines (every level; errors are set aside in the analysis); when a
line stopped, two small span queries say which endpoint wrote it and whether that endpoint
was still called, so a path cut inside a service is told from a caller that stopped calling.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import LineShift
from dynatrace_agent.analysis.signals.routine_lines import judge_shifts, line_shifts
from dynatrace_agent.capabilities.base import grail_query
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.dql import (
    Expr,
    Query,
    duration,
    field_ref,
    func,
    in_,
    is_uid,
    or_,
    timeframe,
    uid_in,
)
from dynatrace_agent.errors import DynatraceAgentError
from dynatrace_agent.values import as_int, parse_timestamp
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import Collector, names_of, no_window_gap, run_branch, window_of
from graphs.investigation.state import InvestigationState

__all__ = ["LINES_LIMIT", "routine_lines_node"]

CAPABILITY = "logs"
#: Newest lines read; enough for minutes of a few dozen services' routine logging.
LINES_LIMIT = 20_000
_LINE_FIELDS = (
    "timestamp",
    "content",
    "loglevel",
    "status",
    "span_id",
    "dt.entity.process_group",
    "dt.entity.service",
    "k8s.workload.name",
    "dt.process.name",
    "service.name",
)
_MAX_SHIFTS = 8


def _condition(candidates: list[dict[str, Any]]) -> Expr | None:
    services = [c["entity_id"] for c in candidates if str(c.get("entity_id", "")).startswith("SERVICE-")]
    groups = sorted({g for c in candidates for g in c.get("process_groups") or [] if isinstance(g, str)})
    names = sorted(
        {c["name"] for c in candidates if c.get("name") and (c.get("type") or "").upper() == "SERVICE"}
    )
    parts = []
    if groups:
        parts.append(in_("dt.entity.process_group", groups))
    if services:
        parts.append(in_("dt.entity.service", services))
    if names:
        parts.append(in_("k8s.workload.name", names))
    return or_(*parts) if parts else None


def _services_of(shift: LineShift, candidates: list[dict[str, Any]]) -> list[str]:
    """The services of the process (group or workload) that wrote a line."""
    key = shift.entity.lower()
    out = []
    for c in candidates:
        ident = str(c.get("entity_id", ""))
        if not ident.startswith("SERVICE-"):
            continue
        groups = {g.lower() for g in c.get("process_groups") or [] if isinstance(g, str)}
        if key in groups or ident.lower() == key or (shift.name and c.get("name") == shift.name):
            out.append(ident)
    return out


async def _endpoints(
    client: DynatraceClient,
    queries: list[str],
    shifts: list[LineShift],
    candidates: list[dict[str, Any]],
    start: Any,
    end: Any,
) -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], dict[datetime, int]]]:
    """Which endpoint wrote each stopped line, and those endpoints' calls per minute: one query.

    Every endpoint of the writing services is counted per minute, with how many of its spans
    are among those the line named (one count per shift), so the endpoint is found and its
    calls are counted in the same pass.
    """
    asked = [(i, shift) for i, shift in enumerate(shifts) if [s for s in shift.span_ids if is_uid(s)]]
    services = sorted({svc for _, shift in asked for svc in _services_of(shift, candidates)})
    if not asked or not services:
        return {}, {}
    wrote = [
        (f"wrote_{i}", func("countIf", uid_in("span.id", [s for s in shift.span_ids if is_uid(s)])))
        for i, shift in asked
    ]
    counted = await grail_query(
        client,
        "traces",
        Query.fetch("spans", timeframe(start, end))
        .filter(in_("dt.entity.service", services))
        .fields_add(minute=func("bin", field_ref("start_time"), Expr(duration("1m"))))
        .summarize([("calls", func("count")), *wrote], by=["dt.entity.service", "span.name", "minute"])
        .limit(10_000),
        max_records=10_000,
        queries=queries,
    )
    calls: dict[tuple[str, str], dict[datetime, int]] = defaultdict(dict)
    written: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for row in counted.records:
        minute = parse_timestamp(row.get("minute"))
        service, name = row.get("dt.entity.service"), row.get("span.name")
        if minute is None or not isinstance(service, str) or not isinstance(name, str):
            continue
        calls[(service, name)][minute] = as_int(row.get("calls")) or 0
        for i, _ in asked:
            written[i][(service, name)] += as_int(row.get(f"wrote_{i}")) or 0
    endpoints: dict[str, tuple[str, str]] = {}
    for i, shift in asked:
        best = max(written[i].items(), key=lambda kv: kv[1], default=None)
        if best is not None and best[1] > 0:
            endpoints.update({sid: best[0] for sid in shift.span_ids})
    return endpoints, calls


def _lines(shifts: list[LineShift]) -> list[str]:
    out = []
    for i, s in enumerate(shifts, 1):
        calls = f"({s.endpoint_before} → {s.endpoint_after})"
        why = {
            "cut": f"its endpoint {s.endpoint} was still called {calls}",
            "called_less": f"its endpoint {s.endpoint} was called less {calls}",
            "unknown": "no span tells which endpoint wrote it",
        }[s.verdict]
        out.append(
            f"[R{i}] {s.name or s.entity}: routine line “{s.example[:140] or s.template}” stopped from "
            f"{s.since:%H:%M} UTC ({s.before} before, {s.after} after, {s.expected:g} expected); {why}"
        )
    return out


async def _gather(
    client: DynatraceClient, state: InvestigationState, ctx: InvestigationContext, out: Collector
) -> None:
    window = window_of(state)
    onset = parse_timestamp((state.get("problem_info") or {}).get("start"))
    if window is None or onset is None:
        out.gaps.append(no_window_gap(CAPABILITY))
        return
    condition = _condition(list(state.get("candidates") or []))
    if condition is None:
        return
    queries: list[str] = []
    result = await grail_query(
        client,
        CAPABILITY,
        Query.fetch("logs", timeframe(window.baseline_start, window.incident_end))
        .filter(condition)
        .fields(*_LINE_FIELDS)
        .sort("timestamp", descending=True)
        .limit(LINES_LIMIT),
        max_records=LINES_LIMIT,
        queries=queries,
    )
    source = queries[0] if queries else "fetch logs"
    shifts = line_shifts(result.records, onset=onset, names=names_of(state), source=source)[:_MAX_SHIFTS]
    if shifts:
        try:
            candidates = list(state.get("candidates") or [])
            endpoints, calls = await _endpoints(
                client, queries, shifts, candidates, window.baseline_start, window.incident_end
            )
        except DynatraceAgentError:
            endpoints, calls = {}, {}  # without spans the shifts stand, unjudged
        shifts = judge_shifts(shifts, endpoints, calls)
    out.cite_queries(CAPABILITY, queries)
    out.update["line_shifts"] = [s.model_dump(mode="json") for s in shifts]
    out.lines.extend(_lines(shifts) or ["[R0] no routine log line stopped near the start"])


async def routine_lines_node(
    state: InvestigationState, runtime: Runtime[InvestigationContext]
) -> dict[str, Any]:
    """Routine log lines of the candidates that stopped near the start, judged against their endpoints."""
    return await run_branch("routine_lines", _gather, state, runtime)
