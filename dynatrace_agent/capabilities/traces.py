"""Spans from Grail: whole-window latency and failure figures, per-endpoint figures, failing traces.

Percentiles and failure counts come from one ``summarize``, and the per-endpoint table (spans,
failures, p50/p90/p99 per service and endpoint) from a second one over *every* span — cheap
in Grail, and exact where a sample of slow spans would miss the failing endpoint. "Where
failures originate" needs *whole* traces, so the spans of up to ``failing_traces`` failing
traces are fetched by trace id. Slow-trace examples (a sample of the slowest spans) are
fetched only when asked for (``slowest``, a ``min_duration_ms`` or a ``trace_id``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities.base import (
    CapabilityResult,
    Float,
    Record,
    Text,
    check_limit,
    grail_query,
    to_models,
)
from dynatrace_agent.capabilities.filters import LOOKS_LIKE_ID as _LOOKS_LIKE_ID
from dynatrace_agent.capabilities.filters import named_condition
from dynatrace_agent.capabilities.names import display_names
from dynatrace_agent.dql import (
    Expr,
    Query,
    eq,
    field_ref,
    func,
    gte,
    is_true,
    or_,
    timeframe,
    uid_eq,
    uid_in,
)
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.summarise.traces import summarise_traces
from dynatrace_agent.values import as_float, as_int

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "Span", "query_spans", "span_conditions"]

CAPABILITY = "traces"
_TRACE_ID = re.compile(r"[0-9A-Fa-f]{8,32}\Z")


class Span(Record):
    """One span."""

    trace_id: Text = Field(default=None, alias="trace.id")
    span_id: Text = Field(default=None, alias="span.id")
    parent_id: Text = Field(default=None, alias="span.parent_id")
    name: Text = Field(default=None, alias="span.name")
    service: Text = Field(default=None, alias="dt.entity.service")
    service_name: Text = Field(default=None, alias="dt.service.name")
    otel_service_name: Text = Field(default=None, alias="service.name")
    start_time: Text = None
    duration_ns: Float = Field(default=None, alias="duration")
    failed: bool | None = Field(default=None, alias="request.is_failed")


def service_condition(service: str) -> Expr:
    """Spans of one service: its id on ``dt.entity.service``, a name on ``dt.service.name``.

    ``dt.service.name`` is the Dynatrace service name every OneAgent span carries; the
    OpenTelemetry resource attribute ``service.name`` is often null there, so it is only a
    second chance for OpenTelemetry-ingested spans.
    """
    if _LOOKS_LIKE_ID.match(service.strip()):
        return named_condition(service, id_field="dt.entity.service", name_field="dt.service.name")
    return or_(eq("dt.service.name", service.strip()), eq("service.name", service.strip()))


def trace_id(value: str) -> str:
    """A trace id (hex, 8-32 characters; Grail compares it as a uid)."""
    text = value.strip() if isinstance(value, str) else ""
    if not _TRACE_ID.match(text):
        raise InvalidArgumentError(f"{value!r} is not a trace id; trace ids are 32 hex characters")
    return text.lower()


def span_conditions(
    *,
    service: str | None = None,
    endpoint: str | None = None,
    failed_only: bool = False,
    min_duration_ms: float | None = None,
    trace: str | None = None,
) -> list[Expr]:
    """Filter conditions for spans from checked arguments."""
    conditions: list[Expr] = []
    if service:
        conditions.append(service_condition(service))
    if endpoint:
        conditions.append(
            or_(eq("endpoint.name", endpoint), eq("span.name", endpoint), eq("http.route", endpoint))
        )
    if failed_only:
        conditions.append(is_true("request.is_failed"))
    if min_duration_ms is not None:
        if not 0 <= min_duration_ms <= 86_400_000:
            raise InvalidArgumentError("min_duration_ms must be between 0 and 86400000 (one day)")
        conditions.append(gte("duration", Expr(f"{int(min_duration_ms * 1000)}us")))
    if trace:
        conditions.append(uid_eq("trace.id", trace_id(trace)))
    return conditions


async def query_spans(
    client: DynatraceClient,
    *,
    service: str | None = None,
    endpoint: str | None = None,
    failed_only: bool = False,
    min_duration_ms: float | None = None,
    trace_id: str | None = None,
    timeframe_start: str | datetime = "now-1h",
    timeframe_end: str | datetime | None = None,
    sample_size: int = 500,
    failing_traces: int = 20,
    scan_limit_gb: float | None = None,
    slowest: bool = False,
    max_endpoints: int = 200,
    resolve_names: bool = False,
) -> CapabilityResult[Span]:
    """Spans matching the filters: whole-window and per-endpoint figures, failing traces for origins.

    ``slowest`` also samples the ``sample_size`` slowest spans for a slow-trace table (implied
    by ``min_duration_ms`` and ``trace_id``). ``resolve_names`` looks up service display names
    the spans do not carry (one Entities API request).
    """
    check_limit(sample_size, "sample_size", 10, 10_000)
    check_limit(failing_traces, "failing_traces", 0, 200)
    window = timeframe(timeframe_start, timeframe_end)
    conditions = span_conditions(
        service=service,
        endpoint=endpoint,
        failed_only=failed_only,
        min_duration_ms=min_duration_ms,
        trace=trace_id,
    )
    base = Query.fetch("spans", window, scan_limit_gb=scan_limit_gb).filter(*conditions)
    queries: list[str] = []
    duration = field_ref("duration")
    overall_q = base.summarize(
        [
            ("count", func("count")),
            ("failed", func("countIf", is_true("request.is_failed"))),
            ("p50", func("percentile", duration, 50)),
            ("p90", func("percentile", duration, 90)),
            ("p99", func("percentile", duration, 99)),
        ]
    )
    overall_result = await grail_query(client, CAPABILITY, overall_q, max_records=10, queries=queries)
    row = overall_result.records[0] if overall_result.records else {}
    overall: dict[str, float | int | None] = {
        "count": as_int(row.get("count")) or 0,
        "failed": as_int(row.get("failed")) or 0,
    }
    for key in ("p50", "p90", "p99"):
        value = as_float(row.get(key))
        overall[f"{key}_ms"] = None if value is None else value / 1e6
    endpoint_expr = Expr("coalesce(endpoint.name, span.name)")
    by_endpoint = await grail_query(
        client,
        CAPABILITY,
        base.fields_add(endpoint=endpoint_expr)
        .summarize(
            [
                ("spans", func("count")),
                ("failed", func("countIf", is_true("request.is_failed"))),
                ("p50", func("percentile", duration, 50)),
                ("p90", func("percentile", duration, 90)),
                ("p99", func("percentile", duration, 99)),
            ],
            by=["dt.entity.service", "endpoint"],
        )
        .sort("failed", descending=True)
        .limit(max_endpoints),
        max_records=max_endpoints,
        queries=queries,
    )
    endpoints = [
        {
            "service": r.get("dt.entity.service"),
            "endpoint": r.get("endpoint"),
            "spans": as_int(r.get("spans")) or 0,
            "failed": as_int(r.get("failed")) or 0,
            **{
                f"{k}_ms": (v / 1e6 if (v := as_float(r.get(k))) is not None else None)
                for k in ("p50", "p90", "p99")
            },
        }
        for r in by_endpoint.records
    ]
    show_slowest = slowest or min_duration_ms is not None or trace_id is not None
    slow = by_endpoint
    raw: list[dict[str, Any]] = []
    if show_slowest:
        slow = await grail_query(
            client,
            CAPABILITY,
            base.sort("duration", descending=True).limit(sample_size),
            max_records=sample_size,
            queries=queries,
        )
        raw = list(slow.records)
    if failing_traces and not trace_id:
        failing = await grail_query(
            client,
            CAPABILITY,
            base.filter(is_true("request.is_failed"))
            .summarize([("spans", func("count"))], by=["trace.id"])
            .sort("spans", descending=True)
            .limit(failing_traces),
            max_records=failing_traces,
            queries=queries,
        )
        ids = [str(r["trace.id"]) for r in failing.records if r.get("trace.id")]
        if ids:
            whole = await grail_query(
                client,
                CAPABILITY,
                Query.fetch("spans", window, scan_limit_gb=scan_limit_gb)
                .filter(uid_in("trace.id", ids))
                .limit(10_000),
                max_records=10_000,
                queries=queries,
            )
            seen = {(r.get("trace.id"), r.get("span.id")) for r in raw}
            raw.extend(r for r in whole.records if (r.get("trace.id"), r.get("span.id")) not in seen)
    total = int(overall["count"] or 0)
    names: dict[str, str] = {}
    if resolve_names:
        names = await display_names(client, [str(e["service"]) for e in endpoints if e["service"]])
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(Span, raw),
        raw=raw,
        query=queries[2] if show_slowest else queries[1],
        grail=slow,
        queries=queries,
        truncated=total > len(raw),
        limits={"sample_size": sample_size, "failing_traces": failing_traces, "max_endpoints": max_endpoints},
        total=total,
        aggregates={"overall": overall, "endpoints": endpoints},
        summariser=lambda budget: summarise_traces(
            raw,
            budget=budget,
            grail=slow,
            overall=overall,
            endpoints=endpoints,
            slowest=show_slowest,
            entity_names=names,
        ),
    )
