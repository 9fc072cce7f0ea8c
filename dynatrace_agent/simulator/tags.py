r"""Tag matching shared by ``tag(...)`` (entities) and ``entityTags(...)`` (problems).

A tag argument is ``[context]key:value``, ``key:value`` or ``key``; ``\:`` escapes a colon
inside key or value. Tags on records are Entities-API objects ``{context, key, value,
stringRepresentation}``; plain strings (``"env:prod"``) are accepted too, because hand-written
cases use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TagPattern", "parse_tag", "record_tags"]


@dataclass(frozen=True)
class TagPattern:
    """A parsed tag argument; ``value`` None matches any value."""

    context: str | None
    key: str
    value: str | None

    def matches(self, tag: TagPattern) -> bool:
        """Whether a tag on a record satisfies this pattern (key and value case-insensitive)."""
        if self.context is not None and self.context.upper() != (tag.context or "CONTEXTLESS").upper():
            return False
        if self.key.casefold() != tag.key.casefold():
            return False
        return self.value is None or (tag.value or "").casefold() == self.value.casefold()


def parse_tag(text: str) -> TagPattern:
    r"""Parse ``[ctx]key:value`` (``\:`` escapes a colon)."""
    context: str | None = None
    rest = text.strip()
    if rest.startswith("[") and "]" in rest:
        end = rest.index("]")
        context, rest = rest[1:end].strip(), rest[end + 1 :]
    key_chars: list[str] = []
    value: str | None = None
    i = 0
    while i < len(rest):
        char = rest[i]
        if char == "\\" and i + 1 < len(rest):
            key_chars.append(rest[i + 1])
            i += 2
            continue
        if char == ":":
            value = rest[i + 1 :].replace("\\:", ":")
            break
        key_chars.append(char)
        i += 1
    return TagPattern(context, "".join(key_chars).strip(), value)


def record_tags(raw: object) -> Iterable[TagPattern]:
    """The tags of a record (entity ``tags`` or problem ``entityTags``) as patterns."""
    if not isinstance(raw, list):
        return
    for tag in raw:
        if isinstance(tag, str):
            yield parse_tag(tag)
        elif isinstance(tag, dict) and tag.get("key") is not None:
            value = tag.get("value")
            yield TagPattern(
                str(tag.get("context") or "CONTEXTLESS"),
                str(tag["key"]),
                None if value is None else str(value),
            )
