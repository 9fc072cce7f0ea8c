"""Monitored entities → a compact table and their topology (who calls whom, what runs where).

Relationship names follow the Entities API (``calls``, ``runsOn``, ``isProcessOf``, …); ids of
entities outside the result are kept as ids so the model can look them up next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from dynatrace_agent.summarise._common import Record, counts_line, label
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, Section, fit_sections, table_section, top_n

__all__ = ["relationships", "summarise_entities"]


def relationships(entity: Record) -> list[tuple[str, str, str]]:
    """``(direction, relation, other id)`` for every from/to relationship of ``entity``."""
    edges: list[tuple[str, str, str]] = []
    for direction, key in (("from", "fromRelationships"), ("to", "toRelationships")):
        rels = entity.get(key)
        if not isinstance(rels, Mapping):
            continue
        for rel, targets in sorted(rels.items()):
            if not isinstance(targets, list):
                continue
            for target in targets:
                other = target.get("id") if isinstance(target, Mapping) else target
                if other:
                    edges.append((direction, str(rel), str(other)))
    return edges


def _tags(entity: Record) -> str:
    tags = entity.get("tags")
    if not isinstance(tags, list):
        return ""
    shown = [
        str(t.get("stringRepresentation") or t.get("key")) if isinstance(t, Mapping) else str(t)
        for t in tags[:3]
    ]
    return ", ".join(shown) + (f" +{len(tags) - 3}" if len(tags) > 3 else "")


def summarise_entities(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    total: int | None = None,
    narrow: str | None = "type, name, tag or a relationship to one entity id",
) -> str:
    """A table of entities (id, type, name, tags) and a list of their relationships."""
    overall = total if total is not None else len(records)
    if not records:
        return fit_sections(
            "No entities matched. Check the type (SERVICE, HOST, PROCESS_GROUP, APPLICATION, …), "
            "try name_starts_with instead of an exact name, or widen the timeframe.",
            [],
            budget=budget,
        )
    types = Counter(str(r.get("type") or str(r.get("entityId", "?")).split("-")[0]) for r in records)
    names = {str(r.get("entityId")): str(r.get("displayName") or "") for r in records}
    headline = f"{overall:,} entities ({counts_line(types)})"
    rows = [
        [r.get("entityId"), r.get("type"), r.get("displayName"), _tags(r), len(relationships(r))]
        for r in records[: top_n(budget)]
    ]
    table = table_section(
        None, ["entityId", "type", "name", "tags", "relations"], rows, noun="entities", total=overall
    )
    edges: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for r in records:
        me = str(r.get("entityId"))
        for direction, rel, other in relationships(r):
            # Each edge appears once, written from its source's point of view.
            source, target = (me, other) if direction == "from" else (other, me)
            key = (source, rel, target)
            if key in seen:
                continue
            seen.add(key)
            edges.append(f"- {label(source, names.get(source))} {rel} {label(target, names.get(target))}")
    sections = [table]
    if edges:
        shown = edges[: top_n(budget, per_item=60)]
        sections.append(Section("Topology:", shown, noun="relationships", total=len(edges)))
    return fit_sections(headline, sections, budget=budget, narrow=narrow)
