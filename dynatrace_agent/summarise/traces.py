"""Spans → latency percentiles, failure rate, slowest traces, failing endpoints, failure origins.

A slow or failing request crosses several services; the caller sees the failure, the callee
caused it. So besides the usual percentiles this summary names where failures *originate*
(the deepest failing span of each failing trace) and which endpoints fail most. Per-endpoint
figures come from a server-side ``summarize`` over every span when the caller has one
(``endpoints``), else from the sample; slow-trace examples are shown only when asked for
(``slowest``), since a per-endpoint question does not need them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from dynatrace_agent.analysis.stats import (
    failure_origins,
    percentile,
    span_duration_ms,
    span_failed,
    span_service,
)
from dynatrace_agent.summarise._common import Record, fmt_ms, fmt_pct, label, text_of
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    table_section,
    top_n,
)
from dynatrace_agent.values import as_float, as_int

__all__ = ["span_endpoint", "summarise_traces"]


def span_endpoint(span: Record) -> str:
    """The endpoint a span served: ``endpoint.name``, the HTTP route, or the span name."""
    return text_of(span, "endpoint.name", "http.route", "span.name") or "?"


def _service_label(span: Record, names: dict[str, str]) -> str:
    service = span_service(span) or "?"
    return label(service, names.get(service))


def _quantiles(row: Mapping[str, object] | None, durations: Sequence[float]) -> list[str]:
    """p50/p90/p99 from a server-side row when there is one, else from the sampled durations."""
    if row is not None:
        return [fmt_ms(as_float(row.get(f"p{q}_ms"))) for q in (50, 90, 99)]
    return [fmt_ms(percentile(durations, q)) for q in (50, 90, 99)]


def summarise_traces(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    overall: Mapping[str, float | int | None] | None = None,
    endpoints: Sequence[Mapping[str, object]] | None = None,
    slowest: bool = True,
    entity_names: Mapping[str, str] | None = None,
    narrow: str | None = "service, endpoint, failed_only, min_duration_ms or a shorter timeframe",
) -> str:
    """A budgeted summary of spans.

    ``overall`` may carry whole-window figures from a Grail ``summarize`` (``count``,
    ``failed``, ``p50_ms``, ``p90_ms``, ``p99_ms``); the sample fills in what is missing.
    ``endpoints`` are per-endpoint rows over every span (``service``, ``endpoint``, ``spans``,
    ``failed``, ``p50_ms``, ``p90_ms``, ``p99_ms``); they replace the sample's endpoint tables.
    """
    if not records and not (overall and overall.get("count")):
        return fit_sections(
            "No spans matched. Widen the timeframe, drop failed_only/min_duration, or check the service id.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    names: dict[str, str] = dict(entity_names or {})
    durations: list[float] = []
    failed = 0
    traces: dict[str, list[Record]] = defaultdict(list)
    endpoint_total: Counter[str] = Counter()
    endpoint_failed: Counter[str] = Counter()
    endpoint_durations: dict[str, list[float]] = defaultdict(list)
    for span in records:
        entity = text_of(span, "dt.entity.service")
        name = text_of(span, "dt.service.name", "service.name")
        if entity and name:
            names.setdefault(entity, name)
        ms = span_duration_ms(span)
        if ms is not None:
            durations.append(ms)
        is_failed = span_failed(span)
        failed += is_failed
        trace_id = text_of(span, "trace.id")
        if trace_id:
            traces[trace_id].append(span)
        key = f"{_service_label(span, names)} {span_endpoint(span)}"
        endpoint_total[key] += 1
        endpoint_failed[key] += is_failed
        if ms is not None:
            endpoint_durations[key].append(ms)

    figures = dict(overall or {})
    count = as_int(figures.get("count")) or len(records)
    failed_given = as_int(figures.get("failed"))
    failed_total = failed if failed_given is None else failed_given
    p50 = figures.get("p50_ms") or percentile(durations, 50)
    p90 = figures.get("p90_ms") or percentile(durations, 90)
    p99 = figures.get("p99_ms") or percentile(durations, 99)
    headline = (
        f"{count:,} spans in {len(traces):,}{'+' if count > len(records) else ''} traces; "
        f"failed {failed_total:,} ({fmt_pct(failed_total, count)}); "
        f"latency p50 {fmt_ms(p50)}, p90 {fmt_ms(p90)}, p99 {fmt_ms(p99)}"
    )
    if endpoints:
        headline += "; endpoints over all spans" + (
            f", traces and origins from {len(records):,} spans" if records else ""
        )
    elif count > len(records):
        headline += f"; details below from a sample of {len(records):,} spans"
    quantiles: dict[str, Mapping[str, object]] = {}
    if endpoints:  # every span, counted by Grail: replaces the sample's endpoint figures
        endpoint_total.clear()
        endpoint_failed.clear()
        for row in endpoints:
            service = str(row.get("service") or "?")
            key = f"{label(service, names.get(service))} {row.get('endpoint') or '?'}"
            endpoint_total[key] = as_int(row.get("spans")) or 0
            endpoint_failed[key] = as_int(row.get("failed")) or 0
            quantiles[key] = row

    n = top_n(budget)
    sections: list[Section] = []
    origins = failure_origins(records)
    if origins:
        failing_traces = sum(1 for spans in traces.values() if any(span_failed(s) for s in spans))
        sections.append(
            Section(
                f"Where failures originate (deepest failing span, {failing_traces:,} failing traces):",
                [
                    f"- {label(svc, names.get(svc))}: {n:,} traces"
                    for svc, n in sorted(origins.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
                ],
                noun="origin services",
                total=len(origins),
            )
        )
    failing = sorted(
        (k for k in endpoint_failed if endpoint_failed[k]), key=lambda k: (-endpoint_failed[k], k)
    )
    if failing:
        sections.append(
            table_section(
                "Top failing endpoints:",
                ["service endpoint", "failed", "of", "rate"],
                [
                    [k, endpoint_failed[k], endpoint_total[k], fmt_pct(endpoint_failed[k], endpoint_total[k])]
                    for k in failing[:n]
                ],
                noun="failing endpoints",
                total=len(failing),
                max_cell_chars=90,
            )
        )

    slow_rows: list[list[object]] = []
    trace_rows = []
    for trace_id, spans in traces.items():
        root = next((s for s in spans if not text_of(s, "span.parent_id")), None) or max(
            spans, key=lambda s: span_duration_ms(s) or 0.0
        )
        trace_rows.append((span_duration_ms(root) or 0.0, trace_id, root, any(span_failed(s) for s in spans)))
    trace_rows.sort(key=lambda row: (-row[0], row[1]))
    for ms, trace_id, root, has_failure in trace_rows[:n] if slowest else []:
        slow_rows.append(
            [
                trace_id,
                _service_label(root, names),
                span_endpoint(root),
                fmt_ms(ms),
                "yes" if has_failure else "",
            ]
        )
    if slow_rows:
        sections.append(
            table_section(
                "Slowest traces:",
                ["trace.id", "service", "root endpoint", "duration", "failed"],
                slow_rows,
                noun="traces",
                total=len(trace_rows),
            )
        )
    busiest = sorted(endpoint_total, key=lambda k: (-endpoint_total[k], k))
    sections.append(
        table_section(
            "Latency by endpoint:",
            ["service endpoint", "spans", "p50", "p90", "p99"],
            [
                [
                    k,
                    endpoint_total[k],
                    *_quantiles(quantiles.get(k), endpoint_durations[k]),
                ]
                for k in busiest[: max(3, n // 2)]
            ],
            noun="endpoints",
            total=len(busiest),
            max_cell_chars=90,
        )
    )
    return fit_sections(
        headline, sections, budget=budget, facts=grail_facts_line(grail, returned=len(records)), narrow=narrow
    )
