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

from dynatrace_agent.dql import DQLValueError, entity_id

__all__ = [
    "IMPACT_LEVELS",
    "SEVERITY_LEVELS",
    "classic_time",
    "entity_type",
    "selector_value",
]

SEVERITY_LEVELS = (
    "AVAILABILITY",
    "CUSTOM_ALERT",
    "ERROR",
    "INFO",
    "MONITORING_UNAVAILABLE",
    "PERFORMANCE",
    "RESOURCE_CONTENTION",
)
IMPACT_LEVELS = ("APPLICATION", "ENVIRONMENT", "INFRASTRUCTURE", "SERVICES")
_TYPE = re.compile(r"[A-Z][A-Z0-9_]{1,80}\Z")
_REL_TIME = re.compile(r"(?:now)?-(\d{1,6})([smhdwMy])\Z")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?\Z")


def selector_value(value: str, *, max_chars: int = 200) -> str:
    """A quoted selector value with ``~`` and ``"`` escaped; control characters are rejected."""
    if not isinstance(value, str) or not value.strip():
        raise DQLValueError("a selector value must be non-empty text")
    if len(value) > max_chars:
        raise DQLValueError(f"selector values are limited to {max_chars} characters")
    if any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value):
        raise DQLValueError("selector values must not contain line breaks or control characters")
    return '"' + value.replace("~", "~~").replace('"', '~"') + '"'


def entity_type(value: str) -> str:
    """An entity type such as ``SERVICE`` or ``PROCESS_GROUP_INSTANCE`` (upper-cased)."""
    candidate = value.strip().upper() if isinstance(value, str) else ""
    if not _TYPE.match(candidate):
        raise DQLValueError(
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
    raise DQLValueError(f"{value!r} is not a time; use now-2h, -30m, now-7d or an ISO timestamp")


def quoted_list(values: Sequence[str]) -> str:
    """``"a","b"`` from checked values."""
    return ",".join(selector_value(v) for v in values)


def entity_ids(values: Sequence[str]) -> list[str]:
    """Validated entity ids."""
    return [entity_id(v) for v in values]
