"""Spans → per-service ``TraceStats``, baseline against incident.

Failures are attributed to the deepest failing span of each trace and latency to a span's
self time, so the ranking can tell where trouble starts from where it is only relayed."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from dynatrace_agent.analysis.evidence import (
    CallGap,
    LastCallOutcome,
    TraceStats,
    TraceWindowStats,
    Window,
)
from dynatrace_agent.analysis.signals.records import Record, clean_text, first_time
from dynatrace_agent.analysis.stats import (
    percentile,
    span_duration_ms,
    span_failed,
    span_service,
)

_SERVER_KINDS = {"server", "consumer", "span_kind_server", "span_kind_consumer"}


_CLIENT_KINDS = {"client", "producer", "span_kind_client", "span_kind_producer"}


_DEPENDENCY_FIELDS = (
    "db.name",
    "db.namespace",
    "db.system",
    "peer.service",
    "server.address",
    "net.peer.name",
    "http.host",
)


def _span_kind(span: Record) -> str:
    return (clean_text(span.get("span.kind")) or "").lower()


def _is_request(span: Record) -> bool:
    """Whether a span is a request the service served (entry, server or consumer span)."""
    kind = _span_kind(span)
    if kind in _SERVER_KINDS:
        return True
    if kind:
        return False
    root = span.get("request.is_root_span")
    return root is None or root is True or str(root).lower() == "true"


def _dependency_target(span: Record) -> str:
    for key in _DEPENDENCY_FIELDS:
        value = clean_text(span.get(key))
        if value:
            return value
    url = clean_text(span.get("http.url")) or clean_text(span.get("url.full"))
    if url:
        match = re.match(r"^[a-z]+://([^/:?#]+)", url)
        if match:
            return match.group(1)
    return clean_text(span.get("span.name")) or "unknown"


def _last_callee_span(
    span: Record, service: str, by_id: Mapping[str, Record], children: Mapping[str, list[Record]]
) -> Record | None:
    """The latest-starting span of another service that ``span`` called before it ended.

    Calls are followed through the caller's own internal and client spans, so an intermediate
    client span does not hide the callee's server span."""
    end = first_time(span, "end_time")
    best: Record | None = None
    best_start: datetime | None = None
    stack = [span]
    seen: set[str] = set()
    while stack:
        current = stack.pop()
        sid = clean_text(current.get("span.id"))
        if sid is None or sid in seen:
            continue
        seen.add(sid)
        for kid in children.get(sid, []):
            kid_service = span_service(kid)
            if kid_service is None or kid_service == service:
                stack.append(kid)
                continue
            start = first_time(kid, "start_time", "timestamp")
            if start is None or (end is not None and start > end):
                continue
            if best_start is None or start > best_start:
                best, best_start = kid, start
    return best


class _WindowAcc:
    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0
        self.durations: list[float] = []
        self.self_times: list[float] = []
        self.network: list[float] = []
        self.origins = 0
        self.client_origins = 0

    def result(self) -> TraceWindowStats:
        return TraceWindowStats(
            requests=self.requests,
            failures=self.failures,
            failure_rate=self.failures / self.requests if self.requests else 0.0,
            p50_ms=percentile(self.durations, 50),
            p90_ms=percentile(self.durations, 90),
            self_p90_ms=percentile(self.self_times, 90),
            network_p90_ms=percentile(self.network, 90),
            failure_origins=self.origins,
            client_origin_failures=self.client_origins,
        )


def _failed_below(by_id: Mapping[str, Record], children: Mapping[str, list[Record]]) -> dict[str, bool]:
    """span id -> whether any span beneath it (not only a direct child) failed.

    Failures marked from error logs sit on whichever span logged them, often with healthy
    client/server spans in between; the deepest failing span is the origin all the same.
    """
    memo: dict[str, bool] = {}

    def below(sid: str) -> bool:
        if sid in memo:
            return memo[sid]
        memo[sid] = False  # cycles in broken data end here
        result = False
        for kid in children.get(sid, []):
            kid_id = clean_text(kid.get("span.id"))
            if span_failed(kid) or (kid_id is not None and below(kid_id)):
                result = True
                break
        memo[sid] = result
        return result

    return {sid: below(sid) for sid in by_id}


def trace_stats(
    spans: Iterable[Record],
    window: Window,
    *,
    names: Mapping[str, str] | None = None,
    source: str | None = None,
) -> list[TraceStats]:
    """Per-service request count, failure rate, latency and failure origins, baseline vs incident.

    Latency is measured on requests (server/entry spans); *self* time subtracts the time spent
    in child spans so a caller waiting on a slow callee does not look slow itself; *network*
    time is the part of an outgoing call not spent in the callee's own span. Failure origins
    are the deepest failing spans of each trace (see ``stats.failure_origins``).
    """
    traces: dict[str, list[Record]] = defaultdict(list)
    loose: list[Record] = []
    for span in spans:
        if not isinstance(span, Mapping):
            continue
        trace_id = clean_text(span.get("trace.id"))
        if trace_id is None:
            loose.append(span)
        else:
            traces[trace_id].append(span)

    acc: dict[tuple[str, str], _WindowAcc] = defaultdict(_WindowAcc)
    callees: dict[str, set[str]] = defaultdict(set)
    deps: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    first_failure: dict[str, datetime] = {}
    services: set[str] = set()
    edge_gaps: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    last_calls: dict[str, dict[str, LastCallOutcome]] = defaultdict(dict)
    failing_origin_traces: Counter[str] = Counter()

    def last_call_outcome(caller: str, callee: str) -> LastCallOutcome:
        return last_calls[caller].setdefault(callee, LastCallOutcome())

    def phase_of(span: Record) -> str | None:
        ts = first_time(span, "start_time", "timestamp", "end_time")
        if window.in_incident(ts):
            return "incident"
        if window.in_baseline(ts):
            return "baseline"
        return None

    def account_request(span: Record, service: str, phase: str) -> None:
        a = acc[(service, phase)]
        if _is_request(span):
            a.requests += 1
            if span_failed(span):
                a.failures += 1
            duration = span_duration_ms(span)
            if duration is not None:
                a.durations.append(duration)

    for span in loose:
        service = span_service(span)
        phase = phase_of(span)
        if service is not None and phase is not None:
            services.add(service)
            account_request(span, service, phase)

    for trace_id, members in traces.items():
        by_id = {sid: s for s in members if (sid := clean_text(s.get("span.id"))) is not None}
        children: dict[str, list[Record]] = defaultdict(list)
        for span in members:
            parent = clean_text(span.get("span.parent_id"))
            if parent is not None and parent in by_id:
                children[parent].append(span)
        origin_seen: set[tuple[str, str]] = set()
        failed_below = _failed_below(by_id, children)
        for span in members:
            service = span_service(span)
            phase = phase_of(span)
            if service is None or phase is None:
                continue
            services.add(service)
            account_request(span, service, phase)
            a = acc[(service, phase)]
            sid = clean_text(span.get("span.id"))
            kids = children.get(sid, []) if sid is not None else []
            duration = span_duration_ms(span)
            kid_durations = [d for k in kids if (d := span_duration_ms(k)) is not None]
            kind = _span_kind(span)
            if duration is not None:
                if kind in _CLIENT_KINDS and kid_durations:
                    gap = max(0.0, duration - max(kid_durations))
                    a.network.append(gap)
                    callee = next(
                        (
                            cs
                            for k in kids
                            if span_duration_ms(k) == max(kid_durations) and (cs := span_service(k))
                        ),
                        None,
                    )
                    if callee is not None and callee != service:
                        edge_gaps[(service, callee, phase)].append(gap)
                elif kind not in _CLIENT_KINDS:
                    a.self_times.append(max(0.0, duration - sum(kid_durations)))
            for kid in kids:
                kid_service = span_service(kid)
                if kid_service is not None and kid_service != service:
                    callees[service].add(kid_service)
            parent_id = clean_text(span.get("span.parent_id"))
            parent_span = by_id.get(parent_id) if parent_id is not None else None
            entry = parent_span is None or span_service(parent_span) != service
            if phase == "baseline" and entry and kind not in _CLIENT_KINDS:
                last = _last_callee_span(span, service, by_id, children)
                last_service = span_service(last) if last is not None else None
                if last is not None and last_service is not None and not span_failed(last):
                    outcome = last_call_outcome(service, last_service)
                    outcome.baseline_calls += 1
                    if not span_failed(span):
                        outcome.baseline_ok += 1
            if not span_failed(span):
                continue
            ts = first_time(span, "start_time", "timestamp")
            if (
                phase == "incident"
                and ts is not None
                and (service not in first_failure or ts < first_failure[service])
            ):
                first_failure[service] = ts
            if sid is not None and failed_below.get(sid, False):
                continue  # a relayed failure: something it waited on failed first
            key = (service, phase)
            if key not in origin_seen:
                origin_seen.add(key)
                a.origins += 1
                if phase == "incident" and kind not in _CLIENT_KINDS:
                    failing_origin_traces[service] += 1
                    last = _last_callee_span(span, service, by_id, children)
                    last_service = span_service(last) if last is not None else None
                    if last is not None and last_service is not None and not span_failed(last):
                        last_call_outcome(service, last_service).after_success += 1
                if kind in _CLIENT_KINDS:
                    a.client_origins += 1
                if phase == "incident" and len(examples[service]) < 3:
                    examples[service].append(trace_id)
            if kind in _CLIENT_KINDS and phase == "incident":
                deps[service][_dependency_target(span)] += 1

    names = names or {}
    gaps_by_caller: dict[str, dict[str, CallGap]] = defaultdict(dict)
    for caller, callee in sorted({(c, d) for c, d, _ in edge_gaps}):
        incident = edge_gaps.get((caller, callee, "incident"), [])
        gaps_by_caller[caller][callee] = CallGap(
            baseline_p90_ms=percentile(edge_gaps.get((caller, callee, "baseline"), []), 90),
            incident_p90_ms=percentile(incident, 90),
            incident_calls=len(incident),
        )
    result: list[TraceStats] = []
    for service in sorted(services):
        name = names.get(service)
        if name is None:
            name = next(
                (
                    n
                    for s in traces.values()
                    for sp in s
                    if span_service(sp) == service and (n := clean_text(sp.get("service.name")))
                ),
                None,
            )
        result.append(
            TraceStats(
                service=service,
                name=name,
                baseline=acc[(service, "baseline")].result(),
                incident=acc[(service, "incident")].result(),
                callees=sorted(callees.get(service, set())),
                failing_dependencies=dict(deps[service].most_common(5)),
                call_gaps=gaps_by_caller.get(service, {}),
                last_calls={
                    callee: outcome.model_copy(update={"failing_traces": failing_origin_traces[service]})
                    for callee, outcome in sorted(last_calls.get(service, {}).items())
                },
                example_trace_ids=examples.get(service, []),
                first_incident_failure=first_failure.get(service),
                source=source,
            )
        )
    return result
