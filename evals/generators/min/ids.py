"""Deterministic identifiers and timestamps in the shapes Dynatrace uses."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta


def entity_id(kind: str, name: str, salt: str) -> str:
    """``SERVICE-<16 hex>`` derived from the name, so regeneration is byte-identical."""
    digest = hashlib.sha256(f"{salt}/{kind}/{name}".encode()).hexdigest()[:16].upper()
    return f"{kind}-{digest}"


def number(text: str, digits: int) -> int:
    """A stable positive integer of ``digits`` digits derived from ``text``."""
    value = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    low: int = 10 ** (digits - 1)
    result: int = low + value % (9 * low)
    return result


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def iso(moment: datetime, digits: int) -> str:
    """ISO-8601 UTC with ``digits`` (0-9) fractional digits and a ``Z`` suffix."""
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits <= 0:
        return base + "Z"
    nanos = moment.microsecond * 1000
    return f"{base}.{str(nanos).zfill(9)[:digits]}Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
