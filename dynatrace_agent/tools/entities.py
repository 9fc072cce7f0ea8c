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
        description="SERVICE, HOST, PROCESS_GROUP, APPLICATION, ...",
    )
    entity_ids: list[OneLine] = Field(
        default_factory=list,
        max_length=100,
    )
    name: OneLine | None = Field(default=None, max_length=200)
    name_starts_with: OneLine | None = Field(default=None, max_length=200)
    tags: list[OneLine] = Field(
        default_factory=list,
        max_length=20,
    )
    calls: OneLine | None = Field(default=None, description="Callers of this entity id.")
    called_by: OneLine | None = Field(default=None, description="Callees of this entity id.")
    runs_on: OneLine | None = Field(default=None, description="Entities on this host or process group id.")
    timeframe_start: str = Field(default="now-3d", description="Seen since.")
    max_entities: int = Field(default=100, ge=1, le=2000)


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
        "Find entities (services, hosts...) by type, name, tag or relation: ids for the other tools, "
        "topology."
    ),
    args_schema=ListEntitiesArgs,
    run=_run,
)
