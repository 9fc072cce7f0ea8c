"""Raw Dynatrace records → evidence models, given the investigation window.

Pure functions, tolerant of missing fields, string numbers and odd timestamps: a record
that cannot be placed in time or attributed is skipped, never fatal. Each function takes an
optional ``source`` (the query the records came from) and stamps it on what it returns.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import (
    BizEventVolume,
    CallGap,
    ChangeEvent,
    ChangeKind,
    DavisEvidence,
    EntityRef,
    Impact,
    LogPattern,
    LogStats,
    MetricDeviation,
    ProblemInfo,
    SloRisk,
    TraceStats,
    TraceWindowStats,
    Window,
    metric_kind,
)
from dynatrace_agent.analysis.stats import (
    message_pattern,
    percentile,
    span_duration_ms,
    span_failed,
    span_service,
)
from dynatrace_agent.values import as_float, as_int, parse_timestamp

__all__ = [
    "change_events",
    "davis_evidence",
    "impact",
    "log_stats",
    "metric_deviations",
    "parse_interval",
    "problem_info",
    "trace_stats",
]

Record = Mapping[str, Any]
_MAX_PATTERNS = 5
_MAX_EXAMPLE_CHARS = 300


def _text(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    text = str(value).strip()
    return text or None


def _time(record: Record, *keys: str) -> datetime | None:
    for key in keys:
        ts = parse_timestamp(record.get(key))
        if ts is not None:
            return ts
    return None


# --------------------------------------------------------------------------- problem


def _entity_ref(stub: object) -> EntityRef | None:
    if not isinstance(stub, Mapping):
        return None
    raw_id = stub.get("entityId")
    entity_type: str | None = None
    if isinstance(raw_id, Mapping):
        entity_type = _text(raw_id.get("type"))
        raw_id = raw_id.get("id")
    entity_id = _text(raw_id)
    if entity_id is None:
        return None
    return EntityRef(id=entity_id, name=_text(stub.get("name")), type=entity_type)


def _properties(data: object) -> dict[str, str]:
    """``data.properties`` of an event evidence (``[{key, value}]``) as a flat dict of strings."""
    props = data.get("properties") if isinstance(data, Mapping) else None
    out: dict[str, str] = {}
    for item in props if isinstance(props, list) else []:
        if (
            isinstance(item, Mapping)
            and (key := _text(item.get("key")))
            and (value := _text(item.get("value")))
        ):
            out[key] = value[:200]
    return out


def davis_evidence(item: Record) -> DavisEvidence | None:
    """One ``evidenceDetails.details`` item as a ``DavisEvidence`` (None when it names nothing)."""
    entity = _entity_ref(item.get("entity"))
    data = item.get("data")
    event_type = _text(item.get("eventType")) or (
        _text(data.get("eventType")) if isinstance(data, Mapping) else None
    )
    display = _text(item.get("displayName")) or event_type or ""
    if entity is None and not display:
        return None
    return DavisEvidence(
        evidence_type=(_text(item.get("evidenceType")) or "").upper(),
        display_name=display,
        event_type=event_type,
        event_id=_text(item.get("eventId")),
        entity_id=entity.id if entity else None,
        entity_name=entity.name if entity else None,
        entity_type=entity.type if entity else None,
        root_cause_relevant=item.get("rootCauseRelevant") is True,
        start=parse_timestamp(item.get("startTime")),
        before=as_float(item.get("valueBeforeChangePoint")),
        after=as_float(item.get("valueAfterChangePoint")),
        unit=_text(item.get("unit")),
        properties=_properties(data),
    )


def problem_info(problem: Record, *, source: str | None = None) -> ProblemInfo:
    """A Problems API v2 record as a ``ProblemInfo`` (times from epoch ms; -1 end = open)."""
    start = parse_timestamp(problem.get("startTime"))
    end_raw = as_float(problem.get("endTime"))
    end = parse_timestamp(problem.get("endTime")) if end_raw is not None and end_raw > 0 else None
    affected = [r for s in problem.get("affectedEntities") or [] if (r := _entity_ref(s))]
    impacted = [r for s in problem.get("impactedEntities") or [] if (r := _entity_ref(s))]
    summary: list[str] = []
    structured: list[DavisEvidence] = []
    evidence_details = problem.get("evidenceDetails")
    details = (evidence_details.get("details") if isinstance(evidence_details, Mapping) else None) or []
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, Mapping):
            continue
        parsed = davis_evidence(item)
        if parsed is not None:
            structured.append(parsed)
        entity = _entity_ref(item.get("entity"))
        text = _text(item.get("displayName")) or _text(item.get("evidenceType")) or "evidence"
        if entity is not None:
            text += f" on {entity.name or entity.id}"
        before, after = item.get("valueBeforeChangePoint"), item.get("valueAfterChangePoint")
        if as_float(before) is not None and as_float(after) is not None:
            unit = f" {item.get('unit')}" if item.get("unit") else ""
            text += f" ({as_float(before):g} → {as_float(after):g}{unit})"
        if item.get("rootCauseRelevant") is True:
            text += " [root-cause relevant]"
        summary.append(text)
    users = 0
    seen_users = False
    impacts = (problem.get("impactAnalysis") or {}).get("impacts") or []
    for item in impacts if isinstance(impacts, list) else []:
        count = as_int(item.get("estimatedAffectedUsers")) if isinstance(item, Mapping) else None
        if count is not None:
            users += count
            seen_users = True
    return ProblemInfo(
        problem_id=_text(problem.get("problemId")) or _text(problem.get("displayId")) or "unknown",
        display_id=_text(problem.get("displayId")),
        title=_text(problem.get("title")) or "",
        severity=_text(problem.get("severityLevel")),
        impact=_text(problem.get("impactLevel")),
        status=_text(problem.get("status")),
        start=start,
        end=end,
        affected=affected,
        impacted=impacted,
        root_cause_hint=_entity_ref(problem.get("rootCauseEntity")),
        evidence_summary=summary[:20],
        davis_evidence=structured[:50],
        estimated_affected_users=users if seen_users else None,
        source=source,
    )


# --------------------------------------------------------------------------- traces

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
    return (_text(span.get("span.kind")) or "").lower()


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
        value = _text(span.get(key))
        if value:
            return value
    url = _text(span.get("http.url")) or _text(span.get("url.full"))
    if url:
        match = re.match(r"^[a-z]+://([^/:?#]+)", url)
        if match:
            return match.group(1)
    return _text(span.get("span.name")) or "unknown"


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
        trace_id = _text(span.get("trace.id"))
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

    def phase_of(span: Record) -> str | None:
        ts = _time(span, "start_time", "timestamp", "end_time")
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
        by_id = {sid: s for s in members if (sid := _text(s.get("span.id"))) is not None}
        children: dict[str, list[Record]] = defaultdict(list)
        for span in members:
            parent = _text(span.get("span.parent_id"))
            if parent is not None and parent in by_id:
                children[parent].append(span)
        origin_seen: set[tuple[str, str]] = set()
        for span in members:
            service = span_service(span)
            phase = phase_of(span)
            if service is None or phase is None:
                continue
            services.add(service)
            account_request(span, service, phase)
            a = acc[(service, phase)]
            sid = _text(span.get("span.id"))
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
            if not span_failed(span):
                continue
            ts = _time(span, "start_time", "timestamp")
            if (
                phase == "incident"
                and ts is not None
                and (service not in first_failure or ts < first_failure[service])
            ):
                first_failure[service] = ts
            if any(span_failed(k) for k in kids):
                continue  # a relayed failure: a child failed first
            key = (service, phase)
            if key not in origin_seen:
                origin_seen.add(key)
                a.origins += 1
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
                    if span_service(sp) == service and (n := _text(sp.get("service.name")))
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
                example_trace_ids=examples.get(service, []),
                first_incident_failure=first_failure.get(service),
                source=source,
            )
        )
    return result


# --------------------------------------------------------------------------- logs

_ERROR_LEVELS = {"ERROR", "ERR", "FATAL", "SEVERE", "CRITICAL", "CRIT", "EMERG", "EMERGENCY", "ALERT"}
_WARN_LEVELS = {"WARN", "WARNING"}


def _log_level(record: Record) -> str | None:
    for key in ("loglevel", "status", "severity", "level"):
        value = _text(record.get(key))
        if value is None:
            continue
        upper = value.upper()
        if upper in _ERROR_LEVELS:
            return "ERROR"
        if upper in _WARN_LEVELS:
            return "WARN"
        if upper not in {"NONE", "UNKNOWN"}:
            return None
    return None


def _log_entity(record: Record) -> tuple[str, str | None]:
    for key in ("dt.entity.service", "dt.entity.process_group", "dt.entity.host"):
        value = _text(record.get(key))
        if value:
            return value, _text(record.get("service.name")) or _text(record.get("host.name"))
    for key in ("service.name", "k8s.deployment.name", "host.name", "log.source"):
        value = _text(record.get(key))
        if value:
            return value, value
    return "unknown", None


def log_stats(
    logs: Iterable[Record],
    window: Window,
    *,
    names: Mapping[str, str] | None = None,
    source: str | None = None,
) -> list[LogStats]:
    """Error/warning counts per entity, baseline vs incident, and message patterns new in the incident.

    A pattern is *new* when it appears among the incident's errors/warnings of an entity but
    never in its baseline. Logs without a level that reads as error or warning are ignored.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    patterns: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(dict)
    pattern_examples: dict[tuple[str, str, str], str] = {}
    entity_names: dict[str, str] = dict(names or {})
    first_error: dict[str, datetime] = {}
    for record in logs:
        if not isinstance(record, Mapping):
            continue
        level = _log_level(record)
        if level is None:
            continue
        ts = _time(record, "timestamp")
        if window.in_incident(ts):
            phase = 1
        elif window.in_baseline(ts):
            phase = 0
        else:
            continue
        entity, name = _log_entity(record)
        if name and entity not in entity_names:
            entity_names[entity] = name
        counts[entity][f"{level}:{phase}"] += 1
        if (
            phase == 1
            and level == "ERROR"
            and ts is not None
            and (entity not in first_error or ts < first_error[entity])
        ):
            first_error[entity] = ts
        content = _text(record.get("content")) or ""
        pattern = message_pattern(content)
        slot = patterns[entity].setdefault((level, pattern), [0, 0])
        slot[phase] += 1
        if phase == 1:
            pattern_examples.setdefault((entity, level, pattern), content[:_MAX_EXAMPLE_CHARS])

    result: list[LogStats] = []
    for entity in sorted(counts):
        c = counts[entity]
        items = [
            LogPattern(
                pattern=pattern,
                level=level,
                baseline_count=b,
                incident_count=i,
                example=pattern_examples.get((entity, level, pattern), ""),
            )
            for (level, pattern), (b, i) in patterns[entity].items()
            if i > 0
        ]
        items.sort(key=lambda p: (p.level != "ERROR", -p.incident_count, p.pattern))
        result.append(
            LogStats(
                entity=entity,
                name=entity_names.get(entity),
                baseline_errors=c["ERROR:0"],
                incident_errors=c["ERROR:1"],
                baseline_warnings=c["WARN:0"],
                incident_warnings=c["WARN:1"],
                new_patterns=[p for p in items if p.baseline_count == 0][:_MAX_PATTERNS],
                top_patterns=items[:_MAX_PATTERNS],
                first_incident_error=first_error.get(entity),
                source=source,
            )
        )
    return result


# --------------------------------------------------------------------------- metrics

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
_ENTITY_DIM_PREFERENCE = (
    "dt.entity.service",
    "dt.entity.process_group_instance",
    "dt.entity.process_group",
    "dt.entity.host",
    "dt.entity.kubernetes_node",
    "dt.entity.cloud_application",
    "dt.entity.kubernetes_cluster",
)
#: Dimensions that name an entity when no ``dt.entity.*`` dimension does (most specific last).
_NAME_DIM_PREFERENCE = ("service.name", "k8s.workload.name", "k8s.container.name", "k8s.pod.name")
#: |z| shown for a series whose baseline did not vary at all.
_ZERO_VARIANCE_Z_CAP = 50.0
_SERIES_META = {"timeframe", "interval", "metric.key", "dimensions", "start", "values", "unit"}


def parse_interval(value: object) -> timedelta | None:
    """A bucket interval from a DQL duration (``1m``, ``30s``) or a nanosecond number/string."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            return timedelta(seconds=seconds) if seconds > 0 else None
    nanos = as_float(value)
    if nanos is None or nanos <= 0:
        return None
    return timedelta(seconds=nanos / 1e9)


def _series_entity(dimensions: Mapping[str, str]) -> str | None:
    for key in _ENTITY_DIM_PREFERENCE:
        if dimensions.get(key):
            return dimensions[key]
    for key, value in dimensions.items():
        if key.startswith("dt.entity.") and value:
            return value
    # Series keyed only by names (OpenTelemetry or Kubernetes metrics): the name stands in for
    # the entity; the ranking resolves it to a candidate by display name or pod-name prefix.
    for key in _NAME_DIM_PREFERENCE:
        if dimensions.get(key):
            return dimensions[key]
    return None


def _metric_name(field: str) -> str:
    match = re.match(r"^\w+\((.+?)(?:,.*)?\)$", field)
    return match.group(1).strip() if match else field


def _expand_series(
    series: Record,
) -> list[tuple[str, dict[str, str], datetime, timedelta, list[Any], str | None]]:
    """Normalise one series record (case-file or Grail ``timeseries`` shape) to flat tuples."""
    if isinstance(series.get("values"), list) and "start" in series:
        start = parse_timestamp(series.get("start"))
        step = parse_interval(series.get("interval"))
        key = _text(series.get("metric.key"))
        raw_dims = series.get("dimensions")
        dims = (
            {str(k): str(v) for k, v in raw_dims.items() if v is not None}
            if isinstance(raw_dims, Mapping)
            else {}
        )
        if start is None or step is None or key is None:
            return []
        return [(key, dims, start, step, list(series["values"]), _text(series.get("unit")))]
    timeframe = series.get("timeframe")
    start = parse_timestamp(timeframe.get("start")) if isinstance(timeframe, Mapping) else None
    step = parse_interval(series.get("interval"))
    if start is None or step is None:
        return []
    dims = {
        str(k): str(v)
        for k, v in series.items()
        if k not in _SERIES_META and isinstance(v, str | int | float) and not isinstance(v, bool)
    }
    fixed_key = _text(series.get("metric.key"))
    out = []
    for field, values in series.items():
        if isinstance(values, list) and field not in _SERIES_META:
            key = (
                fixed_key
                if fixed_key and len([v for v in series.values() if isinstance(v, list)]) == 1
                else None
            )
            out.append((key or _metric_name(field), dims, start, step, values, _text(series.get("unit"))))
    return out


def metric_deviations(
    series: Iterable[Record], window: Window, *, source: str | None = None
) -> list[MetricDeviation]:
    """How far each series moved from its baseline: z-score and relative change of the incident mean.

    The z-score divides by the baseline's standard deviation floored at 5 % of its mean, so a
    perfectly flat baseline does not turn a tiny wobble into an alarm. Series without both a
    baseline and an incident point are reported with what is known (no z-score).
    """
    result: list[MetricDeviation] = []
    for record in series:
        if not isinstance(record, Mapping):
            continue
        for key, dims, start, step, values, unit in _expand_series(record):
            baseline: list[float] = []
            incident: list[float] = []
            for i, raw in enumerate(values):
                value = as_float(raw)
                if value is None:
                    continue
                ts = start + step * i
                if window.in_incident(ts):
                    incident.append(value)
                elif window.in_baseline(ts):
                    baseline.append(value)
            b_mean = statistics.fmean(baseline) if baseline else None
            b_std = statistics.pstdev(baseline) if len(baseline) > 1 else (0.0 if baseline else None)
            i_mean = statistics.fmean(incident) if incident else None
            z: float | None = None
            rel: float | None = None
            persistence: float | None = None
            if b_mean is not None and i_mean is not None and b_std is not None:
                floor = max(abs(b_mean) * 0.05, 1e-9)
                spread = max(b_std, floor)
                z = (i_mean - b_mean) / spread
                if b_std == 0.0:
                    # A flat baseline makes any move look infinite; keep the figure readable.
                    z = max(-_ZERO_VARIANCE_Z_CAP, min(_ZERO_VARIANCE_Z_CAP, z))
                sign = 1.0 if i_mean >= b_mean else -1.0
                beyond = sum(1 for v in incident if (v - b_mean) * sign > 3.0 * spread)
                persistence = beyond / len(incident)
                rel = (i_mean - b_mean) / abs(b_mean) if b_mean != 0 else (math.inf if i_mean > 0 else 0.0)
                if math.isinf(rel):
                    rel = 1e6
            result.append(
                MetricDeviation(
                    entity_id=_series_entity(dims),
                    metric_key=key,
                    kind=metric_kind(key),
                    dimensions=dims,
                    unit=unit,
                    baseline_mean=b_mean,
                    baseline_std=b_std,
                    incident_mean=i_mean,
                    incident_max=max(incident) if incident else None,
                    z_score=z,
                    relative_change=rel,
                    baseline_points=len(baseline),
                    incident_points=len(incident),
                    incident_persistence=persistence,
                    source=source,
                )
            )
    return result


# --------------------------------------------------------------------------- change events

_DETAIL_PREFIXES = ("deployment.", "config.", "configuration.", "dt.event.", "vcs.", "cicd.", "change.")
_DETAIL_KEYS = ("event.description", "event.provider", "event.category", "event.status", "user")


def _change_kind(event: Record) -> ChangeKind | None:
    etype = (_text(event.get("event.type")) or "").upper()
    kind = (_text(event.get("event.kind")) or "").upper()
    name = (_text(event.get("event.name")) or "").lower()
    keys = " ".join(event.keys()).lower()
    if "DEPLOY" in etype or "deployment." in keys or "RELEASE" in etype:
        return "deployment"
    if "CONFIG" in etype or "config." in keys or "configuration." in keys:
        return "configuration"
    if kind in {"SDLC_EVENT", "AUDIT_EVENT"} or etype in {
        "CUSTOM_ANNOTATION",
        "MARKED_FOR_TERMINATION",
        "PROCESS_RESTART",
        "CUSTOM_INFO",
    }:
        if "deploy" in name or "release" in name or "rollout" in name:
            return "deployment"
        if "config" in name or "feature flag" in name or "setting" in name:
            return "configuration"
        return "other"
    return None


def _event_entities(event: Record) -> list[str]:
    ids: list[str] = []
    for key, value in event.items():
        if key == "dt.source_entity" or key == "affected_entity_ids" or key.startswith("dt.entity."):
            if key.endswith(".name"):
                continue
            values = value if isinstance(value, list) else [value]
            for item in values:
                text = _text(item)
                if text and text not in ids:
                    ids.append(text)
    return ids


def change_events(
    events: Iterable[Record],
    candidate_ids: Collection[str],
    problem_start: datetime | None,
    *,
    source: str | None = None,
) -> list[ChangeEvent]:
    """Deployments, configuration changes and other change events that touch a candidate.

    Davis-detected anomalies (error, slowdown, resource events) are not changes and are left
    out. With no candidate ids every change is kept. Sorted by time; ``minutes_from_start`` is
    negative before the problem started.
    """
    wanted = set(candidate_ids)
    result: list[ChangeEvent] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        kind = _change_kind(event)
        if kind is None:
            continue
        entities = _event_entities(event)
        if wanted and not wanted.intersection(entities):
            continue
        ts = _time(event, "event.start", "timestamp", "start_time")
        minutes = (ts - problem_start).total_seconds() / 60.0 if ts and problem_start else None
        details: dict[str, str] = {}
        for key, value in event.items():
            if key.startswith(_DETAIL_PREFIXES) or key in _DETAIL_KEYS:
                text = _text(value) if not isinstance(value, dict) else None
                if text is not None:
                    details[key] = text[:200]
        event_id = (
            _text(event.get("event.id"))
            or f"{_text(event.get('event.type')) or 'event'}@{ts.isoformat() if ts else '?'}"
        )
        result.append(
            ChangeEvent(
                event_id=event_id,
                event_type=_text(event.get("event.type")) or "UNKNOWN",
                name=_text(event.get("event.name")) or "",
                kind=kind,
                entity_ids=entities,
                timestamp=ts,
                minutes_from_start=round(minutes, 2) if minutes is not None else None,
                details=details,
                source=source,
            )
        )
    result.sort(key=lambda c: (c.timestamp is None, c.timestamp or datetime.min, c.event_id))
    return result


# --------------------------------------------------------------------------- impact

_USER_KEYS = ("dt.rum.user_tag", "userId", "internalUserId", "user.id", "dt.rum.instance.id", "usr.id")
_SESSION_KEYS = ("dt.rum.session.id", "userSessionId", "session.id")


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    number = as_float(value)
    return bool(number)


def _slo_risk(slo: Record) -> SloRisk | None:
    status = (_text(slo.get("status")) or "").upper() or None
    value = as_float(slo.get("evaluatedPercentage"))
    budget = as_float(slo.get("errorBudget"))
    target = as_float(slo.get("target"))
    criteria = slo.get("criteria")
    if target is None and isinstance(criteria, list) and criteria and isinstance(criteria[0], Mapping):
        target = as_float(criteria[0].get("target"))
    results = slo.get("evaluationResults")
    if isinstance(results, list) and results and isinstance(results[0], Mapping):
        status = (_text(results[0].get("status")) or status or "").upper() or None
        value = as_float(results[0].get("value")) if value is None else value
        budget = as_float(results[0].get("errorBudget")) if budget is None else budget
    at_risk = (
        status in {"FAILURE", "WARNING"}
        or (budget is not None and budget < 0)
        or (value is not None and target is not None and value < target)
    )
    if not at_risk:
        return None
    definition = slo.get("definition")
    name = _text(slo.get("name")) or (
        _text(definition.get("name")) if isinstance(definition, Mapping) else None
    )
    return SloRisk(
        slo_id=_text(slo.get("id")),
        name=name or "unnamed SLO",
        status=status,
        value=value,
        target=target,
        error_budget=budget,
    )


def impact(
    sessions: Iterable[Record],
    bizevents: Iterable[Record],
    slos: Iterable[Record],
    window: Window,
    *,
    estimated_affected_users: int | None = None,
    source: str | None = None,
) -> Impact:
    """Users and sessions seen during the incident, business-event volume vs baseline, SLOs at risk.

    Session counts stay ``None`` when no session record falls in the incident, so "no data"
    never reads as "nobody affected".
    """
    users: set[str] = set()
    session_ids: set[str] = set()
    session_count = errors = frustrated = 0
    error_names: Counter[str] = Counter()
    for record in sessions:
        if not isinstance(record, Mapping):
            continue
        if not window.in_incident(_time(record, "start_time", "startTime", "timestamp")):
            continue
        sid = next((t for k in _SESSION_KEYS if (t := _text(record.get(k)))), None)
        if sid is not None:
            if sid in session_ids:
                continue
            session_ids.add(sid)
        session_count += 1
        user = next((t for k in _USER_KEYS if (t := _text(record.get(k)))), None)
        if user is not None:
            users.add(user)
        experience = (
            _text(record.get("userExperienceScore")) or _text(record.get("dt.rum.user_experience")) or ""
        )
        if experience.upper() == "FRUSTRATED" or _truthy(record.get("frustrated")):
            frustrated += 1
        error_count = as_int(record.get("totalErrorCount")) or as_int(record.get("error.count")) or 0
        if error_count > 0 or _truthy(record.get("hasError")):
            errors += 1
        for key in ("error.name", "error.message", "errorName"):
            text = _text(record.get(key))
            if text:
                error_names[message_pattern(text)] += 1

    volumes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in bizevents:
        if not isinstance(record, Mapping):
            continue
        ts = _time(record, "timestamp")
        phase = 1 if window.in_incident(ts) else 0 if window.in_baseline(ts) else None
        if phase is None:
            continue
        volumes[_text(record.get("event.type")) or "unknown"][phase] += 1
    biz: list[BizEventVolume] = []
    for event_type, (b, i) in sorted(volumes.items()):
        b_rate, i_rate = b / window.baseline_minutes, i / window.incident_minutes
        biz.append(
            BizEventVolume(
                event_type=event_type,
                baseline_count=b,
                incident_count=i,
                baseline_per_min=round(b_rate, 4),
                incident_per_min=round(i_rate, 4),
                relative_change=round((i_rate - b_rate) / b_rate, 4) if b_rate > 0 else None,
            )
        )
    risks = [r for slo in slos if isinstance(slo, Mapping) and (r := _slo_risk(slo)) is not None]
    has_sessions = session_count > 0
    return Impact(
        affected_users=len(users) if has_sessions else None,
        sessions=session_count if has_sessions else None,
        error_sessions=errors if has_sessions else None,
        frustrated_sessions=frustrated if has_sessions else None,
        top_errors=[name for name, _ in error_names.most_common(5)],
        bizevents=biz,
        slos_at_risk=risks,
        estimated_affected_users=estimated_affected_users,
        source=source,
    )
