"""Resolve ``from:``/``to:``/``interval:`` parameters against the tenant's clock.

``from:`` and ``to:`` accept an absolute ISO string, a timestamp expression (``now() - 2h``,
``toTimestamp("...")``), a bare relative duration (``-30m`` means 30 minutes before now) and
the shorthand ``now-30m``/``now`` (``now`` without parentheses).
"""

from __future__ import annotations

import dataclasses

from . import ast
from .compile import CompileContext, compile_expr, is_constant
from .errors import DQLParseError
from .types import DURATION_UNITS, Duration, Timestamp, parse_iso_ns

__all__ = ["auto_interval", "resolve_interval", "resolve_time"]

DEFAULT_RANGE_NS = 2 * 3600 * 1_000_000_000
MAX_BUCKETS = 10_000

_NICE = (
    [DURATION_UNITS["s"] * n for n in (1, 2, 5, 10, 15, 30)]
    + [DURATION_UNITS["m"] * n for n in (1, 2, 5, 10, 15, 30)]
    + [DURATION_UNITS["h"] * n for n in (1, 2, 3, 6, 12)]
    + [DURATION_UNITS["d"] * n for n in (1, 7, 30)]
)


def _now_as_call(expr: ast.Expr) -> ast.Expr:
    """Rewrite a bare ``now`` field reference into ``now()`` (the ``now-30m`` shorthand)."""
    if isinstance(expr, ast.FieldRef) and expr.name == "now" and not expr.quoted:
        return ast.Call("now", (), (), expr.start, expr.end)
    if isinstance(expr, ast.Binary):
        return dataclasses.replace(expr, left=_now_as_call(expr.left), right=_now_as_call(expr.right))
    if isinstance(expr, ast.Unary):
        return dataclasses.replace(expr, operand=_now_as_call(expr.operand))
    return expr


def resolve_time(expr: ast.Expr, ctx: CompileContext, query: str, what: str) -> int:
    """Evaluate a ``from:``/``to:`` value to epoch nanoseconds."""
    expr = _now_as_call(expr)
    end = max(expr.start, expr.end - 1)
    if not is_constant(expr):
        raise DQLParseError(
            "INVALID_TIMEFRAME",
            f"{what}: must not refer to record fields; use e.g. now()-2h or an ISO timestamp.",
            query,
            expr.start,
            end,
        )
    value = compile_expr(expr, ctx)({})
    if value.__class__ is Timestamp:
        return int(value)
    if value.__class__ is Duration:
        return ctx.now_ns + int(value)
    if isinstance(value, str):
        parsed = parse_iso_ns(value.strip())
        if parsed is not None:
            return parsed
    raise DQLParseError(
        "INVALID_TIMEFRAME",
        f'{what}: needs a timestamp such as "2025-03-04T10:00:00Z", now()-2h or -30m.',
        query,
        expr.start,
        end,
    )


def resolve_interval(expr: ast.Expr, ctx: CompileContext, query: str) -> int:
    """Evaluate ``interval:`` to a positive number of nanoseconds."""
    value = compile_expr(expr, ctx)({}) if is_constant(expr) else None
    if value.__class__ is not Duration or int(value) <= 0:
        raise DQLParseError(
            "INVALID_INTERVAL",
            "interval: needs a positive duration such as 1m or 5m.",
            query,
            expr.start,
            max(expr.start, expr.end - 1),
        )
    return int(value)


def auto_interval(span_ns: int, minimum_ns: int) -> int:
    """The smallest round interval giving at most 120 buckets over ``span_ns``."""
    for candidate in _NICE:
        if candidate >= minimum_ns and span_ns / candidate <= 120:
            return candidate
    return max(minimum_ns, _NICE[-1])
