"""Shared plumbing for the converter-style case generator.

The converter author this generator imitates maps research datasets into the case format
with the least effort: ids come from hashing names, timestamps from offsets, and every
record carries only the fields the spec promises plus whatever the raw data had. The
helpers here keep those choices in one place so each case can switch them per flag.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent.case import CaseWriter

FORMAT = "dynatrace-agent/incident-case@1"


def hashed_id(prefix: str, name: str, salt: str = "") -> str:
    """A Dynatrace-looking id derived from a name, as a lazy converter would build it."""
    digest = hashlib.sha1(f"{salt}{name}".encode()).hexdigest()[:16].upper()
    return f"{prefix}-{digest}"


def iso(ts: datetime) -> str:
    """Grail timestamp with millisecond precision and a Z suffix."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def epoch_ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass
class Tenant:
    """Tables of one case before they are written; lists of JSON-ready dicts."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CaseMeta:
    """What goes into case.json, with the labelled truth."""

    case_id: str
    title: str
    description: str
    now: datetime
    problem: str
    root_id: str
    root_name: str | list[str]
    category: str
    change_event_id: str | None
    facts: list[str]
    tags: list[str]
    dataset: str


def entity_stub(entity: dict[str, Any]) -> dict[str, Any]:
    return {
        "entityId": {"id": entity["entityId"], "type": entity["type"]},
        "name": entity["displayName"],
    }


def link_calls(entities: dict[str, dict[str, Any]], edges: list[tuple[str, str]], style: str) -> None:
    """Add `calls` relationships; style is "from", "to" or "both" (a converter's choice)."""
    for caller, callee in edges:
        a, b = entities[caller], entities[callee]
        if style in ("from", "both"):
            a.setdefault("fromRelationships", {}).setdefault("calls", []).append(
                {"id": b["entityId"], "type": b["type"]}
            )
        if style in ("to", "both"):
            b.setdefault("toRelationships", {}).setdefault("calls", []).append(
                {"id": a["entityId"], "type": a["type"]}
            )


def series(
    key: str, dims: dict[str, str], start: datetime, interval: str, values: Sequence[float | None]
) -> dict[str, Any]:
    return {
        "metric.key": key,
        "dimensions": dims,
        "start": iso(start).replace(".000Z", "Z"),
        "interval": interval,
        "values": [None if v is None else round(v, 3) for v in values],
    }


def noisy(rng: random.Random, base: float, n: int, rel: float) -> list[float]:
    return [max(0.0, base * (1.0 + rng.gauss(0.0, rel))) for _ in range(n)]


def _sorted(value: Any) -> Any:
    """``value`` with every object's keys in sorted order (this converter's spelling of records)."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def write_case(out: Path, meta: CaseMeta, tenant: Tenant, gz: tuple[str, ...] = ()) -> Path:
    """Write one case folder; empty tables are left out (the spec allows it)."""
    case = {
        "format": FORMAT,
        "id": meta.case_id,
        "title": meta.title,
        "description": meta.description,
        "now": iso(meta.now).replace(".000Z", "Z"),
        "problem": meta.problem,
        "expected": {
            "root_cause": {"entity_id": meta.root_id, "name": meta.root_name},
            "category": meta.category,
            "change_event_id": meta.change_event_id,
            "facts": meta.facts,
        },
        "tags": meta.tags,
        "source": {
            "dataset": meta.dataset,
            "licence": "same as the project",
            "reference": "synthetic stand-in shaped like a programmatic dataset conversion",
        },
    }
    tables: dict[str, list[dict[str, Any]]] = {"entities": tenant.entities, "problems": tenant.problems}
    for name, rows in (
        ("events", tenant.events),
        ("logs", tenant.logs),
        ("spans", tenant.spans),
        ("metrics", tenant.metrics),
    ):
        if rows:
            tables[name] = [_sorted(row) for row in rows]
    writer = CaseWriter(out, compress_above=None, compresslevel=9, array_indent=1, overwrite=True)
    return writer.write(case, tables, compress=gz).path
