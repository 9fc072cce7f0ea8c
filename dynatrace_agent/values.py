"""Tolerant coercion of Grail values.

Grail serialises ``long`` and ``duration`` values as JSON strings in some versions and as
numbers in others; every consumer goes through these helpers so both forms work.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime


def as_float(value: object) -> float | None:
    """A finite float from a number or numeric string; None for null, NaN or garbage."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def as_int(value: object) -> int | None:
    """An int from a number or numeric string; None for null or garbage."""
    number = as_float(value)
    return None if number is None else int(number)


def parse_timestamp(value: object) -> datetime | None:
    """A UTC datetime from an ISO-8601 string (0-9 fraction digits, ``Z``) or epoch ms/ns number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        seconds = number / 1e9 if number > 1e14 else number / 1e3
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        text = f"{head}.{(digits + '000000')[:6]}{rest[i:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        numeric = as_float(value)
        return parse_timestamp(numeric) if numeric is not None else None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
