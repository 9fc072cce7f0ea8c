"""Tolerant field access shared by every record conversion.

Grail and the classic APIs return the same field as a string, a one-element list or a
number, and name timestamps differently; reading them one way keeps every signal tolerant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dynatrace_agent.values import parse_timestamp

Record = Mapping[str, Any]


def clean_text(value: object) -> str | None:
    """A record field as stripped text (first element of a list), ``None`` when empty or structured."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    text = str(value).strip()
    return text or None


def first_time(record: Record, *keys: str) -> datetime | None:
    """The first of ``keys`` holding a parseable timestamp, as a datetime."""
    for key in keys:
        ts = parse_timestamp(record.get(key))
        if ts is not None:
            return ts
    return None
