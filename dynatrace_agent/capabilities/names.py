"""Display names for entity ids seen in query results (metric dimensions, span fields).

Grail results carry ``dt.entity.*`` ids; a table of bare ``SERVICE-…`` ids tells a reader
nothing. One Entities API request resolves up to ``MAX_IDS`` of them. Names are a courtesy:
when the lookup fails (no ``entities.read``, a classic-plane outage) the ids are still right,
so the failure is swallowed and the summary keeps the ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dynatrace_agent.capabilities.selectors import quoted_list
from dynatrace_agent.errors import DynatraceAgentError

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["MAX_IDS", "display_names", "entity_ids_in"]

#: Ids per lookup: an entityId selector of this many stays well under its 2,000 characters.
MAX_IDS = 60
_ENTITY_ID = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9A-F]{16}$")


def entity_ids_in(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Distinct entity ids found in the ``dt.entity.*`` fields of ``records``, in order of appearance."""
    seen: dict[str, None] = {}
    for record in records:
        for key, value in record.items():
            if key.startswith("dt.entity.") and isinstance(value, str) and _ENTITY_ID.match(value):
                seen.setdefault(value, None)
    return list(seen)


async def display_names(client: DynatraceClient, ids: Iterable[str]) -> dict[str, str]:
    """``{entity id: display name}`` for up to ``MAX_IDS`` ids; empty when the lookup fails."""
    wanted = [i for i in dict.fromkeys(ids) if _ENTITY_ID.match(i)][:MAX_IDS]
    if not wanted:
        return {}
    names: dict[str, str] = {}
    try:
        async for item in client.environment.list_entities(
            f"entityId({quoted_list(wanted)})", from_="now-365d", max_items=len(wanted)
        ):
            if isinstance(item.get("entityId"), str) and isinstance(item.get("displayName"), str):
                names[item["entityId"]] = item["displayName"]
    except DynatraceAgentError:
        return {}
    return names
