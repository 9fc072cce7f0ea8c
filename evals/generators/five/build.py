"""Tenant builder shared by the fifth case generator: ids, entities, series, records, problems.

The generator imitates an outside converter turning public research datasets into incident
cases, so every helper here emits only the shapes the incident-case spec promises and keeps
randomness in one seeded :class:`random.Random` per case (the output must be reproducible).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent.case import CaseWriter

FORMAT = "dynatrace-agent/incident-case@1"


def iso(t: datetime) -> str:
    """Grail-style UTC timestamp with milliseconds and a ``Z`` suffix."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ms(t: datetime) -> int:
    """Epoch milliseconds, as the classic APIs carry them."""
    return int(t.timestamp() * 1000)


@dataclass
class Tenant:
    """Accumulates the tables of one case and writes them in the spec's layout."""

    case_id: str
    seed: int
    rng: random.Random = field(init=False)
    entities: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        digest = hashlib.sha256(f"{self.seed}:{self.case_id}".encode()).hexdigest()
        self.rng = random.Random(int(digest[:16], 16))

    def hex_id(self, label: str, width: int = 16) -> str:
        """Stable upper-case hex derived from the seed, case and a label."""
        return hashlib.sha256(f"{self.seed}/{self.case_id}/{label}".encode()).hexdigest()[:width].upper()

    def entity(self, etype: str, name: str, **extra: Any) -> str:
        """Add an entity and return its id (``TYPE-<16 hex>``)."""
        eid = f"{etype}-{self.hex_id(etype + name)}"
        record: dict[str, Any] = {"entityId": eid, "type": etype, "displayName": name}
        record.update(extra)
        self.entities.append(record)
        self._by_id[eid] = record
        return eid

    def relate(self, src: str, kind: str, dst: str, side: str) -> None:
        """Record ``src --kind--> dst`` on the source (``from``), target (``to``) or ``both``."""
        if side in ("from", "both"):
            rels = self._by_id[src].setdefault("fromRelationships", {})
            rels.setdefault(kind, []).append({"id": dst, "type": self._by_id[dst]["type"]})
        if side in ("to", "both"):
            rels = self._by_id[dst].setdefault("toRelationships", {})
            rels.setdefault(kind, []).append({"id": src, "type": self._by_id[src]["type"]})

    def stub(self, eid: str) -> dict[str, Any]:
        """EntityStub as problems carry it."""
        rec = self._by_id[eid]
        return {"entityId": {"id": eid, "type": rec["type"]}, "name": rec["displayName"]}

    def series(
        self,
        key: str,
        dims: dict[str, str],
        start: datetime,
        interval: str,
        values: list[float | None],
        unit: str | None = None,
    ) -> None:
        line: dict[str, Any] = {
            "metric.key": key,
            "dimensions": dims,
            "start": iso(start).replace(".000Z", "Z"),
        }
        line["interval"] = interval
        if unit is not None:
            line["unit"] = unit
        line["values"] = values
        self.metrics.append(line)

    def record(self, table: str, rec: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(rec)

    def noisy(self, base: float, n: int, rel: float, gaps: float = 0.0) -> list[float | None]:
        """``n`` samples around ``base`` with relative jitter and occasional gaps."""
        out: list[float | None] = []
        for _ in range(n):
            if gaps and self.rng.random() < gaps:
                out.append(None)
            else:
                out.append(round(max(0.0, base * (1 + self.rng.gauss(0, rel))), 2))
        return out

    def write(self, root: Path, meta: dict[str, Any], gz: tuple[str, ...] = ()) -> None:
        """Write ``case.json`` and ``tenant/``; tables named in ``gz`` are gzip-compressed."""
        tables: dict[str, list[dict[str, Any]]] = {
            name: rows for name, rows in (("entities", self.entities), ("problems", self.problems)) if rows
        }
        tables.update(self.tables)
        if self.metrics:
            tables["metrics"] = self.metrics
        writer = CaseWriter(root.parent, compress_above=None, compresslevel=9, array_indent=1, overwrite=True)
        writer.write_at(root, meta, tables, compress=gz)


def problem_id(t: Tenant, start: datetime) -> str:
    return f"{int(t.hex_id('problem', 15), 16) % 10**19}_{ms(start)}V2"


def event_id(t: Tenant, label: str, at: datetime) -> str:
    return f"{int(t.hex_id('event' + label, 15), 16) % 10**19}_{ms(at)}"


def minutes(start: datetime, i: int, step: int) -> datetime:
    return start + timedelta(minutes=i * step)
