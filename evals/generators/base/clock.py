"""Time formats of the case format: ISO-8601 UTC with ``Z`` for Grail, epoch ms for classic."""

from __future__ import annotations

from datetime import UTC, datetime

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000
NS_PER_MIN = 60 * NS_PER_S


def parse_utc(text: str) -> datetime:
    """``"2025-03-04T10:15:00Z"`` → aware UTC datetime (scenario start times)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def to_ns(moment: datetime) -> int:
    return int(moment.timestamp()) * NS_PER_S + moment.microsecond * 1000


def ns_to_ms(ns: int) -> int:
    return ns // NS_PER_MS


def iso(ns: int, digits: int = 9) -> str:
    """Format epoch nanoseconds with ``digits`` (0-9) fractional digits and a ``Z`` suffix."""
    if not 0 <= digits <= 9:
        raise ValueError(f"fraction digits must be 0..9, got {digits}")
    seconds, frac = divmod(ns, NS_PER_S)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return base + "Z"
    return f"{base}.{frac:09d}"[: len(base) + 1 + digits] + "Z"
