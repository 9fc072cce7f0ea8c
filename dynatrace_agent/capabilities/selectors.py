"""Safe classic-API selectors (``problemSelector``, ``entitySelector``) and times.

Selectors are a small language of their own: ``type("SERVICE"),entityName.equals("x")``.
Values are quoted, and inside quotes ``~`` escapes ``"`` and ``~`` itself, so a name such as
``a"),type("HOST`` stays one value. Enumerations (severity, impact, entity type) are checked
against their allowed words, entity ids against their format.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dynatrace_agent.dql import entity_id
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.models.enums import IMPACT_LEVELS, SEVERITY_LEVELS

__all__ = [
    "IMPACT_LEVELS",
    "SEVERITY_LEVELS",
    "Relationship",
    "check_selector",
    "classic_time",
    "entity_type",
    "relationship_name",
    "selector_value",
]

_TYPE = re.compile(r"[A-Z][A-Z0-9_]{1,80}\Z")
_REL_TIME = re.compile(r"(?:now)?-(\d{1,6})([smhdwMy])\Z")
_RELATION = re.compile(r"[a-z][A-Za-z0-9]{1,60}\Z")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?\Z")


def selector_value(value: str, *, max_chars: int = 200) -> str:
    """A quoted selector value with ``~`` and ``"`` escaped; control characters are rejected."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError("a selector value must be non-empty text")
    if len(value) > max_chars:
        raise InvalidArgumentError(f"selector values are limited to {max_chars} characters")
    if any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value):
        raise InvalidArgumentError("selector values must not contain line breaks or control characters")
    return '"' + value.replace("~", "~~").replace('"', '~"') + '"'


def entity_type(value: str) -> str:
    """An entity type such as ``SERVICE`` or ``PROCESS_GROUP_INSTANCE`` (upper-cased)."""
    candidate = value.strip().upper() if isinstance(value, str) else ""
    if not _TYPE.match(candidate):
        raise InvalidArgumentError(
            f"{value!r} is not an entity type; use e.g. SERVICE, HOST, PROCESS_GROUP, APPLICATION"
        )
    return candidate


def classic_time(value: str) -> str:
    """A classic API time: ``now``, ``now-2h`` (``-2h`` accepted), ISO-8601, or epoch ms."""
    text = value.strip() if isinstance(value, str) else ""
    if text == "now":
        return text
    relative = _REL_TIME.match(text)
    if relative:
        return f"now-{relative.group(1)}{relative.group(2)}"
    if _ISO.match(text) or re.fullmatch(r"\d{10,14}", text):
        return text
    raise InvalidArgumentError(f"{value!r} is not a time; use now-2h, -30m, now-7d or an ISO timestamp")


def quoted_list(values: Sequence[str]) -> str:
    """``"a","b"`` from checked values."""
    return ",".join(selector_value(v) for v in values)


def entity_ids(values: Sequence[str]) -> list[str]:
    """Validated entity ids."""
    return [entity_id(v) for v in values]


def relationship_name(value: str) -> str:
    """A Smartscape relationship such as ``calls``, ``runsOn`` or ``isNodeOf`` (checked, as given)."""
    candidate = value.strip() if isinstance(value, str) else ""
    if not _RELATION.match(candidate):
        raise InvalidArgumentError(
            f"{value!r} is not a relationship name; use e.g. calls, runsOn, runsOnHost, isNodeOf"
        )
    return candidate


def check_selector(text: str) -> str:
    """``text`` if it is one well-formed selector: quotes closed, parentheses balanced outside them.

    A nested selector goes inside ``fromRelationships.x(...)``; this check keeps it from closing
    that criterion early and smuggling in criteria of its own.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgumentError("a nested selector must be non-empty text")
    depth, quoted, i = 0, False, 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "~":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise InvalidArgumentError(
                    f"the nested selector {text!r} closes a parenthesis it never opened"
                )
        i += 1
    if quoted or depth:
        raise InvalidArgumentError(f"the nested selector {text!r} leaves a quote or parenthesis open")
    return text


@dataclass(frozen=True)
class Relationship:
    """A relationship criterion: ``fromRelationships.<name>(<selector>)`` or ``toRelationships…``.

    ``direction="from"`` keeps entities that have the relationship *to* an entity matching
    ``selector`` (``from`` + ``calls``: the entity calls one of them); ``"to"`` keeps entities
    that one of them has the relationship to (``to`` + ``calls``: one of them calls the
    entity). ``selector`` is itself an entity selector, so relationships nest.
    """

    direction: Literal["from", "to"]
    name: str
    selector: str

    def __post_init__(self) -> None:
        if self.direction not in ("from", "to"):
            raise InvalidArgumentError(
                f"relationship direction must be 'from' or 'to', not {self.direction!r}"
            )
        relationship_name(self.name)
        check_selector(self.selector)

    def criterion(self) -> str:
        """The selector text of this criterion."""
        return f"{self.direction}Relationships.{self.name}({self.selector})"
