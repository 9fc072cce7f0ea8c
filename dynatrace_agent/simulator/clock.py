"""Time parameters of the classic API, resolved against the case's clock.

``from``/``to`` accept epoch milliseconds, ISO-8601 timestamps and relative forms such as
``now``, ``now-2h``, ``now-1d/d`` (aligned down to the unit) and ``-30m``. The clock is the
case's ``now``, never the wall clock, so a replay sees the incident as it was.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dynatrace_agent.values import parse_timestamp

__all__ = ["TimeParseError", "epoch_ms", "parse_time"]

_RELATIVE = re.compile(r"^(?:now)?\s*(?:([+-])\s*(\d+)\s*([smhdwMyq]))?(?:/([smhdwMy]))?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class TimeParseError(ValueError):
    """A time parameter is not epoch ms, ISO-8601 or a relative ``now-…`` expression."""


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def parse_time(text: str, now: datetime) -> datetime:
    """A UTC datetime for a classic-API time parameter."""
    value = text.strip()
    if not value:
        raise TimeParseError("empty time value")
    if value.lstrip("-").isdigit() and not value.startswith("-"):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    match = _RELATIVE.match(value)
    if match and (value.startswith("now") or value.startswith(("-", "+"))):
        sign, amount, unit, align = match.groups()
        moment = now
        if amount is not None:
            delta = _shift(int(amount), unit, now)
            moment = now - delta if sign == "-" else now + delta
        return _align(moment, align) if align else moment
    parsed = parse_timestamp(value) if any(c in value for c in "T:") else None
    if parsed is None:
        raise TimeParseError(
            f"{value!r} is not a time: use epoch milliseconds, ISO-8601 "
            "(2025-03-04T10:00:00Z) or a relative time such as now-2h"
        )
    return parsed


def _shift(amount: int, unit: str, now: datetime) -> timedelta:
    if unit in _UNIT_SECONDS:
        return timedelta(seconds=amount * _UNIT_SECONDS[unit])
    days = {"M": 30, "q": 91, "y": 365}[unit]
    return timedelta(days=amount * days)


def _align(moment: datetime, unit: str) -> datetime:
    if unit == "s":
        return moment.replace(microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    if unit == "h":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return day
    if unit == "w":
        return day - timedelta(days=day.weekday())
    if unit == "M":
        return day.replace(day=1)
    return day.replace(month=1, day=1)
