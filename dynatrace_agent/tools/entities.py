"""Smartscape entities: find services, hosts, applications and how they connect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from dynatrace_agent.capabilities import CapabilityResult, list_entities
from dynatrace_agent.tools.base import OneLine, ToolArgs, ToolSpec

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["LIST_ENTITIES", "ListEntitiesArgs"]


class ListEntitiesArgs(ToolArgs):
    """Which entities to list."""

    entity_type: OneLine | None = Field(
        default=None,
        max_length=80,
        description=(
            "Entity type: SERVICE, HOST, PROCESS_GROUP, APPLICATION, KUBERNETES_CLUSTER… (needed unless "
            "entity_ids are given)."
        ),
    )
    entity_ids: list[OneLine] = Field(
        default_factory=list,
        max_length=100,
        description="Specific entity ids, e.g. ['SERVICE-5647DB217B04C447'].",
    )
    name: OneLine | None = Field(
        default=None, max_length=200, description="Exact display name, e.g. 'checkout'."
    )
    name_starts_with: OneLine | None = Field(
        default=None, max_length=200, description="Display-name prefix, e.g. 'check'."
    )
    tags: list[OneLine] = Field(
        default_factory=list,
        max_length=20,
        description="Only entities with these tags, e.g. 'team:web' or 'prod'.",
    )
    calls: OneLine | None = Field(
        default=None, description="Only entities that call this entity id (its callers), e.g. a SERVICE-… id."
    )
    called_by: OneLine | None = Field(
        default=None, description="Only entities called by this entity id (its dependencies)."
    )
    runs_on: OneLine | None = Field(
        default=None, description="Only entities running on this host entity id (HOST-…)."
    )
    timeframe_start: str = Field(
        default="now-3d", description="Only entities seen since then: now-3d, now-2h or an ISO timestamp."
    )
    max_entities: int = Field(default=100, ge=1, le=2000, description="At most this many entities.")


async def _run(client: DynatraceClient, args: ListEntitiesArgs) -> CapabilityResult[Any]:
    return await list_entities(
        client,
        entity_type=args.entity_type,
        entity_ids=args.entity_ids,
        name=args.name,
        name_starts_with=args.name_starts_with,
        tags=args.tags,
        calls=args.calls,
        called_by=args.called_by,
        runs_on=args.runs_on,
        timeframe=args.timeframe_start,
        max_entities=args.max_entities,
    )


LIST_ENTITIES = ToolSpec(
    name="dynatrace_list_entities",
    capability="entities",
    description=(
        "Find monitored entities (Smartscape) by type, name, tag or relationship: which services call a "
        "service, "
        "what it calls, what runs on a host. Returns entity ids (needed by the other tools), names, tags "
        "and a "
        "compact topology."
    ),
    args_schema=ListEntitiesArgs,
    run=_run,
)
