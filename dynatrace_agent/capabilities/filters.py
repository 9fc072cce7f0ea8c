"""DQL conditions shared by the Grail capabilities: a service/host/entity by id or by name.

Users name things both ways ("checkout" or ``SERVICE-9A1B…``); an id filters the
``dt.entity.*`` field, a name the matching ``*.name`` field. Either way the value goes through
:mod:`dynatrace_agent.dql`, never pasted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dynatrace_agent.dql import Expr, entity_field, entity_id, eq, in_, or_

__all__ = ["LOOKS_LIKE_ID", "entities_condition", "named_condition"]

LOOKS_LIKE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[0-9A-Fa-f]{16}\Z")


def named_condition(value: str, *, id_field: str, name_field: str) -> Expr:
    """``id_field == "ID"`` for an entity id, else ``name_field == "name"``."""
    text = value.strip()
    if LOOKS_LIKE_ID.match(text):
        return eq(id_field, entity_id(text))
    return eq(name_field, text)


def entities_condition(ids: Sequence[str]) -> Expr:
    """Records about any of ``ids``: each id filters its own type's ``dt.entity.<type>`` field."""
    by_field: dict[str, list[str]] = {}
    for raw in ids:
        checked = entity_id(raw)
        by_field.setdefault(entity_field(checked), []).append(checked)
    return or_(*(in_(name, values) for name, values in sorted(by_field.items())))
