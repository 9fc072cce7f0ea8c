"""Monitored entities → a compact table and their topology (who calls whom, what runs where).

Each row says what the entity *is* from its properties — service type, technology, Kubernetes
namespace and workload — since that is what a reader asks next ("is payment the Java service
in the payments namespace?"). Application services come first and the most connected first,
so a budget cut drops databases and leaf services before the services an incident is about.
Relationship names follow the Entities API (``calls``, ``runsOn``, ``isProcessOf``, …); ids of
entities outside the result are kept as ids so the model can look them up next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from dynatrace_agent.summarise._common import Record, counts_line, label
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, Section, fit_sections, table_section, top_n

__all__ = ["entity_details", "relationships", "summarise_entities"]

#: Service types listed after application services (their callers usually matter more).
_BACKEND_TYPES = {"DATABASE_SERVICE", "MESSAGING_SERVICE", "QUEUE_LISTENER_SERVICE"}


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


def _texts(value: object, limit: int = 2) -> list[str]:
    """Strings from a property that is a string, a list of strings or ``[{type, version}]``."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            text = " ".join(str(item[k]) for k in ("type", "version") if item.get(k))
        else:
            text = str(item) if item not in (None, "") else ""
        if text and text not in out:
            out.append(text)
    return out[:limit]


def _first(props: Mapping[str, object], *keys: str) -> str | None:
    for key in keys:
        value = props.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def entity_details(entity: Record) -> str:
    """``WEB_SERVICE, external; Java, Spring Boot; ns payments, workload payment`` from its properties."""
    props = entity.get("properties")
    if not isinstance(props, Mapping):
        return ""
    kind = [
        k
        for k in (_first(props, "serviceType"), _first(props, "osType"), _first(props, "applicationType"))
        if k
    ]
    if props.get("isExternalService") is True:
        kind.append("external")
    tech = (
        _texts(props.get("serviceTechnologyTypes"))
        or _texts(props.get("softwareTechnologies"))
        or [
            t for t in (_first(props, "databaseVendor", "messagingSystemVendor", "agentTechnologyType"),) if t
        ]
    )
    place = []
    namespace = _first(props, "kubernetesNamespace", "namespaceName", "k8s.namespace.name")
    workload = _first(props, "workloadName", "kubernetesWorkload", "k8s.workload.name")
    if namespace:
        place.append(f"ns {namespace}")
    if workload:
        place.append(f"workload {workload}")
    return "; ".join(", ".join(part) for part in (kind, tech, place) if part)


def _order(entity: Record) -> tuple[bool, int]:
    props = entity.get("properties")
    backend = isinstance(props, Mapping) and (
        props.get("serviceType") in _BACKEND_TYPES or props.get("isExternalService") is True
    )
    return (backend, -len(relationships(entity)))


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
    ordered = sorted(records, key=_order)
    one_type = len(types) == 1
    rows = [
        [
            r.get("entityId"),
            *([] if one_type else [r.get("type")]),
            r.get("displayName"),
            entity_details(r),
            _tags(r),
            len(relationships(r)),
        ]
        for r in ordered[: top_n(budget, per_item=80, high=200)]
    ]
    columns = ["entityId", *([] if one_type else ["type"]), "name", "what it is", "tags", "relations"]
    table = table_section(None, columns, rows, noun="entities", total=overall, max_cell_chars=90)
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
        shown = edges[: top_n(budget, per_item=150)]
        sections.append(Section("Topology:", shown, noun="relationships", total=len(edges)))
    return fit_sections(headline, sections, budget=budget, narrow=narrow)
