"""The scalar and aggregation functions the engine knows, with their signatures.

The parser validates every call against :data:`SCALAR` and :data:`AGGREGATIONS` (unknown
name, wrong number of arguments, unknown named parameter) so a bad query fails at parse time
with a position, as Grail's does. Scalar implementations take already-evaluated values and
follow DQL's null rules: a null input gives a null result unless the function is about nulls.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .types import Duration, Timestamp, Uid, format_ns, parse_iso_ns, to_smartscape_id, to_uid

__all__ = ["AGGREGATIONS", "SCALAR", "FunctionSpec", "is_number", "matches_phrase", "matches_value"]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """Signature of a function: positional arity, allowed named parameters, implementation."""

    name: str
    min_args: int
    max_args: int | None
    named: frozenset[str] = frozenset()
    impl: Callable[..., Any] | None = None  # scalar: impl(*args, **named); None = special form


def is_number(value: object) -> bool:
    """True for DQL long/double values (not booleans, timestamps or durations)."""
    cls = value.__class__
    return cls is int or cls is float


def _str_args(fn: Callable[[str, str], bool]) -> Callable[..., bool | None]:
    """Wrap a two-string predicate with DQL null/type handling and ``caseSensitive``."""

    def call(value: object, needle: object, caseSensitive: object = True) -> bool | None:
        if value is None or needle is None:
            return None
        if isinstance(value, list):
            results = [call(v, needle, caseSensitive) for v in value]
            return True if any(r is True for r in results) else (False if results else None)
        if not isinstance(value, str) or not isinstance(needle, str):
            return None
        if caseSensitive is False:
            return fn(value.lower(), needle.lower())
        return fn(value, needle)

    return call


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def matches_phrase(value: object, phrase: object) -> bool | None:
    """Case-insensitive phrase match on term boundaries (any element of an array)."""
    if value is None or phrase is None:
        return None
    if isinstance(value, list):
        return any(matches_phrase(v, phrase) is True for v in value)
    if not isinstance(value, str) or not isinstance(phrase, str):
        return None
    text, needle = value.lower(), phrase.lower().strip("*")
    if not needle:
        return True
    check_start = not phrase.startswith("*") and _word(needle[0])
    check_end = not phrase.endswith("*") and _word(needle[-1])
    pos = text.find(needle)
    while pos >= 0:
        end = pos + len(needle)
        ok_start = not check_start or pos == 0 or not _word(text[pos - 1])
        ok_end = not check_end or end == len(text) or not _word(text[end])
        if ok_start and ok_end:
            return True
        pos = text.find(needle, pos + 1)
    return False


@lru_cache(maxsize=256)
def _value_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")), re.IGNORECASE | re.DOTALL)


def matches_value(value: object, pattern: object) -> bool | None:
    """Case-insensitive whole-value match with ``*`` wildcards (any element of an array)."""
    if value is None or pattern is None:
        return None
    if isinstance(value, list):
        return any(matches_value(v, pattern) is True for v in value)
    if not isinstance(pattern, str):
        return None
    text = value if isinstance(value, str) else str(value)
    return _value_pattern(pattern).fullmatch(text) is not None


def _lower(v: object) -> object:
    return v.lower() if isinstance(v, str) else None


def _upper(v: object) -> object:
    return v.upper() if isinstance(v, str) else None


def _trim(v: object) -> object:
    return v.strip() if isinstance(v, str) else None


def _length(v: object) -> object:
    return len(v) if isinstance(v, str) else None


def _to_string(v: object) -> object:
    if v is None:
        return None
    if v.__class__ is Timestamp:
        return format_ns(v)
    if v.__class__ is bool:
        return "true" if v else "false"
    if v.__class__ is Uid:
        return str.__str__(v)
    if isinstance(v, str):
        return v
    return str(int(v)) if isinstance(v, int) else str(v)


def _to_long(v: object) -> object:
    if v is None:
        return None
    if v.__class__ is bool:
        return 1 if v else 0
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return int(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            try:
                f = float(v.strip())
            except ValueError:
                return None
            return int(f) if math.isfinite(f) else None
    return None


def _to_double(v: object) -> object:
    if v is None:
        return None
    if v.__class__ is bool:
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def _to_boolean(v: object) -> object:
    if v.__class__ is bool:
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    if is_number(v):
        return v != 0
    return None


def _to_timestamp(v: object) -> object:
    if v is None:
        return None
    if v.__class__ is Timestamp:
        return v
    if isinstance(v, str):
        ns = parse_iso_ns(v.strip())
        return None if ns is None else Timestamp(ns)
    if v.__class__ is int:
        return Timestamp(v)  # epoch nanoseconds, as Grail stores timestamps
    return None


def _to_duration(v: object) -> object:
    if v.__class__ is Duration:
        return v
    if v.__class__ is int:
        return Duration(v)
    return None


def _substring(v: object, **named: object) -> object:
    if not isinstance(v, str):
        return None
    start = named.get("from", 0)
    end = named.get("to", len(v))
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return v[start:end]


def _index_of(v: object, sub: object) -> object:
    if not isinstance(v, str) or not isinstance(sub, str):
        return None
    return v.find(sub)


def _concat(*values: object) -> object:
    return "".join(str(_to_string(v)) for v in values if v is not None)


def _abs(v: object) -> object:
    if v.__class__ is Duration:
        return Duration(abs(int(v)))
    return abs(v) if is_number(v) else None  # type: ignore[arg-type]


def _round(v: object, decimals: object = 0) -> object:
    if not is_number(v) or not isinstance(decimals, int):
        return None
    if v.__class__ is int and decimals >= 0:
        return v
    return float(round(v, decimals))  # type: ignore[call-overload]


def _floor(v: object) -> object:
    return float(math.floor(v)) if v.__class__ is float else (v if v.__class__ is int else None)


def _ceil(v: object) -> object:
    return float(math.ceil(v)) if v.__class__ is float else (v if v.__class__ is int else None)


def _numbers(v: object) -> list[Any] | None:
    if not isinstance(v, list):
        return None
    return [x for x in v if is_number(x) or x.__class__ in (Timestamp, Duration)]


def _array_sum(v: object) -> object:
    nums = _numbers(v)
    if not nums:
        return None
    total = sum(nums)
    return float(total) if any(x.__class__ is float for x in nums) else total


def _array_avg(v: object) -> object:
    nums = _numbers(v)
    return float(sum(nums)) / len(nums) if nums else None


def _array_min(v: object) -> object:
    nums = _numbers(v)
    return min(nums) if nums else None


def _array_max(v: object) -> object:
    nums = _numbers(v)
    return max(nums) if nums else None


def _array_first(v: object) -> object:
    return v[0] if isinstance(v, list) and v else None


def _array_last(v: object) -> object:
    return v[-1] if isinstance(v, list) and v else None


def _array_size(v: object) -> object:
    return len(v) if isinstance(v, list) else None


def _array(*values: object) -> object:
    return list(values)


def _spec(
    name: str, lo: int, hi: int | None, impl: Callable[..., Any] | None, named: tuple[str, ...] = ()
) -> FunctionSpec:
    return FunctionSpec(name, lo, hi, frozenset(named), impl)


_SCALAR_LIST = [
    _spec("contains", 2, 2, _str_args(lambda a, b: b in a), ("caseSensitive",)),
    _spec("startsWith", 2, 2, _str_args(lambda a, b: a.startswith(b)), ("caseSensitive",)),
    _spec("endsWith", 2, 2, _str_args(lambda a, b: a.endswith(b)), ("caseSensitive",)),
    _spec("matchesPhrase", 2, 2, matches_phrase),
    _spec("matchesValue", 2, 2, matches_value),
    _spec("lower", 1, 1, _lower),
    _spec("upper", 1, 1, _upper),
    _spec("trim", 1, 1, _trim),
    _spec("stringLength", 1, 1, _length),
    _spec("substring", 1, 1, _substring, ("from", "to")),
    _spec("indexOf", 2, 2, _index_of),
    _spec("concat", 1, None, _concat),
    _spec("toString", 1, 1, _to_string),
    _spec("toLong", 1, 1, _to_long),
    _spec("toDouble", 1, 1, _to_double),
    _spec("toBoolean", 1, 1, _to_boolean),
    _spec("toTimestamp", 1, 1, _to_timestamp),
    _spec("toDuration", 1, 1, _to_duration),
    _spec("toUid", 1, 1, to_uid),
    _spec("toSmartscapeId", 1, 1, to_smartscape_id),
    _spec("abs", 1, 1, _abs),
    _spec("round", 1, 1, _round, ("decimals",)),
    _spec("floor", 1, 1, _floor),
    _spec("ceil", 1, 1, _ceil),
    _spec("array", 0, None, _array),
    _spec("arraySize", 1, 1, _array_size),
    _spec("arraySum", 1, 1, _array_sum),
    _spec("arrayAvg", 1, 1, _array_avg),
    _spec("arrayMin", 1, 1, _array_min),
    _spec("arrayMax", 1, 1, _array_max),
    _spec("arrayFirst", 1, 1, _array_first),
    _spec("arrayLast", 1, 1, _array_last),
    # special forms, compiled by the expression compiler itself
    _spec("isNull", 1, 1, None),
    _spec("isNotNull", 1, 1, None),
    _spec("isTrue", 1, 1, None),
    _spec("isFalse", 1, 1, None),
    _spec("in", 2, 2, None),
    _spec("coalesce", 1, None, None),
    _spec("if", 2, 2, None, ("else",)),
    _spec("now", 0, 0, None),
    _spec("bin", 2, 2, None),
    _spec("not", 1, 1, None),
]

SCALAR: dict[str, FunctionSpec] = {s.name: s for s in _SCALAR_LIST}

_AGG_LIST = [
    _spec("count", 0, 0, None, ("default",)),
    _spec("countIf", 1, 1, None, ("default",)),
    _spec("sum", 1, 1, None, ("default",)),
    _spec("avg", 1, 1, None, ("default",)),
    _spec("min", 1, 1, None, ("default",)),
    _spec("max", 1, 1, None, ("default",)),
    _spec("median", 1, 1, None, ("default",)),
    _spec("percentile", 2, 2, None, ("default",)),
    _spec("countDistinct", 1, 1, None, ("default",)),
    _spec("countDistinctExact", 1, 1, None, ("default",)),
    _spec("countDistinctApprox", 1, 1, None, ("default",)),
    _spec("takeFirst", 1, 1, None),
    _spec("takeLast", 1, 1, None),
    _spec("takeAny", 1, 1, None),
    _spec("takeMin", 1, 1, None),
    _spec("takeMax", 1, 1, None),
    _spec("collectDistinct", 1, 1, None),
    _spec("collectArray", 1, 1, None),
    _spec("stddev", 1, 1, None),
    _spec("variance", 1, 1, None),
]

AGGREGATIONS: dict[str, FunctionSpec] = {s.name: s for s in _AGG_LIST}
