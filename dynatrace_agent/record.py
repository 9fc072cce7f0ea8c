"""Record an incident case from a live environment (``dynatrace-agent record P-123 --out DIR``).

The recorder reads what an investigation would read — the problem, the entities around it,
change events, metric series, and bounded samples of logs, spans, business events and user
sessions over the window — and writes it in the incident-case format
(``shared/spec/incident-case.md``), redacted. The ``expected`` block is left empty for a person
to fill in: only someone who knows what really happened can label the truth.

Everything goes through the production client, read-only; a Grail table that cannot be read
(no OAuth, a missing scope) is noted in ``case.json``'s description and left empty.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent import dql
from dynatrace_agent.case import FORMAT as CASE_FORMAT
from dynatrace_agent.case import CaseWriter
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError, DynatraceAgentError
from dynatrace_agent.redact import Redactor
from dynatrace_agent.values import as_int, parse_timestamp

__all__ = ["RecordLimits", "RecordSummary", "parse_before", "record_case"]

METRIC_EVENTS = "builtin:anomaly-detection.metric-events"
ANOMALY_DETECTORS = "builtin:davis.anomaly-detectors"
ENTITY_FIELDS = (
    "properties",
    "tags",
    "managementZones",
    "fromRelationships",
    "toRelationships",
    "firstSeenTms",
    "lastSeenTms",
)
SERVICE_METRICS = (
    "dt.service.request.response_time",
    "dt.service.response.time",
    "dt.service.request.count",
    "dt.service.request.failure_count",
)
HOST_METRICS = (
    "dt.host.cpu.usage",
    "dt.host.memory.usage",
    "dt.host.disk.used.percent",
    "dt.host.net.nic.packets.dropped",
)
GRAIL_TABLES = {
    "events": "storage:events:read",
    "logs": "storage:logs:read",
    "spans": "storage:spans:read",
    "bizevents": "storage:bizevents:read",
    "user.sessions": "storage:user.sessions:read",
}
_BEFORE = re.compile(r"^(\d+)\s*([mhd])$")


@dataclass(frozen=True)
class RecordLimits:
    """Upper bounds on what one recording reads, so a big tenant stays cheap to record."""

    entities: int = 300
    logs: int = 20_000
    spans: int = 20_000
    events: int = 2_000
    bizevents: int = 10_000
    sessions: int = 5_000
    related_problems: int = 50


@dataclass
class RecordSummary:
    """What was written, for the command's output."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    redactions: int = 0


def parse_before(text: str) -> timedelta:
    """``60m``, ``2h``, ``1d`` → a timedelta; a clear error for anything else."""
    match = _BEFORE.match(text.strip())
    if not match:
        raise ConfigurationError(f"--before {text!r} is not a duration like 60m, 2h or 1d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _collect(items: AsyncIterator[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async for item in items:
        out.append(item)
        if len(out) >= limit:
            break
    return out


def _stub_id(stub: object) -> str | None:
    if not isinstance(stub, dict):
        return None
    ref = stub.get("entityId")
    if isinstance(ref, dict):
        ref = ref.get("id")
    return str(ref) if ref else None


def _related_ids(entity: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for direction in ("fromRelationships", "toRelationships"):
        relations = entity.get(direction) or {}
        if isinstance(relations, dict):
            for targets in relations.values():
                for target in targets if isinstance(targets, list) else []:
                    if isinstance(target, dict) and target.get("id"):
                        ids.add(str(target["id"]))
    return ids


def _series_from_timeseries(record: dict[str, Any], key: str, field_name: str) -> dict[str, Any] | None:
    """A case-file metric series from one Grail ``timeseries`` record."""
    frame = record.get("timeframe") or {}
    start = parse_timestamp(frame.get("start") if isinstance(frame, dict) else None)
    interval_ns = as_int(record.get("interval"))
    values = record.get(field_name)
    if start is None or not interval_ns or not isinstance(values, list):
        return None
    dims = {
        k: str(v)
        for k, v in record.items()
        if k not in ("timeframe", "interval", field_name) and isinstance(v, str)
    }
    minutes, rest = divmod(interval_ns // 1_000_000_000, 60)
    interval = f"{minutes}m" if minutes and not rest else f"{interval_ns // 1_000_000_000}s"
    return {
        "metric.key": key,
        "dimensions": dims,
        "start": _iso(start),
        "interval": interval,
        "values": values,
    }


def _normalise_span(span: dict[str, Any]) -> dict[str, Any]:
    # The case format stores span durations as integer nanoseconds; Grail may send strings.
    duration = as_int(span.get("duration"))
    if duration is not None:
        span = {**span, "duration": duration}
    return span


class _Recorder:
    def __init__(self, client: DynatraceClient, limits: RecordLimits, redactor: Redactor) -> None:
        self.client = client
        self.limits = limits
        self.redactor = redactor
        self.unavailable: dict[str, str] = {}

    async def entities(self, seeds: Iterable[str]) -> list[dict[str, Any]]:
        """The seed entities and one hop of their relationships (calls, runs on, hosts, cluster)."""
        found: dict[str, dict[str, Any]] = {}
        frontier = list(dict.fromkeys(seeds))
        for hop in range(2):
            next_frontier: list[str] = []
            for entity_id in frontier:
                if entity_id in found or len(found) >= self.limits.entities:
                    continue
                try:
                    entity = await self.client.environment.get_entity(entity_id, fields=ENTITY_FIELDS)
                except DynatraceAgentError as exc:
                    self.unavailable.setdefault("entities", str(exc))
                    continue
                found[entity_id] = entity
                if hop == 0:
                    next_frontier.extend(sorted(_related_ids(entity)))
            frontier = next_frontier
        return list(found.values())

    async def grail(
        self, table: str, window: dql.Timeframe, limit: int, ids: list[str]
    ) -> list[dict[str, Any]]:
        """A bounded sample of one Grail table over the window, newest last."""
        query = dql.Query.fetch(table, window)
        if table in ("logs", "spans") and ids:
            services = [i for i in ids if i.startswith("SERVICE-")]
            hosts = [i for i in ids if i.startswith("HOST-")]
            conditions = []
            if services:
                conditions.append(dql.in_("dt.entity.service", services))
            if hosts:
                conditions.append(dql.in_("dt.entity.host", hosts))
            if conditions:
                query = query.filter(dql.or_(*conditions))
        query = query.limit(limit)
        try:
            result = await self.client.grail.query(
                query.render(), scopes=[GRAIL_TABLES[table]], max_result_records=limit
            )
        except DynatraceAgentError as exc:
            self.unavailable[table] = str(exc)
            return []
        return result.records

    async def metrics(self, window: dql.Timeframe, ids: list[str]) -> list[dict[str, Any]]:
        """1-minute series of the standard service and host metrics for the recorded entities."""
        series: list[dict[str, Any]] = []
        plans = [
            ("dt.entity.service", SERVICE_METRICS, "SERVICE-"),
            ("dt.entity.host", HOST_METRICS, "HOST-"),
        ]
        for dimension, keys, prefix in plans:
            wanted = [i for i in ids if i.startswith(prefix)]
            if not wanted:
                continue
            for key in keys:
                expr = dql.func("avg", dql.field_ref(key))
                query = dql.Query.timeseries([("value", expr)], by=[dimension], interval="1m", window=window)
                query = query.filter(dql.in_(dimension, wanted))
                try:
                    result = await self.client.grail.query(query.render(), scopes=["storage:metrics:read"])
                except DynatraceAgentError as exc:
                    self.unavailable.setdefault("metrics", str(exc))
                    return series
                for record in result.records:
                    line = _series_from_timeseries(record, key, "value")
                    if line is not None:
                        series.append(line)
        return series


async def record_case(
    client: DynatraceClient,
    problem: str,
    out: str | Path,
    *,
    before: timedelta = timedelta(minutes=60),
    redactor: Redactor | None = None,
    limits: RecordLimits | None = None,
    now: datetime | None = None,
) -> RecordSummary:
    """Write a case folder for ``problem`` (display id or problemId) into ``out``."""
    target = Path(out)
    if target.exists() and any(target.iterdir()):
        raise ConfigurationError(f"{target} exists and is not empty; choose a new folder for the case")
    redactor = redactor or Redactor.build()
    limits = limits or RecordLimits()
    recorder = _Recorder(client, limits, redactor)
    detail = await client.environment.get_problem(problem)
    start = parse_timestamp(detail.get("startTime"))
    if start is None:
        raise ConfigurationError(f"problem {problem} has no startTime; cannot place the recording window")
    end_ms = as_int(detail.get("endTime"))
    clock = now or datetime.now(UTC)
    end = parse_timestamp(end_ms) if end_ms and end_ms > 0 else clock
    assert end is not None
    case_now = min(clock, end + timedelta(minutes=10))
    window = dql.timeframe(_iso(start - before), _iso(case_now))

    seeds = [
        i
        for stub in [
            *(detail.get("affectedEntities") or []),
            *(detail.get("impactedEntities") or []),
            detail.get("rootCauseEntity"),
        ]
        if (i := _stub_id(stub))
    ]
    entities = await recorder.entities(seeds)
    ids = [str(e.get("entityId")) for e in entities if e.get("entityId")]
    problems = [detail]
    try:
        others = await _collect(
            client.environment.list_problems(from_=_iso(start - before), to=_iso(case_now)),
            limits.related_problems,
        )
        problems += [p for p in others if p.get("problemId") != detail.get("problemId")]
    except DynatraceAgentError as exc:
        recorder.unavailable["problems"] = str(exc)

    tables: dict[str, list[dict[str, Any]]] = {}
    metrics: list[dict[str, Any]] = []
    if client.settings.has_oauth and client.settings.platform_base_url:
        tables["events"] = await recorder.grail("events", window, limits.events, ids)
        tables["logs"] = await recorder.grail("logs", window, limits.logs, ids)
        tables["spans"] = [
            _normalise_span(s) for s in await recorder.grail("spans", window, limits.spans, ids)
        ]
        tables["bizevents"] = await recorder.grail("bizevents", window, limits.bizevents, ids)
        tables["user.sessions"] = await recorder.grail("user.sessions", window, limits.sessions, ids)
        metrics = await recorder.metrics(window, ids)
    else:
        for table in GRAIL_TABLES:
            recorder.unavailable[table] = "no OAuth client configured (Grail is not reachable)"

    settings_objects: list[dict[str, Any]] = []
    try:
        settings_objects = await _collect(
            client.environment.list_settings_objects([METRIC_EVENTS, ANOMALY_DETECTORS]), 500
        )
    except DynatraceAgentError as exc:
        recorder.unavailable["settings"] = str(exc)
    slos: list[dict[str, Any]] = []
    if client.settings.has_oauth and client.settings.platform_base_url:
        try:
            slos = await _collect(client.slo.list_slos(), 500)
        except DynatraceAgentError as exc:
            recorder.unavailable["slos"] = str(exc)

    tenant: dict[str, list[dict[str, Any]]] = {
        "entities": redactor.records(entities),
        "problems": redactor.records(problems),
        "settings": redactor.records(settings_objects),
        "slos": redactor.records(slos),
        **{table: redactor.records(records) for table, records in tables.items() if records},
    }
    if metrics:
        tenant["metrics"] = redactor.records(metrics)
    display = str(detail.get("displayId") or problem)
    gaps = "; ".join(f"{k}: {v}" for k, v in sorted(recorder.unavailable.items()))
    case = {
        "format": CASE_FORMAT,
        "id": re.sub(r"[^a-z0-9-]+", "-", f"recorded-{display}".lower()).strip("-"),
        "title": redactor.text(str(detail.get("title") or display)),
        "description": "Recorded from a live environment by dynatrace-agent record."
        + (f" Not recorded: {gaps}." if gaps else "")
        + " Fill in `expected` with what really happened.",
        "now": _iso(case_now),
        "problem": display,
        "expected": None,
        "tags": ["recorded"] + (["oauth:none"] if not client.settings.has_oauth else []),
        "source": {"dataset": "recorded", "licence": "private", "reference": None},
    }
    CaseWriter().write_at(target, case, tenant)
    counts = {
        "entities": len(entities),
        "problems": len(problems),
        "metric series": len(metrics),
        **{t: len(r) for t, r in tables.items()},
    }
    return RecordSummary(target, counts, dict(recorder.unavailable), redactor.replaced)
