"""DQL value types, their JSON form and Grail's ``RangedFieldTypes`` for a result.

Values inside the engine are plain Python objects so that filters over a million records stay
fast: ``str``, ``bool``, ``int`` (DQL ``long``), ``float`` (``double``), ``list`` (``array``),
``dict`` (``record``) and ``None`` (null). The three time types are distinct classes so the
evaluator can tell them apart while keeping int speed for comparisons:

* :class:`Timestamp` - an ``int`` of nanoseconds since the epoch (UTC);
* :class:`Duration` - an ``int`` of nanoseconds;
* :class:`Timeframe` - a ``(start, end)`` pair of timestamps.

Serialisation follows what Grail sends (documented choice, see dynatrace-api.md section 2):
timestamps are ISO-8601 strings with nine fraction digits and ``Z``; ``long`` and
``duration`` values are JSON *strings* of their decimal value (Grail does this so JavaScript
clients do not lose precision); ``double`` values are JSON numbers (non-finite ones become
null, which JSON cannot carry); a timeframe is ``{"start": ts, "end": ts}``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

__all__ = [
    "DURATION_UNITS",
    "Duration",
    "Timeframe",
    "Timestamp",
    "Uid",
    "format_ns",
    "parse_duration_text",
    "parse_iso_ns",
    "ranged_types",
    "to_json",
    "type_name",
]

NS_PER_S = 1_000_000_000

DURATION_UNITS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": NS_PER_S,
    "m": 60 * NS_PER_S,
    "h": 3600 * NS_PER_S,
    "d": 86400 * NS_PER_S,
}


class Timestamp(int):
    """A point in time: nanoseconds since the Unix epoch, UTC."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Timestamp({format_ns(self)})"


class Duration(int):
    """A length of time in nanoseconds."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Duration({int(self)}ns)"


class Uid(str):
    """A Grail ``uid`` (``trace.id``, ``span.id``): equal only to another uid.

    On a real tenant ``trace.id == "4bf9…"`` matches nothing because a uid is not a string;
    only ``toUid("4bf9…")`` compares equal. Hashing stays a string's so uids group and dedup.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Uid and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return f"Uid({str.__str__(self)})"


_UID_TEXT = re.compile(r"[0-9a-fA-F]{1,32}\Z")


def to_uid(value: object) -> Uid | None:
    """``toUid``: a hex string (up to 128 bits) as a uid, lower-cased; null otherwise."""
    if value.__class__ is Uid:
        return value
    if isinstance(value, str) and _UID_TEXT.match(value.strip()):
        return Uid(value.strip().lower())
    return None


_SMARTSCAPE_ID_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[0-9A-Za-z]{1,32}\Z")


def to_smartscape_id(value: object) -> str | None:
    """``toSmartscapeId``: an entity id (``SERVICE-57F9…``) as a Smartscape node id; null otherwise.

    A Smartscape ``id`` also equals the raw id string (Dynatrace's MCP server documents both
    ``id == toSmartscapeId("…")`` and ``id == "…"``), so the id stays a plain string here.
    """
    if isinstance(value, str) and _SMARTSCAPE_ID_TEXT.match(value.strip()):
        return value.strip()
    return None


class Timeframe(NamedTuple):
    """A ``[start, end)`` range of timestamps."""

    start: Timestamp
    end: Timestamp


_SECOND_CACHE: dict[str, int] = {}
_ISO_FAST = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d")


def _seconds(base: str) -> int:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SS`` (UTC), memoised: log lines share seconds."""
    cached = _SECOND_CACHE.get(base)
    if cached is None:
        if len(_SECOND_CACHE) > 200_000:
            _SECOND_CACHE.clear()
        dt = datetime.fromisoformat(base).replace(tzinfo=UTC)
        cached = _SECOND_CACHE[base] = int(dt.timestamp())
    return cached


def parse_iso_ns(text: str) -> int | None:
    """Parse an ISO-8601 timestamp into epoch nanoseconds; ``None`` when it is not one.

    Accepts 0-9 fraction digits, a ``Z`` or numeric offset, or no zone (taken as UTC), and a
    bare date. The common ``...Z`` form takes a fast path because loading a million log lines
    parses a million of these.
    """
    if len(text) >= 19 and _ISO_FAST.match(text):
        rest = text[19:]
        try:
            seconds = _seconds(text[:10] + "T" + text[11:19])
        except ValueError:
            return None
        frac_ns = 0
        if rest.startswith("."):
            i = 1
            while i < len(rest) and rest[i].isdigit():
                i += 1
            digits = rest[1:i]
            if not digits or len(digits) > 9:
                return None
            frac_ns = int(digits.ljust(9, "0"))
            rest = rest[i:]
        if rest in ("", "Z", "z"):
            return seconds * NS_PER_S + frac_ns
        try:
            offset = datetime.fromisoformat("2000-01-01T00:00:00" + rest).utcoffset()
        except ValueError:
            return None
        if offset is None:
            return None
        return (seconds - int(offset.total_seconds())) * NS_PER_S + frac_ns
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        try:
            return _seconds(text + "T00:00:00") * NS_PER_S
        except ValueError:
            return None
    return None


def format_ns(ns: int) -> str:
    """Format epoch nanoseconds as Grail does: ``2025-03-04T10:21:07.123456789Z``."""
    seconds, frac = divmod(int(ns), NS_PER_S)
    dt = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{dt.strftime('%Y-%m-%dT%H:%M:%S')}.{frac:09d}Z"


_DURATION_TEXT = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)")


def parse_duration_text(text: str) -> int | None:
    """Parse ``1m``/``500ms``/``1h30m`` into nanoseconds (used for metric series ``interval``)."""
    text = text.strip()
    pos, total = 0, 0.0
    for match in _DURATION_TEXT.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        return None
    return int(total)


def type_name(value: object) -> str:
    """The Grail type name of an engine value (``undefined`` for null)."""
    if value is None:
        return "undefined"
    cls = value.__class__
    if cls is str:
        return "string"
    if cls is bool:
        return "boolean"
    if cls is Timestamp:
        return "timestamp"
    if cls is Duration:
        return "duration"
    if cls is int:
        return "long"
    if cls is float:
        return "double"
    if cls is Timeframe:
        return "timeframe"
    if cls is Uid:
        return "uid"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "record"
    return "string"


def to_json(value: Any) -> Any:
    """Convert an engine value into its JSON-ready Grail form (see the module docstring)."""
    if value is None:
        return None
    cls = value.__class__
    if cls is str or cls is bool:
        return value
    if cls is Uid:
        return str.__str__(value)
    if cls is Timestamp:
        return format_ns(value)
    if cls is Duration or cls is int:
        return str(int(value))
    if cls is float:
        return value if math.isfinite(value) else None
    if cls is Timeframe:
        return {"start": format_ns(value.start), "end": format_ns(value.end)}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return str(value)


def _field_type(value: object) -> dict[str, Any]:
    """One ``mappings`` entry: ``{"type": ...}`` plus nested ``types`` for arrays/records."""
    name = type_name(value)
    if name == "array":
        assert isinstance(value, list | tuple)
        return {"type": "array", "types": ranged_types([{"element": v} for v in value])}
    if name == "record":
        assert isinstance(value, dict)
        return {"type": "record", "types": ranged_types([value])}
    return {"type": name}


def ranged_types(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Build Grail's ``RangedFieldTypes`` list for ``records``.

    Consecutive records share one bucket while no field changes type; a field whose type
    differs from the bucket's (a "collision") starts a new bucket. Null values never collide:
    a field seen only as null is typed ``undefined``, and a later concrete type replaces it.
    """
    buckets: list[dict[str, Any]] = []
    mappings: dict[str, dict[str, Any]] = {}
    start = 0
    for i, record in enumerate(records):
        entries = {k: _field_type(v) for k, v in record.items()}
        collision = any(
            k in mappings
            and entry["type"] != "undefined"
            and mappings[k]["type"] != "undefined"
            and mappings[k]["type"] != entry["type"]
            for k, entry in entries.items()
        )
        if collision:
            buckets.append({"indexRange": [start, i - 1], "mappings": mappings})
            mappings, start = {}, i
        for k, entry in entries.items():
            current = mappings.get(k)
            if current is None or (current["type"] == "undefined" and entry["type"] != "undefined"):
                mappings[k] = entry
    if records:
        buckets.append({"indexRange": [start, len(records) - 1], "mappings": mappings})
    return buckets
