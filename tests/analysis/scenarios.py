"""Small builders of synthetic evidence for the ranking tests (no Dynatrace data needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import (
    Candidate,
    ChangeEvent,
    EntityRef,
    Evidence,
    LogPattern,
    LogStats,
    MetricDeviation,
    ProblemInfo,
    TraceStats,
    TraceWindowStats,
    Window,
    metric_kind,
)

START = datetime(2025, 3, 4, 10, 20, tzinfo=UTC)
WINDOW = Window(
    baseline_start=START - timedelta(minutes=30),
    baseline_end=START,
    incident_start=START,
    incident_end=START + timedelta(minutes=30),
)


def problem(davis: str | None = None, name: str | None = None) -> ProblemInfo:
    return ProblemInfo(
        problem_id="-1_1741083600000V2",
        display_id="P-1",
        title="Failure rate increase",
        start=START,
        root_cause_hint=EntityRef(id=davis, name=name) if davis else None,
        source="GET /api/v2/problems/-1_1741083600000V2",
    )


def svc(entity_id: str, name: str, **kw: Any) -> Candidate:
    return Candidate(entity_id=entity_id, name=name, type=kw.pop("type", "SERVICE"), **kw)


def healthy(service: str, requests: int = 300, p90: float = 40.0, self_p90: float = 20.0) -> TraceStats:
    stats = TraceWindowStats(
        requests=requests,
        failures=1,
        failure_rate=1 / requests,
        p50_ms=p90 / 2,
        p90_ms=p90,
        self_p90_ms=self_p90,
    )
    return TraceStats(service=service, baseline=stats, incident=stats, source="fetch spans")


def traces(
    service: str,
    *,
    failures: int = 0,
    origins: int = 0,
    client_origins: int = 0,
    p90: tuple[float, float] = (40.0, 40.0),
    self_p90: tuple[float, float] = (20.0, 20.0),
    network: tuple[float | None, float | None] = (None, None),
    requests: tuple[int, int] = (300, 300),
    callees: list[str] | None = None,
    deps: dict[str, int] | None = None,
) -> TraceStats:
    base = TraceWindowStats(
        requests=requests[0],
        failures=0,
        failure_rate=0.0,
        p50_ms=p90[0] / 2,
        p90_ms=p90[0],
        self_p90_ms=self_p90[0],
        network_p90_ms=network[0],
    )
    inc = TraceWindowStats(
        requests=requests[1],
        failures=failures,
        failure_rate=failures / requests[1],
        p50_ms=p90[1] / 2,
        p90_ms=p90[1],
        self_p90_ms=self_p90[1],
        network_p90_ms=network[1],
        failure_origins=origins,
        client_origin_failures=client_origins,
    )
    return TraceStats(
        service=service,
        baseline=base,
        incident=inc,
        callees=callees or [],
        failing_dependencies=deps or {},
        example_trace_ids=["t-1"],
        source="fetch spans",
    )


def logs(entity: str, base: int, inc: int, *new: str) -> LogStats:
    patterns = [
        LogPattern(pattern=p, level="ERROR", incident_count=max(inc // max(len(new), 1), 2), example=p)
        for p in new
    ]
    return LogStats(
        entity=entity,
        baseline_errors=base,
        incident_errors=inc,
        new_patterns=patterns,
        top_patterns=patterns,
        source="fetch logs",
    )


def metric(entity: str, key: str, base: float, inc: float, std: float | None = None) -> MetricDeviation:
    sd = std if std is not None else max(abs(base) * 0.05, 1e-9)
    return MetricDeviation(
        entity_id=entity,
        metric_key=key,
        kind=metric_kind(key),
        baseline_mean=base,
        baseline_std=sd,
        incident_mean=inc,
        incident_max=inc,
        z_score=(inc - base) / sd,
        relative_change=(inc - base) / base if base else 1e6,
        baseline_points=30,
        incident_points=30,
        source=f"timeseries avg({key})",
    )


def change(event_id: str, entity: str, kind: str = "deployment", minutes: float = -8.0) -> ChangeEvent:
    return ChangeEvent(
        event_id=event_id,
        event_type="CUSTOM_DEPLOYMENT" if kind == "deployment" else "CUSTOM_CONFIGURATION",
        name=f"{kind} of {entity}",
        kind=kind,  # type: ignore[arg-type]
        entity_ids=[entity],
        timestamp=START + timedelta(minutes=minutes),
        minutes_from_start=minutes,
        details={"deployment.version": "2.14.0"} if kind == "deployment" else {},
        source='fetch events | filter event.kind == "SDLC_EVENT"',
    )


def evidence(**kw: Any) -> Evidence:
    kw.setdefault("problem", problem())
    kw.setdefault("window", WINDOW)
    return Evidence(**kw)
