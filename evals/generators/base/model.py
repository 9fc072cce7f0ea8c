"""Declarative pieces a scenario is made of: topology, faults, changes and the Davis problem.

Scenarios only *describe* a tenant and what went wrong in it; the builder turns the
description into every table of an incident case. Keeping the description declarative
means one scenario module reads like an incident write-up, and every signal (spans, logs,
metrics, business events, sessions) is derived from the same fault model, so the signals
agree with each other the way they would in a real tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dynatrace_agent.models.enums import ImpactLevel, SeverityLevel

ServiceKind = Literal["web", "database", "external", "queue"]
LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]


@dataclass(frozen=True)
class Call:
    """One downstream call made by an endpoint.

    ``prob`` is the chance the call happens per request; ``fallback`` means the caller
    survives a failure of the callee (degrades instead of failing); ``timeout_ms`` turns a
    slow callee into a failed call at the caller.
    """

    service: str
    endpoint: str
    prob: float = 1.0
    fallback: bool = False
    timeout_ms: float | None = None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint ("POST /api/checkout", or a statement for an opaque database service)."""

    name: str
    calls: tuple[Call, ...] = ()
    latency_factor: float = 1.0


@dataclass(frozen=True)
class LogPattern:
    """A log message template emitted by a service, with a rate and a level.

    Placeholders in ``template`` are filled by :mod:`evals.generators.base.logs` (``{id}``, ``{ms}``,
    ``{n}``, ``{user}``, ``{order}``, ``{ip}``, ``{pct}``, ``{sku}``, ``{hex}``, ``{pod}``).
    ``per_minute`` is the rate at full strength; ``on_failed_span`` attaches the message to
    the failing spans of the service (with trace and span ids) instead of a free rate.
    """

    level: LogLevel
    template: str
    per_minute: float = 0.0
    on_failed_span: bool = False


@dataclass(frozen=True)
class Effect:
    """A change in behaviour of one entity over a time range (minutes from incident start).

    Service effects change latency and failure rate; edge effects (``callers`` and
    ``network_*``) slow or break calls *into* ``target`` from the named callers (all callers
    when empty); host effects move host metrics; ``traffic_factor`` multiplies the requests
    entering through an application or entry service.
    """

    target: str
    start: float
    end: float | None = None
    ramp: float = 1.5
    latency_factor: float = 1.0
    added_latency_ms: float = 0.0
    error_rate: float = 0.0
    status_code: int = 500
    exception_type: str | None = None
    exception_message: str | None = None
    callers: tuple[str, ...] = ()
    network_latency_ms: float = 0.0
    network_error_rate: float = 0.0
    traffic_factor: float = 1.0
    host_cpu: float = 0.0
    host_memory: float = 0.0
    host_disk: float = 0.0
    packets_dropped: float = 0.0
    process_cpu: float = 0.0
    cpu_throttled: float = 0.0
    logs: tuple[LogPattern, ...] = ()


@dataclass(frozen=True)
class ChangeEvent:
    """A deployment, configuration change or informational event (true trigger or decoy)."""

    key: str
    target: str
    at: float
    kind: Literal["deployment", "configuration", "info", "annotation"]
    name: str
    description: str = ""
    version: str | None = None
    previous_version: str | None = None
    config_key: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    sdlc: bool = False
    provider: str | None = None


@dataclass(frozen=True)
class DavisEvent:
    """An event Davis raised on an entity, grouped into a problem."""

    target: str
    at: float
    event_type: Literal[
        "ERROR_EVENT",
        "PERFORMANCE_EVENT",
        "AVAILABILITY_EVENT",
        "RESOURCE_CONTENTION_EVENT",
        "CUSTOM_ALERT",
    ]
    name: str
    classic_type: str
    root_cause_relevant: bool = False
    end: float | None = None


@dataclass(frozen=True)
class ProblemSpec:
    """The Davis problem a case is about (or a concurrent / older one)."""

    display_id: str
    title: str
    severity: SeverityLevel
    impact: ImpactLevel
    start: float
    end: float | None
    events: tuple[DavisEvent, ...]
    impacted: tuple[str, ...]
    root_cause: str | None
    evidence_changes: tuple[str, ...] = ()
    metric_evidence: tuple[str, ...] = ()
    notify: bool = True


@dataclass(frozen=True)
class OldProblem:
    """An unrelated, older closed problem: noise in the problem list."""

    display_id: str
    title: str
    severity: SeverityLevel
    impact: ImpactLevel
    target: str
    hours_before: float
    duration_min: float
    classic_type: str


@dataclass(frozen=True)
class BusinessFlow:
    """A business process whose events follow one endpoint's outcome (orders, bookings...)."""

    provider: str
    started_type: str
    completed_type: str
    failed_type: str
    service: str
    endpoint: str
    per_minute: float
    amount_range: tuple[float, float]
    currency: str
    id_field: str
    failure_reasons: tuple[str, ...] = ("declined",)
    incident_failure_reason: str = "technical_error"


@dataclass(frozen=True)
class Entry:
    """Traffic entering the tenant: an application (or none) hitting an entry endpoint."""

    service: str
    endpoint: str
    per_minute: float


@dataclass
class Signals:
    """Which tables a case has and how big the sampled ones are."""

    logs: int = 1500
    spans: int = 1500
    sessions: int = 300
    bizevents: bool = True
    events: bool = True
    metrics: bool = True
    slos: bool = True
    log_fraction_digits: int = 9
    event_fraction_digits: int = 3
    extra: dict[str, object] = field(default_factory=dict)
