"""Aggregation functions of ``summarize`` and ``makeTimeseries``, over a group of records.

Each aggregation compiles to a function from a list of records to one value. Nulls are
ignored by every aggregation except ``count()``; an aggregation over no usable values is null
(``count``/``countIf``/``countDistinct`` are 0). ``percentile`` interpolates linearly between
the closest ranks; results keep the input's type for timestamps and durations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from . import ast
from .compile import CompileContext, Fn, Record, compile_expr, kind_of
from .functions import is_number
from .types import Duration, Timestamp

__all__ = ["AggFn", "compile_aggregation", "percentile_of"]

AggFn = Callable[[list[Record]], Any]


def percentile_of(values: list[Any], pct: float) -> Any:
    """Linear-interpolated percentile of comparable values; keeps timestamp/duration types."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    lo, hi = math.floor(rank), math.ceil(rank)
    value = float(ordered[lo]) + (float(ordered[hi]) - float(ordered[lo])) * (rank - lo)
    cls = ordered[0].__class__
    if cls is Timestamp or cls is Duration:
        return cls(round(value))
    return value


def _numeric(values: list[Any]) -> list[Any]:
    return [v for v in values if is_number(v) or v.__class__ in (Timestamp, Duration)]


def _sum(values: list[Any]) -> Any:
    nums = [v for v in values if is_number(v) or v.__class__ is Duration]
    if not nums:
        return None
    if all(v.__class__ is Duration for v in nums):
        return Duration(sum(nums))
    total = sum(nums)
    return float(total) if any(v.__class__ is float for v in nums) else int(total)


def _avg(values: list[Any]) -> Any:
    nums = _numeric(values)
    if not nums:
        return None
    mean = sum(int(v) if v.__class__ in (Timestamp, Duration) else v for v in nums) / len(nums)
    cls = nums[0].__class__
    if all(v.__class__ is cls for v in nums) and cls in (Timestamp, Duration):
        return cls(round(mean))
    return float(mean)


def _extreme(values: list[Any], pick: Callable[..., Any]) -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    kinds = {kind_of(v) for v in present}
    if len(kinds) != 1:
        # mixed types: compare within the most common kind, as the others are not comparable
        kind = max(kinds, key=lambda k: sum(1 for v in present if kind_of(v) == k))
        present = [v for v in present if kind_of(v) == kind]
    try:
        return pick(present)
    except TypeError:
        return None


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return (kind_of(value), value)


def _distinct(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out: list[Any] = []
    for v in values:
        if v is None:
            continue
        key = _freeze(v)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _variance(values: list[Any]) -> float | None:
    nums = [float(v) for v in values if is_number(v)]
    if not nums:
        return None
    mean = sum(nums) / len(nums)
    return sum((v - mean) ** 2 for v in nums) / len(nums)


def _by_values(fn: Callable[[list[Any]], Any], arg: Fn) -> AggFn:
    return lambda rows: fn([arg(r) for r in rows])


def compile_aggregation(call: ast.Call, ctx: CompileContext) -> AggFn:
    """Compile one aggregation call (already validated by the parser)."""
    name = call.name
    if name == "count":
        return len
    arg = compile_expr(call.args[0], ctx)
    if name == "countIf":
        return lambda rows: sum(1 for r in rows if arg(r) is True)
    if name == "sum":
        return _by_values(_sum, arg)
    if name == "avg":
        return _by_values(_avg, arg)
    if name == "min":
        return _by_values(lambda vs: _extreme(vs, min), arg)
    if name == "max":
        return _by_values(lambda vs: _extreme(vs, max), arg)
    if name in ("percentile", "median"):
        pct = 50.0 if name == "median" else float(call.args[1].value)  # type: ignore[union-attr, arg-type]
        return _by_values(lambda vs: percentile_of(_numeric(vs), pct), arg)
    if name in ("countDistinct", "countDistinctExact", "countDistinctApprox"):
        return _by_values(lambda vs: len(_distinct(vs)), arg)
    if name in ("takeFirst", "takeAny"):
        return _by_values(lambda vs: next((v for v in vs if v is not None), None), arg)
    if name == "takeLast":
        return _by_values(lambda vs: next((v for v in reversed(vs) if v is not None), None), arg)
    if name == "takeMin":
        return _by_values(lambda vs: _extreme(vs, min), arg)
    if name == "takeMax":
        return _by_values(lambda vs: _extreme(vs, max), arg)
    if name == "collectDistinct":
        return _by_values(_distinct, arg)
    if name == "collectArray":
        return _by_values(lambda vs: [v for v in vs if v is not None], arg)
    if name == "variance":
        return _by_values(_variance, arg)
    if name == "stddev":
        return _by_values(lambda vs: None if (var := _variance(vs)) is None else math.sqrt(var), arg)
    raise AssertionError(f"aggregation {name} passed validation but has no implementation")
