"""Smartscape entities through the classic Entities API with a safely built ``entitySelector``.

Relationship filters answer topology questions: which services call X (``calls``), which X
calls (``called_by``), what runs on host X (``runs_on``). :class:`Relationship` criteria take a
whole nested selector, so one request can ask for e.g. the services called by any of several
services, or (nested once more) by the services those call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities.base import CapabilityResult, Int, Record, Text, check_limit, to_models
from dynatrace_agent.capabilities.selectors import (
    Relationship,
    classic_time,
    entity_ids,
    entity_type,
    quoted_list,
    selector_value,
)
from dynatrace_agent.dql import entity_id
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.summarise.entities import summarise_entities

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "Entity", "Relationship", "build_entity_selector", "list_entities"]

CAPABILITY = "entities"
FIELDS = ("tags", "fromRelationships", "toRelationships", "properties", "lastSeenTms")
#: Where a name is looked for when no type is given: what people name in an incident.
NAME_SEARCH_TYPES = (
    "SERVICE",
    "PROCESS_GROUP",
    "HOST",
    "APPLICATION",
    "CLOUD_APPLICATION",
    "CLOUD_APPLICATION_NAMESPACE",
    "KUBERNETES_CLUSTER",
)


class Entity(Record):
    """A monitored entity as the Entities API v2 returns it."""

    entity_id: Text = Field(default=None, alias="entityId")
    type: Text = None
    display_name: Text = Field(default=None, alias="displayName")
    tags: list[dict[str, Any]] = Field(default_factory=list)
    from_relationships: dict[str, Any] = Field(default_factory=dict, alias="fromRelationships")
    to_relationships: dict[str, Any] = Field(default_factory=dict, alias="toRelationships")
    last_seen_tms: Int = Field(default=None, alias="lastSeenTms")


def build_entity_selector(
    *,
    type_: str | None = None,
    ids: Sequence[str] = (),
    name: str | None = None,
    name_starts_with: str | None = None,
    tags: Sequence[str] = (),
    calls: str | None = None,
    called_by: str | None = None,
    runs_on: str | None = None,
    related: Sequence[Relationship] = (),
) -> str:
    """An ``entitySelector``: it starts with ``type(...)`` or ``entityId(...)`` as the API requires."""
    parts: list[str] = []
    if ids:
        parts.append(f"entityId({quoted_list(entity_ids(ids))})")
        if type_:
            parts.append(f"type({selector_value(entity_type(type_))})")
    elif type_:
        parts.append(f"type({selector_value(entity_type(type_))})")
    else:
        raise InvalidArgumentError(
            "give an entity type (SERVICE, HOST, PROCESS_GROUP, APPLICATION, …), a name or ids"
        )
    if name:
        parts.append(f"entityName.equals({selector_value(name)})")
    if name_starts_with:
        parts.append(f"entityName.startsWith({selector_value(name_starts_with)})")
    for tag in tags:
        parts.append(f"tag({selector_value(tag)})")
    # fromRelationships.calls(X): the entity calls X; toRelationships.calls(X): X calls the entity.
    if calls:
        parts.append(f'fromRelationships.calls(entityId("{entity_id(calls)}"))')
    if called_by:
        parts.append(f'toRelationships.calls(entityId("{entity_id(called_by)}"))')
    if runs_on:
        target = entity_id(runs_on)
        relation = runs_on_relationship(type_, target)
        parts.append(f'fromRelationships.{relation}(entityId("{target}"))')
    for relationship in related:
        if not isinstance(relationship, Relationship):
            raise InvalidArgumentError(
                "related criteria must be Relationship(direction, name, selector) values"
            )
        parts.append(relationship.criterion())
    selector = ",".join(parts)
    if len(selector) > 2000:
        raise InvalidArgumentError(
            "the entity selector exceeds Dynatrace's 2000 characters; ask for fewer ids"
        )
    return selector


#: ``(entity type, type it runs on)`` → the Entities API relationship that links them
#: (checked against Dynatrace's api-client-python fixtures): a service runs on its process
#: group (``runsOn``) and on hosts (``runsOnHost``); a process instance is a process of a host
#: (``isProcessOf``) and an instance of its group (``isInstanceOf``); a process group runs on hosts.
_RUNS_ON = {
    ("SERVICE", "HOST"): "runsOnHost",
    ("SERVICE", "PROCESS_GROUP"): "runsOn",
    ("PROCESS_GROUP_INSTANCE", "HOST"): "isProcessOf",
    ("PROCESS_GROUP_INSTANCE", "PROCESS_GROUP"): "isInstanceOf",
    ("PROCESS_GROUP", "HOST"): "runsOn",
}


def runs_on_relationship(type_: str | None, target: str) -> str:
    """The relationship for "entities of ``type_`` running on ``target``" (an entity id)."""
    target_type = target.rsplit("-", 1)[0]
    kind = entity_type(type_) if type_ else None
    if kind is None:
        raise InvalidArgumentError(
            "runs_on needs an entity type: SERVICE (runsOnHost), PROCESS_GROUP_INSTANCE (isProcessOf) "
            "or PROCESS_GROUP (runsOn)"
        )
    relation = _RUNS_ON.get((kind, target_type))
    if relation is None:
        pairs = ", ".join(f"{a} on {b}" for a, b in _RUNS_ON)
        raise InvalidArgumentError(f"runs_on cannot link {kind} to {target_type}; supported: {pairs}")
    return relation


async def list_entities(
    client: DynatraceClient,
    *,
    entity_type: str | None = None,
    entity_ids: Sequence[str] = (),
    name: str | None = None,
    name_starts_with: str | None = None,
    tags: Sequence[str] = (),
    calls: str | None = None,
    called_by: str | None = None,
    runs_on: str | None = None,
    related: Sequence[Relationship] = (),
    timeframe: str = "now-3d",
    max_entities: int = 200,
) -> CapabilityResult[Entity]:
    """Entities matching the filters, with tags and relationships.

    With a name but no type and no ids, the name is looked up across ``NAME_SEARCH_TYPES``
    (one request per type, at the same time): the Entities API needs a type, and a user
    asking for "payment" should not have to know whether it is a service or a workload.
    """
    check_limit(max_entities, "max_entities", 1, 2000)
    by_name_only = not entity_type and not entity_ids and bool(name or name_starts_with)
    types: Sequence[str | None] = NAME_SEARCH_TYPES if by_name_only else (entity_type,)
    selectors = [
        build_entity_selector(
            type_=type_,
            ids=entity_ids,
            name=name,
            name_starts_with=name_starts_with,
            tags=tags,
            calls=calls,
            called_by=called_by,
            runs_on=runs_on,
            related=related,
        )
        for type_ in types
    ]
    start = classic_time(timeframe)
    calls_made = [f"GET /api/v2/entities?entitySelector={selector}&from={start}" for selector in selectors]

    async def fetch(selector: str) -> list[dict[str, Any]]:
        return [
            item
            async for item in client.environment.list_entities(
                selector, from_=start, fields=FIELDS, max_items=max_entities + 1
            )
        ]

    pages = await asyncio.gather(*(fetch(selector) for selector in selectors))
    raw: list[dict[str, Any]] = [item for page in pages for item in page]
    truncated = len(raw) > max_entities
    raw = raw[:max_entities]
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(Entity, raw),
        raw=raw,
        query=calls_made[0] if len(calls_made) == 1 else f"{len(calls_made)} requests, one per type",
        queries=calls_made,
        truncated=truncated,
        limits={"max_entities": max_entities},
        summariser=lambda budget: summarise_entities(raw, budget=budget),
    )
