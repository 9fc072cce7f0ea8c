"""Traces branch: request figures from Grail aggregates, failure origins from whole traces.

Request counts, failures and latency percentiles per service come from one ``summarize``
per window, computed in Grail over every span. Where failures originate (the deepest
failing span, not the callers that relay it) and self/network time need whole traces, so
the spans of a bounded number of failing traces and of a small sample of ordinary traces
are fetched by trace id; origin counts are scaled up by the share of failing traces that
was sampled, so a long baseline and a short incident stay comparable.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Gap, TraceStats, Window
from dynatrace_agent.analysis.signals import trace_stats
from dynatrace_agent.capabilities.base import grail_query
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.dql import (
    Expr,
    Query,
    and_,
    duration,
    field_ref,
    func,
    in_,
    is_true,
    is_uid,
    or_,
    timeframe,
    uid_in,
)
from dynatrace_agent.errors import DynatraceAgentError
from dynatrace_agent.values import as_float, as_int
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

__all__ = ["FAILING_TRACES", "SAMPLE_TRACES", "traces_node"]

CAPABILITY = "traces"
FAILING_TRACES = 150
SAMPLE_TRACES = 60
_IDS_PER_QUERY = 200
#: A minute covers a window when it holds at least this share of the busiest minute's spans.
COVERED_SHARE = 0.1
_SERVER_KINDS = (
    "server",
    "consumer",
    "SERVER",
    "CONSUMER",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CONSUMER",
    "span_kind_server",
    "span_kind_consumer",
)


def _request_condition() -> Expr:
    """Spans that are requests a service served: server/consumer spans, or entry spans without a kind."""
    no_kind = func("isNull", field_ref("span.kind"))
    entry = or_(func("isNull", field_ref("request.is_root_span")), is_true("request.is_root_span"))
    return or_(in_("span.kind", _SERVER_KINDS), and_(no_kind, entry))


class _Runner:
    def __init__(self, client: DynatraceClient, out: Collector) -> None:
        self.client = client
        self.out = out
        self.queries: list[str] = []

    async def run(self, query: Query, max_records: int, capability: str = CAPABILITY) -> list[dict[str, Any]]:
        result = await grail_query(
            self.client, capability, query, max_records=max_records, queries=self.queries
        )
        return result.records


async def _aggregates(
    r: _Runner, window: Window
) -> tuple[dict[str, dict[str, dict[str, float | int | None]]], str]:
    """Request figures per service and window (one query), and the query text (the citation)."""
    duration = field_ref("duration")
    query = (
        Query.fetch("spans", timeframe(window.baseline_start, window.incident_end))
        .filter(_request_condition())
        .fields_add(incident=incident_flag(window, "start_time"))
        .summarize(
            [
                ("requests", func("count")),
                ("failures", func("countIf", is_true("request.is_failed"))),
                ("p50", func("percentile", duration, 50)),
                ("p90", func("percentile", duration, 90)),
            ],
            by=["dt.entity.service", "incident"],
        )
        .limit(2000)
    )
    rows = await r.run(query, 2000)
    out: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for phase, phase_rows in split_rows(rows).items():
        out[phase] = {
            s: f for row in phase_rows if (s := row.get("dt.entity.service")) and (f := _figures(row))
        }
    return out, query.render()


async def _coverage(r: _Runner, window: Window) -> dict[str, float]:
    """Minutes of each window that hold any spans at all (a partly covered window has fewer)."""
    query = (
        Query.fetch("spans", timeframe(window.baseline_start, window.incident_end))
        .fields_add(
            incident=incident_flag(window, "start_time"),
            minute=func("bin", field_ref("start_time"), Expr(duration("1m"))),
        )
        .summarize([("spans", func("count"))], by=["incident", "minute"])
        .limit(10_000)
    )
    out: dict[str, float] = {}
    try:
        found = await r.run(query, 10_000)
    except DynatraceAgentError:
        return out  # rates then use the nominal windows
    for phase, rows in split_rows(found).items():
        covered = covered_minutes([as_int(row.get("spans")) or 0 for row in rows])
        if covered is not None:
            out[phase] = covered
    return out


def covered_minutes(span_counts: list[int]) -> float | None:
    """Minutes with a real share of the traffic; stray spans at a window's edge don't count."""
    if not span_counts or max(span_counts) <= 0:
        return None
    busiest = max(span_counts)
    return float(sum(1 for n in span_counts if n >= COVERED_SHARE * busiest))


def _figures(row: dict[str, Any]) -> dict[str, float | int | None]:
    p50, p90 = as_float(row.get("p50")), as_float(row.get("p90"))
    return {
        "requests": as_int(row.get("requests")) or 0,
        "failures": as_int(row.get("failures")) or 0,
        "p50_ms": None if p50 is None else p50 / 1e6,
        "p90_ms": None if p90 is None else p90 / 1e6,
    }


async def _failing(r: _Runner, start: Any, end: Any) -> tuple[list[str], int]:
    """Trace ids with failed spans (most failing spans first) and how many failing traces there are."""
    base = Query.fetch("spans", timeframe(start, end)).filter(is_true("request.is_failed"))
    rows = await r.run(
        base.summarize([("spans", func("count"))], by=["trace.id"])
        .sort("spans", descending=True)
        .limit(FAILING_TRACES),
        FAILING_TRACES,
    )
    ids = [str(row["trace.id"]) for row in rows if row.get("trace.id")]
    total = len(ids)
    if len(ids) >= FAILING_TRACES:
        count = await r.run(base.summarize([("traces", func("countDistinct", field_ref("trace.id")))]), 1)
        total = max(total, as_int(count[0].get("traces")) or 0) if count else total
    return ids, total


#: Error levels whose log lines mark the span they name as failed.
_ERROR_LEVELS = ("ERROR", "error", "Error", "FATAL", "fatal", "SEVERE", "CRITICAL")


async def _error_log_spans(r: _Runner, start: Any, end: Any) -> tuple[list[str], set[str]]:
    """Traces and spans that error log lines name (``trace_id``/``span_id``), most errors first.

    Many tracers never set a failure flag on spans (no HTTP status on internal calls, exceptions
    caught and logged). The error line's trace context still says where the failure happened,
    so those spans count as failed: the failure-origin rule then finds the deepest one.
    """
    base = Query.fetch("logs", timeframe(start, end)).filter(
        and_(
            or_(in_("loglevel", _ERROR_LEVELS), in_("status", _ERROR_LEVELS)),
            func("isNotNull", field_ref("trace_id")),
        )
    )
    rows = await r.run(
        base.summarize([("lines", func("count"))], by=["trace_id", "span_id"])
        .sort("lines", descending=True)
        .limit(FAILING_TRACES * 4),
        FAILING_TRACES * 4,
        "logs",
    )
    traces: list[str] = []
    span_ids: set[str] = set()
    for row in rows:
        trace_id, span_id = row.get("trace_id"), row.get("span_id")
        if isinstance(trace_id, str) and trace_id and trace_id not in traces and len(traces) < FAILING_TRACES:
            traces.append(trace_id)
        if isinstance(span_id, str) and span_id:
            span_ids.add(span_id)
    return traces, span_ids


def mark_logged_failures(spans: list[dict[str, Any]], span_ids: set[str]) -> list[dict[str, Any]]:
    """Spans an error log line names become failed, unless the span says otherwise itself."""
    if not span_ids:
        return spans
    out = []
    for span in spans:
        sid = span.get("span.id")
        if isinstance(sid, str) and sid in span_ids and span.get("request.is_failed") is None:
            span = {**span, "request.is_failed": True, "failure.source": "error log"}
        out.append(span)
    return out


async def _sample(r: _Runner, start: Any, end: Any) -> list[str]:
    rows = await r.run(
        Query.fetch("spans", timeframe(start, end))
        .filter(func("isNull", field_ref("span.parent_id")))
        .fields("trace.id")
        .limit(SAMPLE_TRACES),
        SAMPLE_TRACES,
    )
    return [str(row["trace.id"]) for row in rows if row.get("trace.id")]


async def _whole_traces(r: _Runner, ids: list[str], window: Window) -> list[dict[str, Any]]:
    # trace.id is a uid: only hex ids can be asked for (a log's trace_id may be anything)
    ids = [i for i in ids if is_uid(i)]
    chunks = [ids[i : i + _IDS_PER_QUERY] for i in range(0, len(ids), _IDS_PER_QUERY)]
    span_window = timeframe(window.baseline_start, window.incident_end)
    results = await asyncio.gather(
        *(
            r.run(Query.fetch("spans", span_window).filter(uid_in("trace.id", chunk)).limit(10_000), 10_000)
            for chunk in chunks
        )
    )
    return [span for rows in results for span in rows]


async def _quiet(call: Any) -> tuple[list[str], set[str]]:
    """Log correlation is a bonus: without the logs scope or logs the traces still stand."""
    try:
        result: tuple[list[str], set[str]] = await call
    except DynatraceAgentError:
        return [], set()
    return result


def _merge(
    stats: list[TraceStats],
    aggregates: dict[str, dict[str, dict[str, float | int | None]]],
    scale: dict[str, float],
    names: dict[str, str],
    source: str,
) -> list[TraceStats]:
    """Exact request figures from Grail over the sampled-trace structure figures, origins scaled."""
    by_service = {t.service: t for t in stats}
    for phase in ("baseline", "incident"):
        for service in aggregates[phase]:
            by_service.setdefault(
                service, TraceStats(service=service, name=names.get(service), source=source)
            )
    for service, t in by_service.items():
        t.source = source
        t.name = t.name or names.get(service)
        for phase in ("baseline", "incident"):
            w = getattr(t, phase)
            agg = aggregates[phase].get(service)
            if agg is not None:
                w.requests = int(agg["requests"] or 0)
                w.failures = int(agg["failures"] or 0)
                w.failure_rate = w.failures / w.requests if w.requests else 0.0
                w.p50_ms = agg["p50_ms"]
                w.p90_ms = agg["p90_ms"]
            factor = scale[phase]
            if factor > 1.0:
                w.failure_origins = round(w.failure_origins * factor)
                w.client_origin_failures = round(w.client_origin_failures * factor)
    return sorted(by_service.values(), key=lambda t: t.service)


def _lines(stats: list[TraceStats], names: dict[str, str]) -> list[str]:
    def weight(t: TraceStats) -> float:
        rate = t.incident.failure_rate - t.baseline.failure_rate
        return -(t.incident.failure_origins - t.baseline.failure_origins + 100 * rate)

    lines = []
    for i, t in enumerate(sorted(stats, key=weight), 1):
        b, n = t.baseline, t.incident
        label = t.name or names.get(t.service) or t.service
        text = (
            f"[T{i}] {label} ({t.service}): failure rate {b.failure_rate:.1%} → {n.failure_rate:.1%} "
            f"({n.failures}/{n.requests}), p90 {_ms(b.p90_ms)} → {_ms(n.p90_ms)} ms, "
            f"self p90 {_ms(b.self_p90_ms)} → {_ms(n.self_p90_ms)} ms, "
            f"failure origins {b.failure_origins} → {n.failure_origins}"
        )
        if t.failing_dependencies:
            text += ", failing calls to " + ", ".join(f"{k} ×{v}" for k, v in t.failing_dependencies.items())
        if t.example_trace_ids:
            text += f", e.g. trace {t.example_trace_ids[0]}"
        lines.append(text)
    return lines


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


async def _gather(
    client: DynatraceClient, state: InvestigationState, ctx: InvestigationContext, out: Collector
) -> None:
    window = window_of(state)
    if window is None:
        out.gaps.append(no_window_gap(CAPABILITY))
        return
    r = _Runner(client, out)
    phases = {
        "baseline": (window.baseline_start, window.baseline_end),
        "incident": (window.incident_start, window.incident_end),
    }
    # Coverage and log correlation run beside the main queries; they are extras, so their own
    # failures are absorbed, and they are cancelled (never left dangling) when the main ones fail.
    coverage_task = asyncio.ensure_future(_coverage(r, window))
    logged_tasks = [asyncio.ensure_future(_quiet(_error_log_spans(r, *phases[p]))) for p in phases]
    extras: list[asyncio.Future[Any]] = [coverage_task, *logged_tasks]
    try:
        (aggregates, source), fail_b, fail_i, sample_b, sample_i = await asyncio.gather(
            _aggregates(r, window),
            _failing(r, *phases["baseline"]),
            _failing(r, *phases["incident"]),
            _sample(r, *phases["baseline"]),
            _sample(r, *phases["incident"]),
        )
    except BaseException:
        for task in extras:
            task.cancel()
        await asyncio.gather(*extras, return_exceptions=True)
        raise
    coverage = await coverage_task
    logged_b, logged_i = [await task for task in logged_tasks]
    ids = list(dict.fromkeys([*fail_i[0], *fail_b[0], *logged_i[0], *logged_b[0], *sample_i, *sample_b]))
    spans = await _whole_traces(r, ids, window) if ids else []
    spans = mark_logged_failures(spans, logged_b[1] | logged_i[1])
    names = names_of(state)
    stats = trace_stats(spans, window, names=names, source=source)
    scale = {
        "baseline": fail_b[1] / len(fail_b[0]) if fail_b[0] else 1.0,
        "incident": fail_i[1] / len(fail_i[0]) if fail_i[0] else 1.0,
    }
    merged = _merge(stats, aggregates, scale, names, source)
    for t in merged:
        t.baseline.covered_minutes = coverage.get("baseline")
        t.incident.covered_minutes = coverage.get("incident")
    out.cite_queries(CAPABILITY, r.queries)
    out.update["traces"] = [t.model_dump(mode="json") for t in merged]
    out.lines.extend(_lines(merged, names) or ["[T0] no spans in the window"])
    if not merged:
        # Say it: a verdict without spans rests on metrics and logs alone.
        out.gaps.append(
            Gap(capability=CAPABILITY, reason="no spans in the baseline or incident window (none ingested?)")
        )


async def traces_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Failure rate, latency and failure origins by service, baseline against incident."""
    return await run_branch("traces", _gather, state, runtime)
