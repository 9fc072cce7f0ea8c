"""Shared building blocks of the alternative case generator: ids, clocks, noise, entities, files.

Kept separate from ``evals/generators/base`` on purpose: these cases exist to test the investigation
against shapes that generator never produces, so nothing here is borrowed from it.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent.case import CaseWriter

Json = dict[str, Any]

FORMAT = "dynatrace-agent/incident-case@1"
#: Tables written as ``.jsonl``; larger ones are gzip-compressed.
JSONL_TABLES = ("events", "logs", "spans", "metrics")
GZIP_ABOVE_BYTES = 64_000


def entity_id(kind: str, name: str) -> str:
    """A stable Dynatrace-looking id: the same name always gives the same id."""
    digest = hashlib.sha256(f"{kind}/{name}".encode()).hexdigest()[:16].upper()
    return f"{kind}-{digest}"


def hex_id(rng: random.Random, nbytes: int) -> str:
    """A random lowercase hex id (trace and span ids)."""
    return "".join(f"{rng.randrange(256):02x}" for _ in range(nbytes))


def event_id(name: str, ts: datetime) -> str:
    """A classic event id: a stable 19-digit number and the epoch milliseconds."""
    number = int(hashlib.sha256(name.encode()).hexdigest()[:15], 16) % 9_000_000_000_000_000_000
    return f"{number + 1_000_000_000_000_000_000}_{epoch_ms(ts)}"


def iso(ts: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z`` (Grail's record timestamps)."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def iso_ns(ts: datetime, extra_ns: int = 0) -> str:
    """ISO-8601 UTC with nanoseconds (how span times often arrive)."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond * 1000 + extra_ns:09d}Z"


def iso_s(ts: datetime) -> str:
    """ISO-8601 UTC to the second (series starts)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(ts: datetime) -> int:
    """Epoch milliseconds (problems and entities)."""
    return round(ts.timestamp() * 1000)


def utc(text: str) -> datetime:
    """Parse ``2025-01-02T03:04:05Z``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def jitter(rng: random.Random, value: float, cv: float) -> float:
    """``value`` with log-normal noise of coefficient of variation ``cv`` (never negative)."""
    sigma = math.sqrt(math.log(1 + cv * cv))
    return value * math.exp(rng.gauss(-sigma * sigma / 2, sigma))


def diurnal(ts: datetime, depth: float = 0.15) -> float:
    """A slow daily traffic wave around 1.0 (peak mid-afternoon UTC)."""
    hours = ts.hour + ts.minute / 60
    return 1.0 + depth * math.sin((hours - 9) / 24 * 2 * math.pi)


def ramp(ts: datetime, start: datetime, end: datetime | None, rise: timedelta) -> float:
    """0 before ``start``, rising linearly to 1 over ``rise``, back to 0 at ``end``."""
    if ts < start or (end is not None and ts >= end):
        return 0.0
    if rise.total_seconds() <= 0:
        return 1.0
    return min(1.0, (ts - start) / rise + 1e-9)


def tag(key: str, value: str | None = None) -> Json:
    """A classic entity tag."""
    text = key if value is None else f"{key}:{value}"
    out: Json = {"context": "CONTEXTLESS", "key": key, "stringRepresentation": text}
    if value is not None:
        out["value"] = value
    return out


def entity_ref(eid: str, name: str) -> Json:
    """An entity reference as the Problems API writes it."""
    return {"entityId": {"id": eid, "type": eid.rsplit("-", 1)[0]}, "name": name}


class Topology:
    """Entities with symmetric relationships (``fromRelationships`` / ``toRelationships``)."""

    def __init__(self, first_seen: datetime, last_seen: datetime, zone: Json, tags: Sequence[Json]) -> None:
        self.entities: dict[str, Json] = {}
        self.by_name: dict[str, str] = {}
        self._first_seen = first_seen
        self._last_seen = last_seen
        self._zone = zone
        self._tags = list(tags)

    def add(
        self,
        kind: str,
        name: str,
        *,
        key: str | None = None,
        properties: Json | None = None,
        tags: Iterable[Json] = (),
        age_days: int = 120,
    ) -> str:
        """Add an entity; ``key`` (default ``name``) is how the generator refers to it."""
        eid = entity_id(kind, name)
        self.entities[eid] = {
            "entityId": eid,
            "type": kind,
            "displayName": name,
            "firstSeenTms": epoch_ms(self._first_seen - timedelta(days=age_days)),
            "lastSeenTms": epoch_ms(self._last_seen),
            "properties": properties or {},
            "tags": [*self._tags, *tags],
            "managementZones": [self._zone],
            "fromRelationships": {},
            "toRelationships": {},
        }
        self.by_name[key or name] = eid
        return eid

    def link(self, src: str, relation: str, dst: str) -> None:
        """``src`` --relation--> ``dst`` (both sides recorded, as the Entities API shows them)."""
        a, b = self.entities[src], self.entities[dst]
        out = a["fromRelationships"].setdefault(relation, [])
        if not any(r["id"] == dst for r in out):
            out.append({"id": dst, "type": b["type"]})
        inc = b["toRelationships"].setdefault(relation, [])
        if not any(r["id"] == src for r in inc):
            inc.append({"id": src, "type": a["type"]})

    def id(self, key: str) -> str:
        return self.by_name[key]

    def name(self, eid: str) -> str:
        return str(self.entities[eid]["displayName"])

    def listing(self) -> list[Json]:
        return list(self.entities.values())


def series(
    key: str, dims: Json, start: datetime, interval: str, values: Sequence[float | None], unit: str
) -> Json:
    """One ``metrics.jsonl`` line, values rounded to what a tenant would show."""
    return {
        "metric.key": key,
        "dimensions": dims,
        "start": iso_s(start),
        "interval": interval,
        "unit": unit,
        "values": [None if v is None else round(v, 2) for v in values],
    }


@dataclass
class CaseBundle:
    """Everything one case folder holds."""

    case: Json
    entities: list[Json]
    problems: list[Json]
    events: list[Json] = field(default_factory=list)
    logs: list[Json] = field(default_factory=list)
    spans: list[Json] = field(default_factory=list)
    metrics: list[Json] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.case["id"])


def case_rng(case_id: str, seed: int | None) -> random.Random:
    """The case's random source: seeded by its id (the committed set), or by id and ``seed``."""
    return random.Random(case_id if seed is None else f"{case_id}#{seed}")


def case_json(
    *,
    case_id: str,
    title: str,
    description: str,
    now: datetime,
    problem: str,
    root_cause: Json,
    category: str,
    change_event_id: str | None,
    facts: Sequence[str],
    tags: Sequence[str],
) -> Json:
    """``case.json`` in the incident-case format."""
    return {
        "format": FORMAT,
        "id": case_id,
        "title": title,
        "description": description,
        "now": iso_s(now),
        "problem": problem,
        "expected": {
            "root_cause": root_cause,
            "category": category,
            "change_event_id": change_event_id,
            "facts": list(facts),
        },
        "tags": list(tags),
        "source": {
            "dataset": "generated",
            "licence": "same as the project",
            "reference": f"evals/generators/alt (seeded generator, case {case_id})",
        },
    }


def write_case(root: Path, bundle: CaseBundle) -> Path:
    """Write one case folder (replacing it) through the project's one case writer."""
    writer = CaseWriter(
        root,
        compress_above=None,
        compress_above_bytes=GZIP_ABOVE_BYTES,
        compresslevel=9,
        array_indent=1,
        overwrite=True,
    )
    tenant: dict[str, list[Json]] = {"entities": bundle.entities, "problems": bundle.problems}
    for table in JSONL_TABLES:
        rows: list[Json] = getattr(bundle, table)
        if rows:
            tenant[table] = rows
    return writer.write(bundle.case, tenant).path
