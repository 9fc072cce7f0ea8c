"""The case's monitored entities, indexed for ``entitySelector`` evaluation.

Relationships are indexed from both ends: a case may record ``calls`` only on the caller
(``fromRelationships``) or only on the callee (``toRelationships``), and a real tenant answers
the same either way. Health is what the tenant would show: an entity named by an OPEN problem
is UNHEALTHY unless the case says otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dynatrace_agent.simulator.clock import TimeParseError, epoch_ms, parse_time
from dynatrace_agent.simulator.selectors import Criterion, SelectorError, parse_selector
from dynatrace_agent.simulator.tags import parse_tag, record_tags

__all__ = ["EntityIndex", "problem_entity_ids", "relationship_ids"]

_TIME_OPS = {"lt", "lte", "gt", "gte"}
_NAME_OPS = {"equals", "startsWith", "in", "contains"}


def relationship_ids(targets: object) -> list[str]:
    """Entity ids of one relationship list (``[{id, type}]`` or plain id strings)."""
    if not isinstance(targets, list):
        return []
    ids: list[str] = []
    for target in targets:
        if isinstance(target, str):
            ids.append(target)
        elif isinstance(target, dict) and isinstance(target.get("id"), str):
            ids.append(target["id"])
    return ids


def problem_entity_ids(problem: dict[str, Any], *keys: str) -> set[str]:
    """Entity ids a problem names under ``affectedEntities``/``impactedEntities``/``rootCauseEntity``."""
    ids: set[str] = set()
    for key in keys or ("affectedEntities", "impactedEntities", "rootCauseEntity"):
        raw = problem.get(key)
        stubs = raw if isinstance(raw, list) else [raw]
        for stub in stubs:
            if isinstance(stub, dict):
                ident = stub.get("entityId")
                if isinstance(ident, dict) and isinstance(ident.get("id"), str):
                    ids.add(ident["id"])
                elif isinstance(ident, str):
                    ids.add(ident)
    return ids


class EntityIndex:
    """Entities by id plus both-direction relationship maps; evaluates entity selectors."""

    def __init__(self, entities: list[dict[str, Any]], problems: list[dict[str, Any]], now: datetime) -> None:
        self.entities = entities
        self.now = now
        self.by_id = {e["entityId"]: e for e in entities}
        self.outgoing: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.incoming: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for entity in entities:
            me = entity["entityId"]
            for rel, targets in (entity.get("fromRelationships") or {}).items():
                for other in relationship_ids(targets):
                    self.outgoing[rel][me].add(other)
                    self.incoming[rel][other].add(me)
            for rel, sources in (entity.get("toRelationships") or {}).items():
                for other in relationship_ids(sources):
                    self.incoming[rel][me].add(other)
                    self.outgoing[rel][other].add(me)
        self.unhealthy: set[str] = set()
        for problem in problems:
            if str(problem.get("status", "")).upper() == "OPEN":
                self.unhealthy |= problem_entity_ids(problem)

    # -- public -------------------------------------------------------------------------

    def select(self, selector: str) -> list[dict[str, Any]]:
        """Entities matching a top-level selector, in case order; SelectorError if malformed."""
        criteria = parse_selector(selector)
        if not any(c.name in ("type", "entityId") for c in criteria):
            raise SelectorError('an entitySelector must contain a type("…") or entityId("…") criterion', 0)
        self._validate(criteria)
        return list(self._filter(self.entities, criteria))

    def health(self, entity: dict[str, Any]) -> str:
        """HEALTHY or UNHEALTHY, preferring what the case states."""
        stated = entity.get("healthState") or (entity.get("properties") or {}).get("healthState")
        if isinstance(stated, str) and stated:
            return stated.upper()
        return "UNHEALTHY" if entity["entityId"] in self.unhealthy else "HEALTHY"

    # -- evaluation ---------------------------------------------------------------------

    def _validate(self, criteria: Iterable[Criterion]) -> None:
        for criterion in criteria:
            if criterion.name == "not":
                if len(criterion.criteria()) != 1 or criterion.strings():
                    raise SelectorError("not(...) takes exactly one criterion", criterion.position)
                if criterion.criteria()[0].name == "type":
                    raise SelectorError("type(...) cannot be negated", criterion.position)
            if criterion.name == "entityId":
                types = {ident.rsplit("-", 1)[0] for ident in criterion.strings() if "-" in ident}
                if len(types) > 1:
                    raise SelectorError(
                        "all entityId(...) values must be of the same type", criterion.position
                    )
            if not criterion.args and not criterion.name.endswith(".exists"):
                raise SelectorError(f"{criterion.name}(...) needs at least one value", criterion.position)
            self._validate(criterion.criteria())

    def _filter(self, pool: Iterable[dict[str, Any]], criteria: list[Criterion]) -> Iterable[dict[str, Any]]:
        checks = [self._compile(c, case_sensitive=False) for c in criteria]
        return (e for e in pool if all(check(e) for check in checks))

    def _compile(self, crit: Criterion, *, case_sensitive: bool) -> Any:
        name, values = crit.name, crit.strings()
        head, _, op = name.partition(".")

        def norm(text: object) -> str:
            return str(text) if case_sensitive else str(text).casefold()

        if name == "type":
            wanted_types = {v.upper() for v in values}
            return lambda e: str(e.get("type", "")).upper() in wanted_types
        if name == "entityId":
            wanted_ids = set(values)
            return lambda e: e["entityId"] in wanted_ids
        if name == "not":
            inner = self._compile(crit.criteria()[0], case_sensitive=case_sensitive)
            return lambda e: not inner(e)
        if name == "caseSensitive":
            if len(crit.criteria()) != 1:
                raise SelectorError(
                    "caseSensitive(...) wraps exactly one entityName criterion", crit.position
                )
            return self._compile(crit.criteria()[0], case_sensitive=True)
        if head == "entityName" and (not op or op in _NAME_OPS):
            targets = [norm(v) for v in values]
            if op in ("", "contains"):
                return lambda e: any(t in norm(e.get("displayName", "")) for t in targets)
            if op == "startsWith":
                return lambda e: any(norm(e.get("displayName", "")).startswith(t) for t in targets)
            return lambda e: norm(e.get("displayName", "")) in targets
        if name == "tag":
            patterns = [parse_tag(v) for v in values]
            return lambda e: any(p.matches(t) for t in record_tags(e.get("tags")) for p in patterns)
        if name == "healthState":
            states = {v.upper() for v in values}
            bad = states - {"HEALTHY", "UNHEALTHY"}
            if bad:
                raise SelectorError(
                    f"healthState must be HEALTHY or UNHEALTHY, not {sorted(bad)}", crit.position
                )
            return lambda e: self.health(e) in states
        if name in ("mzId", "mzName"):
            field = "id" if name == "mzId" else "name"
            zones = {norm(v) for v in values}
            return lambda e: any(
                isinstance(z, dict) and norm(z.get(field, "")) in zones
                for z in e.get("managementZones") or []
            )
        if head in ("firstSeenTms", "lastSeenTms") and op in _TIME_OPS:
            return self._time_check(crit, head, op)
        if head in ("fromRelationships", "toRelationships") and op:
            if not crit.criteria():
                raise SelectorError(
                    f'{name}(...) needs a nested selector such as type("HOST")', crit.position
                )
            nested = {e["entityId"] for e in self._filter(self.entities, crit.criteria())}
            edges = self.outgoing if head == "fromRelationships" else self.incoming
            rel_map = edges.get(op, {})
            return lambda e: bool(rel_map.get(e["entityId"], set()) & nested)
        if op == "exists" and head:
            return lambda e: _property(e, head) is not None
        if not op and values:
            wanted = {norm(v) for v in values}
            return lambda e: _property_matches(_property(e, head), wanted, norm)
        raise SelectorError(f"unknown entitySelector criterion {name!r}", crit.position)

    def _time_check(self, crit: Criterion, head: str, op: str) -> Any:
        try:
            limit = epoch_ms(parse_time(crit.strings()[0], self.now))
        except (TimeParseError, IndexError) as exc:
            raise SelectorError(f"{crit.name}(...): {exc}", crit.position) from None

        def check(entity: dict[str, Any]) -> bool:
            value = entity.get(head)
            if not isinstance(value, int | float):
                return False
            return {"lt": value < limit, "lte": value <= limit, "gt": value > limit, "gte": value >= limit}[
                op
            ]

        return check


def _property(entity: dict[str, Any], name: str) -> Any:
    """A property by name, case-insensitively, from ``properties`` or the entity itself."""
    props = entity.get("properties") or {}
    if name in props:
        return props[name]
    lowered = name.casefold()
    for key, value in props.items():
        if key.casefold() == lowered:
            return value
    return entity.get(name)


def _property_matches(value: Any, wanted: set[str], norm: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, list):
        return any(norm(v) in wanted for v in value)
    if isinstance(value, bool):
        return norm(str(value).lower()) in wanted
    return norm(value) in wanted
