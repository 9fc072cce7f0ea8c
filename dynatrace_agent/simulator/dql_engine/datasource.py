"""The data a DQL query runs over, prepared once when a case is loaded.

Work done here is paid once per case instead of once per query: timestamps become
:class:`~.types.Timestamp` values, span durations become :class:`~.types.Duration`, each table
is sorted by time so ``fetch`` can cut its timeframe with a binary search, entities become the
``dt.entity.<type>`` tables and Problems API v2 objects become ``dt.davis.problems`` records.
Fields the engine does not know are kept and served unchanged.
"""

from __future__ import annotations

import gc
import json
import random
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .types import Duration, Timeframe, Timestamp, Uid, parse_duration_text, parse_iso_ns

__all__ = ["DataSource", "MetricSeries", "TableData"]

Record = dict[str, Any]

TIME_FIELDS = ("timestamp", "start_time", "end_time", "event.start", "event.end")
_TIME_KEYS = ("timestamp", "start_time", "event.start")
_DURATION_TABLES = frozenset({"spans", "user.sessions"})
#: Classic USQL session fields: Grail's ``user.sessions`` has none of them (reference §10), so a
#: case that carries them is served without them and a query on them matches nothing, as on a
#: real tenant.
CLASSIC_USQL_FIELDS = frozenset(
    {
        "dt.entity.application",
        "application.name",
        "applicationName",
        "userExperienceScore",
        "userId",
        "internalUserId",
        "totalErrorCount",
        "userSessionId",
        "userType",
        "hasError",
    }
)
#: Span fields Grail types as ``uid``: a plain string compared with them matches nothing.
UID_FIELDS = ("trace.id", "span.id", "span.parent_id")

# Entity types Grail knows even when the case has none of them (so `fetch` of one is empty,
# not an error). A type outside this list and absent from the case is UNKNOWN_DATA_OBJECT.
KNOWN_ENTITY_TYPES = frozenset(
    {
        "application",
        "custom_application",
        "mobile_application",
        "service",
        "service_method",
        "host",
        "process_group",
        "process_group_instance",
        "kubernetes_cluster",
        "kubernetes_node",
        "kubernetes_service",
        "cloud_application",
        "cloud_application_namespace",
        "cloud_application_instance",
        "container_group",
        "container_group_instance",
        "synthetic_test",
        "http_check",
        "disk",
        "network_interface",
        "queue",
        "environment",
        "aws_lambda_function",
        "azure_function_app",
        "database",
        "external_synthetic_test",
        "application_method",
        "host_group",
        "os",
        "hypervisor",
        "virtualmachine",
        # Types Dynatrace's MCP server (2.1.2) fetches in find_entity_by_name, marked there as
        # verified on real tenants.
        "custom_device",
        "custom_device_group",
        "geolocation",
        "relational_database_service",
        "synthetic_location",
        "service_instance",
        "docker_container_group_instance",
        "aws_availability_zone",
        "aws_application_load_balancer",
        "aws_network_load_balancer",
        "ec2_instance",
        "gcp_zone",
        "azure_vm",
        "openstack_vm",  # a classic entity type; the server searches it with extendedSearch
    }
)

_SEVERITY_TO_CATEGORY = {
    "AVAILABILITY": "AVAILABILITY",
    "ERROR": "ERROR",
    "PERFORMANCE": "SLOWDOWN",
    "RESOURCE_CONTENTION": "RESOURCE",
    "CUSTOM_ALERT": "CUSTOM_ALERT",
    "INFO": "INFO",
    "MONITORING_UNAVAILABLE": "MONITORING_UNAVAILABLE",
}
_PROBLEM_API_KEYS = frozenset(
    {
        "problemId",
        "displayId",
        "title",
        "status",
        "severityLevel",
        "impactLevel",
        "startTime",
        "endTime",
        "affectedEntities",
        "impactedEntities",
        "rootCauseEntity",
        "evidenceDetails",
        "impactAnalysis",
        "entityTags",
        "managementZones",
        "problemFilters",
        "linkedProblemInfo",
        "recentComments",
    }
)
_ENTITY_API_KEYS = frozenset(
    {
        "entityId",
        "type",
        "displayName",
        "properties",
        "tags",
        "managementZones",
        "fromRelationships",
        "toRelationships",
        "firstSeenTms",
        "lastSeenTms",
        "icon",
    }
)


@dataclass
class TableData:
    """One Grail table: records sorted by ``times`` plus records with no time at all."""

    name: str
    records: list[Record] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    timeless: list[Record] = field(default_factory=list)
    avg_bytes: int = 0
    time_filtered: bool = True  # entity tables ignore the query timeframe
    overlap_end_field: str | None = None  # problems: keep a record active during the timeframe

    def select(self, start_ns: int, end_ns: int) -> list[Record]:
        """Records whose time is in ``[start_ns, end_ns)`` (entities: all; problems: overlapping)."""
        if not self.time_filtered:
            return self.records + self.timeless
        if self.overlap_end_field is not None:
            key = self.overlap_end_field
            hi = bisect_left(self.times, end_ns)
            return [
                r for r in self.records[:hi] if (end := r.get(key)) is None or int(end) >= start_ns
            ] + self.timeless
        lo = bisect_left(self.times, start_ns)
        hi = bisect_left(self.times, end_ns)
        return self.records[lo:hi] + self.timeless if self.timeless else self.records[lo:hi]


@dataclass(frozen=True)
class MetricSeries:
    """One metric series line: ``values[i]`` covers ``[start + i*interval, start + (i+1)*interval)``."""

    key: str
    dimensions: Mapping[str, Any]
    start_ns: int
    interval_ns: int
    values: tuple[float | None, ...]
    unit: str | None = None


def _estimate_bytes(records: list[Record]) -> int:
    if not records:
        return 0
    sample = records if len(records) <= 200 else random.Random(0).sample(records, 200)
    total = sum(len(json.dumps(r, default=str)) for r in sample)
    return max(1, total // len(sample))


def _prepare(record: Mapping[str, Any], durations: bool, uids: bool = False) -> Record:
    out = dict(record)
    for key in TIME_FIELDS:
        value = out.get(key)
        if value.__class__ is str:
            ns = parse_iso_ns(value)
            if ns is not None:
                out[key] = Timestamp(ns)
        elif value.__class__ is int and key != "timestamp":
            out[key] = Timestamp(value)  # epoch nanoseconds (user.sessions start_time/end_time)
    if durations:
        value = out.get("duration")
        if value.__class__ is int:
            out["duration"] = Duration(value)
    if uids:
        for key in UID_FIELDS:
            value = out.get(key)
            if value.__class__ is str:
                out[key] = Uid(value.lower())
    return out


def _build_table(name: str, records: Iterable[Mapping[str, Any]]) -> TableData:
    durations = name in _DURATION_TABLES
    uids = name == "spans"
    if name == "user.sessions":
        records = (
            {k: v for k, v in r.items() if k not in CLASSIC_USQL_FIELDS} if isinstance(r, Mapping) else r
            for r in records
        )
    timed: list[tuple[int, int, Record]] = []
    timeless: list[Record] = []
    for i, raw in enumerate(records):
        if not isinstance(raw, Mapping):
            continue
        rec = _prepare(raw, durations, uids)
        t = None
        for key in _TIME_KEYS:
            value = rec.get(key)
            if value.__class__ is Timestamp:
                t = int(value)
                break
        if t is None:
            timeless.append(rec)
        else:
            timed.append((t, i, rec))
    timed.sort(key=lambda item: (item[0], item[1]))
    table = TableData(
        name,
        [r for _, _, r in timed],
        [t for t, _, _ in timed],
        timeless,
    )
    table.avg_bytes = _estimate_bytes(table.records + table.timeless)
    return table


def _ms(value: object) -> Timestamp | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return Timestamp(int(value) * 1_000_000)
    return None


def _entity_record(entity: Mapping[str, Any]) -> Record:
    rec: Record = {
        "id": entity.get("entityId"),
        "entity.name": entity.get("displayName"),
        "entity.type": entity.get("type"),
    }
    first, last = _ms(entity.get("firstSeenTms")), _ms(entity.get("lastSeenTms"))
    if first is not None and last is not None:
        rec["lifetime"] = Timeframe(first, last)
    tags = entity.get("tags")
    if isinstance(tags, list):
        rec["tags"] = [
            t.get("stringRepresentation")
            or ":".join(str(t[k]) for k in ("key", "value") if t.get(k) is not None)
            for t in tags
            if isinstance(t, Mapping)
        ]
    zones = entity.get("managementZones")
    if isinstance(zones, list):
        rec["managementZones"] = [z.get("name") for z in zones if isinstance(z, Mapping)]
    for rel_key in ("fromRelationships", "toRelationships"):
        rels = entity.get(rel_key)
        if isinstance(rels, Mapping):
            rec[rel_key] = {
                k: [v.get("id") if isinstance(v, Mapping) else v for v in vs]
                for k, vs in rels.items()
                if isinstance(vs, list)
            }
    props = entity.get("properties")
    if isinstance(props, Mapping):
        for k, v in props.items():
            rec.setdefault(k, v)
    for k, v in entity.items():
        if k not in _ENTITY_API_KEYS:
            rec.setdefault(k, v)
    return rec


def _problem_record(problem: Mapping[str, Any]) -> Record:
    start = _ms(problem.get("startTime"))
    end = _ms(problem.get("endTime"))
    open_ = problem.get("status") == "OPEN" or end is None
    root = problem.get("rootCauseEntity")
    root_id = root_name = None
    if isinstance(root, Mapping):
        rid = root.get("entityId")
        root_id = rid.get("id") if isinstance(rid, Mapping) else rid
        root_name = root.get("name")

    def ids(key: str) -> list[Any]:
        items = problem.get(key)
        if not isinstance(items, list):
            return []
        out = []
        for item in items:
            eid = item.get("entityId") if isinstance(item, Mapping) else None
            out.append(eid.get("id") if isinstance(eid, Mapping) else eid)
        return out

    evidence = problem.get("evidenceDetails")
    event_ids = []
    if isinstance(evidence, Mapping) and isinstance(evidence.get("details"), list):
        event_ids = [
            d.get("eventId") for d in evidence["details"] if isinstance(d, Mapping) and d.get("eventId")
        ]
    impact = problem.get("impactAnalysis")
    users = None
    if isinstance(impact, Mapping) and isinstance(impact.get("impacts"), list):
        counts = [i.get("estimatedAffectedUsers") for i in impact["impacts"] if isinstance(i, Mapping)]
        numbers = [c for c in counts if isinstance(c, int) and not isinstance(c, bool)]
        users = sum(numbers) if numbers else None
    rec: Record = {
        "timestamp": start,
        "display_id": problem.get("displayId"),
        "event.id": problem.get("problemId"),
        "event.kind": "DAVIS_PROBLEM",
        "event.name": problem.get("title"),
        "event.description": problem.get("title"),
        "event.status": "ACTIVE" if open_ else "CLOSED",
        "event.category": _SEVERITY_TO_CATEGORY.get(
            str(problem.get("severityLevel")), problem.get("severityLevel")
        ),
        "event.start": start,
        "event.end": None if open_ else end,
        "root_cause_entity_id": root_id,
        "root_cause_entity_name": root_name,
        "affected_entity_ids": ids("affectedEntities"),
        "affected_entity_count": len(ids("affectedEntities")),
        "impacted_entity_ids": ids("impactedEntities"),
        "dt.davis.event_ids": event_ids,
        "dt.davis.affected_users_count": users,
        "dt.davis.is_duplicate": False,
        "dt.davis.impact_level": problem.get("impactLevel"),
        "entity_tags": [
            t.get("stringRepresentation") for t in problem.get("entityTags") or [] if isinstance(t, Mapping)
        ],
        "labels.alerting_profile": [
            f.get("name") for f in problem.get("problemFilters") or [] if isinstance(f, Mapping)
        ],
        "management_zones": [
            z.get("name") for z in problem.get("managementZones") or [] if isinstance(z, Mapping)
        ],
    }
    for k, v in problem.items():
        if k not in _PROBLEM_API_KEYS:
            rec.setdefault(k, v)
    return rec


def _metric_series(raw: Mapping[str, Any]) -> MetricSeries | None:
    key = raw.get("metric.key")
    start = parse_iso_ns(raw["start"]) if isinstance(raw.get("start"), str) else None
    interval = raw.get("interval")
    interval_ns = parse_duration_text(interval) if isinstance(interval, str) else None
    values = raw.get("values")
    if not isinstance(key, str) or start is None or not interval_ns or not isinstance(values, list):
        return None
    dims = raw.get("dimensions")
    clean = tuple(
        float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None for v in values
    )
    unit = raw.get("unit")
    return MetricSeries(
        key,
        dict(dims) if isinstance(dims, Mapping) else {},
        start,
        interval_ns,
        clean,
        unit if isinstance(unit, str) else None,
    )


#: Model names per data object for ``dt.semantic_dictionary.models`` (``span``, ``log.general``
#: and ``bizevents`` are Dynatrace's names; the others are the simulator's).
_MODEL_NAMES = {
    "spans": "span",
    "logs": "log.general",
    "events": "event",
    "dt.davis.events": "davis_event",
    "bizevents": "bizevents",
    "user.sessions": "user_session",
    "dt.davis.problems": "davis_problem",
}


def semantic_dictionary() -> list[TableData]:
    """``dt.semantic_dictionary.models`` and ``.fields`` for the fields the simulator knows.

    Built from the project's field registry (:mod:`dynatrace_agent.fields`): one model per data
    object with its field names, and one fields row per field with where it was confirmed as
    its description. Both tables are timeframe-free metadata, as in Grail.
    """
    from dynatrace_agent.fields import GRAIL_FIELDS

    models: list[Record] = []
    fields: dict[str, Record] = {}
    for data_object, names in GRAIL_FIELDS.items():
        if data_object not in _MODEL_NAMES:
            continue
        models.append(
            {
                "name": _MODEL_NAMES[data_object],
                "description": f"Fields of {data_object} known to the Dynatrace simulator",
                "data_object": data_object,
                "fields": sorted(names),
                "relationships": [],
                "smartscape_node_name": None,
            }
        )
        for name, source in names.items():
            fields.setdefault(
                name,
                {
                    "name": name,
                    "description": f"confirmed: {source}",
                    "stability": "stable",
                    "tags": [],
                    "unit": None,
                },
            )
    return [
        TableData(
            "dt.semantic_dictionary.models", models, [], [], _estimate_bytes(models), time_filtered=False
        ),
        TableData(
            "dt.semantic_dictionary.fields",
            list(fields.values()),
            [],
            [],
            _estimate_bytes(list(fields.values())),
            time_filtered=False,
        ),
    ]


class DataSource:
    """All tables and metric series of one tenant, ready for queries."""

    def __init__(self, tables: dict[str, TableData], metrics: dict[str, list[MetricSeries]]) -> None:
        self.tables = tables
        self.metrics = metrics

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, Iterable[Mapping[str, Any]]],
        metrics: Iterable[Mapping[str, Any]] = (),
        entities: Iterable[Mapping[str, Any]] = (),
        problems: Iterable[Mapping[str, Any]] = (),
    ) -> DataSource:
        """Build from plain lists of dicts as a case holds them (see incident-case.md).

        The cyclic garbage collector is paused while building: a million new dicts would
        otherwise trigger repeated full collections that find nothing to free.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._build(tables, metrics, entities, problems)
        finally:
            if was_enabled:
                gc.enable()

    @classmethod
    def _build(
        cls,
        tables: Mapping[str, Iterable[Mapping[str, Any]]],
        metrics: Iterable[Mapping[str, Any]],
        entities: Iterable[Mapping[str, Any]],
        problems: Iterable[Mapping[str, Any]],
    ) -> DataSource:
        prepared = {name: _build_table(name, records) for name, records in tables.items()}
        by_type: dict[str, list[Record]] = {}
        for entity in entities:
            if isinstance(entity, Mapping) and isinstance(entity.get("type"), str):
                by_type.setdefault(entity["type"].lower(), []).append(_entity_record(entity))
        for etype, records in by_type.items():
            table = TableData(
                f"dt.entity.{etype}", records, [], [], _estimate_bytes(records), time_filtered=False
            )
            prepared[table.name] = table
        problem_records = sorted(
            (_problem_record(p) for p in problems if isinstance(p, Mapping)),
            key=lambda r: int(r["timestamp"]) if r["timestamp"] is not None else -1,
        )
        timed = [r for r in problem_records if r["timestamp"] is not None]
        prepared["dt.davis.problems"] = TableData(
            "dt.davis.problems",
            timed,
            [int(r["timestamp"]) for r in timed],
            [r for r in problem_records if r["timestamp"] is None],
            _estimate_bytes(problem_records),
            overlap_end_field="event.end",
        )
        for table in semantic_dictionary():
            prepared[table.name] = table
        series: dict[str, list[MetricSeries]] = {}
        for raw in metrics:
            parsed = _metric_series(raw) if isinstance(raw, Mapping) else None
            if parsed is not None:
                series.setdefault(parsed.key, []).append(parsed)
        return cls(prepared, series)

    def table(self, name: str) -> TableData | None:
        """The named table; an empty one for a known table the case does not have; None if unknown."""
        found = self.tables.get(name)
        if found is not None:
            return found
        if name.startswith("dt.entity."):
            if name[len("dt.entity.") :] in KNOWN_ENTITY_TYPES:
                return TableData(name, time_filtered=False)
            return None
        return TableData(name)
