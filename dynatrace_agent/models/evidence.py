"""The evidence an investigation gathers, as typed models.

The graph fills these from Dynatrace data (problem, topology, change events, spans, logs,
metric series, sessions); the ranking reads only these models, so it stays pure and testable
with small hand-built evidence. Every piece carries ``source``: the DQL query or API call it
came from, so a report can cite it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent.models.enums import CATEGORIES, Category

__all__ = [
    "CATEGORIES",
    "NAME_DIMENSIONS",
    "BizEventVolume",
    "CallGap",
    "Candidate",
    "Category",
    "ChangeEvent",
    "ChangeKind",
    "Citation",
    "DavisEvidence",
    "EntityRef",
    "Evidence",
    "EvidenceItem",
    "Gap",
    "Impact",
    "LastCallOutcome",
    "LineShift",
    "LineVerdict",
    "LogPattern",
    "LogStats",
    "MetricDeviation",
    "MetricKind",
    "ProblemInfo",
    "Relation",
    "SloRisk",
    "TraceStats",
    "TraceWindowStats",
    "Window",
    "metric_kind",
]

Relation = Literal[
    "affected", "impacted", "davis_root", "caller", "callee", "host", "process_group", "cluster", "other"
]
MetricKind = Literal[
    "latency",
    "failure",
    "availability",
    "cpu",
    "memory",
    "disk",
    "network",
    "throughput",
    "saturation",
    "other",
]
ChangeKind = Literal["deployment", "configuration", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntityRef(_Model):
    """An entity as a problem names it."""

    id: str
    name: str | None = None
    type: str | None = None


class DavisEvidence(_Model):
    """One item of the problem's ``evidenceDetails``: what Davis saw, on which entity, when.

    Kept structured (not only as text) so the ranking can use it where Grail data is missing:
    a ``CUSTOM_DEPLOYMENT`` event becomes a change, a metric change point a weak deviation.
    """

    evidence_type: str = ""
    display_name: str = ""
    event_type: str | None = None
    event_id: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    entity_type: str | None = None
    root_cause_relevant: bool = False
    start: datetime | None = None
    before: float | None = None
    after: float | None = None
    unit: str | None = None
    properties: dict[str, str] = Field(default_factory=dict)


class ProblemInfo(_Model):
    """The problem under investigation, as Davis reported it."""

    problem_id: str
    display_id: str | None = None
    title: str = ""
    severity: str | None = None
    impact: str | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    affected: list[EntityRef] = Field(default_factory=list)
    impacted: list[EntityRef] = Field(default_factory=list)
    root_cause_hint: EntityRef | None = None
    evidence_summary: list[str] = Field(default_factory=list)
    davis_evidence: list[DavisEvidence] = Field(default_factory=list)
    estimated_affected_users: int | None = None
    source: str | None = None


class Candidate(_Model):
    """An entity that could be the root cause, with how it relates to the problem.

    ``calls``/``called_by``/``hosts``/``process_groups`` hold entity ids from the topology, so
    the ranking can tell a caller that relays a failure from the callee that causes it, and
    a service starved by a noisy neighbour from the neighbour.
    """

    entity_id: str
    name: str | None = None
    type: str | None = None
    relations: list[Relation] = Field(default_factory=list)
    hop: int = 0
    calls: list[str] = Field(default_factory=list)
    called_by: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    process_groups: list[str] = Field(default_factory=list)
    is_database: bool = False
    is_external: bool = False
    source: str | None = None

    @property
    def label(self) -> str:
        """The name when known, else the id: what a person reads."""
        return self.name or self.entity_id


class Window(_Model):
    """The baseline (before) and incident (after the start) time ranges, all UTC."""

    baseline_start: datetime
    baseline_end: datetime
    incident_start: datetime
    incident_end: datetime

    def in_baseline(self, ts: datetime | None) -> bool:
        """Whether ``ts`` falls in the baseline window (start inclusive, end exclusive)."""
        return ts is not None and self.baseline_start <= ts < self.baseline_end

    def in_incident(self, ts: datetime | None) -> bool:
        """Whether ``ts`` falls in the incident window (start inclusive, end exclusive)."""
        return ts is not None and self.incident_start <= ts < self.incident_end

    @property
    def baseline_minutes(self) -> float:
        """The baseline window's length in minutes (never 0, so rates can divide by it)."""
        return max((self.baseline_end - self.baseline_start).total_seconds() / 60.0, 1e-9)

    @property
    def incident_minutes(self) -> float:
        """The incident window's length in minutes (never 0, so rates can divide by it)."""
        return max((self.incident_end - self.incident_start).total_seconds() / 60.0, 1e-9)


class ChangeEvent(_Model):
    """A deployment, configuration change or other change event near the problem."""

    event_id: str
    event_type: str
    name: str = ""
    kind: ChangeKind = "other"
    entity_ids: list[str] = Field(default_factory=list)
    timestamp: datetime | None = None
    minutes_from_start: float | None = None  # negative: before the problem started
    details: dict[str, str] = Field(default_factory=dict)
    source: str | None = None


class TraceWindowStats(_Model):
    """Request statistics of one service in one time range."""

    requests: int = 0
    failures: int = 0
    failure_rate: float = 0.0
    p50_ms: float | None = None
    p90_ms: float | None = None
    self_p90_ms: float | None = None  # time spent in the service itself, children excluded
    network_p90_ms: float | None = None  # client-call time not spent in the callee
    failure_origins: int = 0  # traces whose deepest failing span is in this service
    client_origin_failures: int = 0  # of those, traces where that span is an outgoing call
    covered_minutes: float | None = None  # minutes of the window that hold any spans at all


class CallGap(_Model):
    """Time on the wire of one caller's calls to one callee: the client span minus the callee's span."""

    baseline_p90_ms: float | None = None
    incident_p90_ms: float | None = None
    incident_calls: int = 0


class LastCallOutcome(_Model):
    """How a caller fared right after its last call to one callee returned successfully.

    A callee that answers fast and without error but with a wrong value leaves no trace of its
    own: only its caller, which fails right after the answer arrives, shows it.
    """

    failing_traces: int = 0  # incident traces where the caller originated a failure
    after_success: int = 0  # … whose last call before failing went here and succeeded
    baseline_calls: int = 0  # baseline caller spans whose last call went here and succeeded
    baseline_ok: int = 0  # … that then succeeded themselves


class TraceStats(_Model):
    """Baseline against incident for one service, from spans."""

    service: str
    name: str | None = None
    baseline: TraceWindowStats = Field(default_factory=TraceWindowStats)
    incident: TraceWindowStats = Field(default_factory=TraceWindowStats)
    callees: list[str] = Field(default_factory=list)
    failing_dependencies: dict[str, int] = Field(default_factory=dict)  # target → failed client calls
    call_gaps: dict[str, CallGap] = Field(default_factory=dict)  # callee service → wire time of calls to it
    last_calls: dict[str, LastCallOutcome] = Field(default_factory=dict)  # callee → outcome after its answer
    example_trace_ids: list[str] = Field(default_factory=list)
    first_incident_failure: datetime | None = None
    source: str | None = None


class LogPattern(_Model):
    """A message pattern with how often it was seen and one real example."""

    pattern: str
    level: str
    baseline_count: int = 0
    incident_count: int = 0
    example: str = ""


class LogStats(_Model):
    """Error and warning logs of one entity, baseline against incident."""

    entity: str
    name: str | None = None
    baseline_errors: int = 0
    incident_errors: int = 0
    baseline_warnings: int = 0
    incident_warnings: int = 0
    new_patterns: list[LogPattern] = Field(default_factory=list)
    top_patterns: list[LogPattern] = Field(default_factory=list)
    first_incident_error: datetime | None = None
    source: str | None = None


LineVerdict = Literal["cut", "called_less", "unknown"]


class LineShift(_Model):
    """A routine log line of one entity that stopped appearing while its other lines went on.

    ``before``/``after`` count the line before and from ``since``; ``expected`` is how many
    the entity's other lines predicted after ``since``; ``p_value`` how likely a drop this
    deep is by chance (a conditional binomial test, corrected for the change minutes tried).
    The verdict says why it stopped when traces tell: ``cut`` (the endpoint that logs it was
    still called: the code path ended early inside the entity), ``called_less`` (the
    endpoint itself was called less: the cause is upstream), ``unknown`` (no trace data).
    """

    entity: str
    name: str | None = None
    template: str
    example: str = ""
    before: int
    after: int
    expected: float
    p_value: float
    since: datetime
    span_ids: list[str] = Field(default_factory=list)
    endpoint: str | None = None
    endpoint_before: int | None = None
    endpoint_after: int | None = None
    verdict: LineVerdict = "unknown"
    source: str | None = None


#: Dimensions that name an entity when no ``dt.entity.*`` dimension does (most specific last):
#: OpenTelemetry and Kubernetes series are keyed by names, which the ranking resolves to candidates.
#: Dimensions that name a series' owner when no ``dt.entity.*`` id does, most specific last
#: (converted datasets often key series by a bare ``name``).
NAME_DIMENSIONS = ("service.name", "k8s.workload.name", "k8s.container.name", "k8s.pod.name", "name")


class MetricDeviation(_Model):
    """How far a metric series moved from its baseline during the incident."""

    entity_id: str | None
    metric_key: str
    kind: MetricKind = "other"
    dimensions: dict[str, str] = Field(default_factory=dict)
    unit: str | None = None
    baseline_mean: float | None = None
    baseline_std: float | None = None
    incident_mean: float | None = None
    incident_max: float | None = None
    z_score: float | None = None
    relative_change: float | None = None
    baseline_points: int = 0
    incident_points: int = 0
    #: Share of incident points beyond 3 baseline deviations in the direction of the change:
    #: a sustained move is near 1, a brief blip inside a long incident is small.
    incident_persistence: float | None = None
    #: The series itself (first point's time, step in seconds, values; gaps are None), so a
    #: rule can look at it around a moment other than the window split (e.g. a change).
    series_start: datetime | None = None
    series_step_s: float | None = None
    series: list[float | None] = Field(default_factory=list)
    source: str | None = None

    def points(self) -> list[tuple[datetime, float]]:
        """(time, value) of the series' known points."""
        if self.series_start is None or not self.series_step_s:
            return []
        step = timedelta(seconds=self.series_step_s)
        return [(self.series_start + step * i, v) for i, v in enumerate(self.series) if v is not None]


class BizEventVolume(_Model):
    """Business events of one type, baseline against incident (per minute rates)."""

    event_type: str
    baseline_count: int = 0
    incident_count: int = 0
    baseline_per_min: float = 0.0
    incident_per_min: float = 0.0
    relative_change: float | None = None


class SloRisk(_Model):
    """An SLO whose status or error budget says it is at risk."""

    slo_id: str | None = None
    name: str
    status: str | None = None
    value: float | None = None
    target: float | None = None
    error_budget: float | None = None


class Impact(_Model):
    """Who and what the incident affected."""

    affected_users: int | None = None
    sessions: int | None = None
    error_sessions: int | None = None
    frustrated_sessions: int | None = None
    top_errors: list[str] = Field(default_factory=list)
    bizevents: list[BizEventVolume] = Field(default_factory=list)
    slos_at_risk: list[SloRisk] = Field(default_factory=list)
    estimated_affected_users: int | None = None
    source: str | None = None


class Gap(_Model):
    """A capability that could not be checked, and why: stated, never silently skipped."""

    capability: str
    reason: str


class Citation(_Model):
    """One query or API call the investigation ran, for the report's references."""

    capability: str
    query: str
    records: int | None = None


class EvidenceItem(_Model):
    """One cited fact supporting (or weakening) a root-cause candidate."""

    kind: Literal["change", "traces", "logs", "metric", "davis", "topology", "impact"]
    summary: str
    entity_id: str | None = None
    source: str | None = None
    records: list[str] = Field(default_factory=list)  # event ids, trace ids, metric keys


class Evidence(_Model):
    """Everything the investigation gathered, in one place."""

    problem: ProblemInfo
    window: Window | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    changes: list[ChangeEvent] = Field(default_factory=list)
    traces: list[TraceStats] = Field(default_factory=list)
    logs: list[LogStats] = Field(default_factory=list)
    line_shifts: list[LineShift] = Field(default_factory=list)
    metrics: list[MetricDeviation] = Field(default_factory=list)
    impact: Impact = Field(default_factory=Impact)
    gaps: list[Gap] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)


# Token rules, checked in order; the first match wins. Tokens come from splitting the key on
# dots, underscores, dashes and colons, so "kubernetes" never matches "net". Converted and
# custom tenants use bare words (``latency``, ``cpu``, ``requests``, ``availability``) and
# Prometheus names (``container_cpu_usage_seconds_total``), which the same rules cover.
_KIND_RULES: tuple[tuple[MetricKind, re.Pattern[str]], ...] = (
    ("latency", re.compile(r"response[._ ]time|latency|duration|\bresponse\b|\brt\b")),
    ("failure", re.compile(r"fail|error|exception|\b5xx\b|\b4xx\b")),
    ("availability", re.compile(r"availab|\buptime\b")),
    # Throttling is starvation of a resource (CPU quota, provisioned capacity): a resource kind.
    ("cpu", re.compile(r"cpu|throttl")),
    ("memory", re.compile(r"mem|heap|\boom|\bgc\b|swap")),
    ("disk", re.compile(r"disk|\bvolume|\bfs\b|filesystem|\biops\b")),
    # Loss, retransmits and drops are network faults; byte and packet volumes are load.
    ("network", re.compile(r"retrans|\bdrop|\bloss\b|\brtt\b|jitter|\btcp\b")),
    ("throughput", re.compile(r"bytes|packets?\b|bandwidth|\brx\b|\btx\b")),
    ("network", re.compile(r"\bnet\b|network|\bnic\b")),
    # Restart and eviction counts are their own signal (the ranking reads them by key), not traffic.
    ("other", re.compile(r"restart|evict")),
    (
        "throughput",
        re.compile(r"request[._ ]count|throughput|\brequests?\b|\bcalls?\b|\brps\b|count|\binvocations?\b"),
    ),
    ("saturation", re.compile(r"saturat|queue|pool|thread|connections?|load|utili[sz]ation")),
)


def metric_kind(metric_key: str) -> MetricKind:
    """Classify a metric key (``dt.service.response.time`` → latency, ``dt.host.cpu.usage`` → cpu)."""
    text = re.sub(r"[._\-:()]+", " ", metric_key.lower())
    for kind, pattern in _KIND_RULES:
        if pattern.search(text) or pattern.search(metric_key.lower()):
            return kind
    return "other"
