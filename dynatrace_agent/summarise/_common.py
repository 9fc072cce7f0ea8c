"""Formatting helpers shared by the summarisers: short numbers, times, field lookups.

Records come as Grail or the classic API sends them, so lookups tolerate missing fields,
lists where a scalar was expected, and numbers as strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from dynatrace_agent.values import as_float, parse_timestamp

Record = Mapping[str, Any]


def text_of(record: Record, *keys: str) -> str | None:
    """The first non-empty value among ``keys`` as text (first element of a list)."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None or isinstance(value, dict):
            continue
        text = str(value).strip()
        if text:
            return text
    return None


def shorten(text: str, limit: int) -> str:
    """One line, at most ``limit`` characters, ``…`` when cut."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)] + "…"


def fmt_num(value: float | int | None, digits: int = 3) -> str:
    """A compact number: ``1,234``, ``0.0123``, ``12.3``; ``–`` for None."""
    if value is None:
        return "–"
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 100:
        return f"{number:,.0f}"
    return f"{number:.{digits}g}"


def fmt_ms(value: float | None) -> str:
    """Milliseconds as ``850 ms`` or ``2.4 s``."""
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:.3g} s"
    return f"{value:.3g} ms"


def fmt_pct(part: float, whole: float) -> str:
    """``12.5%`` (``0%`` when the whole is zero)."""
    return "0%" if not whole else f"{100.0 * part / whole:.3g}%"


def safe_timestamp(value: object) -> datetime | None:
    """:func:`parse_timestamp` that answers None for out-of-range epochs instead of raising."""
    try:
        return parse_timestamp(value)
    except (OverflowError, OSError, ValueError):
        return None


def fmt_time(value: object) -> str:
    """A timestamp as ``2025-03-04 10:21:07Z``; the raw text when it cannot be parsed."""
    parsed = value if isinstance(value, datetime) else safe_timestamp(value)
    if parsed is None:
        return "?" if value is None else str(value)
    return parsed.strftime("%Y-%m-%d %H:%M:%SZ")


def label(entity_id: str | None, name: str | None) -> str:
    """``name (ENTITY-ID)``, or whichever is known."""
    if entity_id and name and name != entity_id:
        return f"{name} ({entity_id})"
    return entity_id or name or "?"


def top(counter: Counter[str], n: int) -> list[tuple[str, int]]:
    """The ``n`` most common entries, ties broken by key for stable output."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def counts_line(counter: Mapping[str, int], n: int = 6) -> str:
    """``ERROR 12, WARN 3, +2 more``."""
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    head = ", ".join(f"{k} {v:,}" for k, v in ordered[:n])
    extra = len(ordered) - n
    return head + (f", +{extra} more" if extra > 0 else "")


def floats(values: Iterable[object]) -> list[float]:
    """The finite numbers among ``values``."""
    return [v for v in (as_float(x) for x in values) if v is not None]
