"""Compile DQL expressions into Python closures over one record.

Walking the syntax tree for every record of a million-line log table is too slow, so each
expression is turned once into a nest of closures. Constant sub-expressions (``now() - 1h``,
``{"ERROR", "WARN"}``) are folded at compile time, and the common shapes (``field == "x"``,
``contains(field, "x")``, ``timestamp >= <constant>``) get specialised closures.

Semantics follow DQL: a missing field is null; comparisons and arithmetic with a null operand
are null; ``and``/``or``/``not`` use three-valued logic; a filter keeps a record only when its
condition is ``true``. Operands of incompatible types compare as null instead of raising.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import ast
from .functions import SCALAR, is_number
from .types import Duration, Timeframe, Timestamp, Uid, parse_iso_ns

__all__ = ["CompileContext", "Fn", "Record", "compare", "compile_expr", "is_constant", "kind_of"]

Record = dict[str, Any]
Fn = Callable[[Record], Any]

_PYOPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class CompileContext:
    """What expressions may depend on besides the record: the tenant's clock."""

    now_ns: int


def kind_of(value: object) -> str:
    """A coarse type class used to decide whether two values can be compared."""
    cls = value.__class__
    if cls is str:
        return "str"
    if cls is bool:
        return "bool"
    if cls is int or cls is float:
        return "num"
    if cls is Timestamp:
        return "ts"
    if cls is Duration:
        return "dur"
    if cls is Timeframe:
        return "tf"
    if cls is Uid:
        return "uid"
    if isinstance(value, list):
        return "arr"
    if isinstance(value, dict):
        return "rec"
    return "other"


def compare(op: str, x: object, y: object) -> bool | None:
    """DQL comparison: null on a null operand or on values of incomparable types."""
    if x is None or y is None:
        return None
    kx, ky = kind_of(x), kind_of(y)
    if kx != ky:
        if kx == "ts" and ky == "str":
            parsed = parse_iso_ns(y)  # type: ignore[arg-type]
            if parsed is None:
                return None
            y, ky = Timestamp(parsed), "ts"
        elif kx == "str" and ky == "ts":
            parsed = parse_iso_ns(x)  # type: ignore[arg-type]
            if parsed is None:
                return None
            x, kx = Timestamp(parsed), "ts"
        else:
            return None
    if kx in ("bool", "arr", "rec", "tf", "uid", "other") and op not in ("==", "!="):
        return None
    try:
        return _PYOPS[op](x, y)
    except TypeError:
        return None


def arithmetic(op: str, x: Any, y: Any) -> Any:
    """DQL arithmetic over numbers, timestamps and durations; null when undefined."""
    if x is None or y is None:
        return None
    kx, ky = kind_of(x), kind_of(y)
    if kx == "num" and ky == "num":
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if y == 0:
            return None
        if op == "/":
            return x / y
        return x % y
    if op in ("+", "-"):
        if kx == "ts" and ky == "dur":
            return Timestamp(x + y if op == "+" else x - y)
        if kx == "dur" and ky == "ts" and op == "+":
            return Timestamp(x + y)
        if kx == "ts" and ky == "ts" and op == "-":
            return Duration(x - y)
        if kx == "dur" and ky == "dur":
            return Duration(x + y if op == "+" else x - y)
        return None
    if op == "*":
        if kx == "dur" and ky == "num":
            return Duration(int(x * y))
        if kx == "num" and ky == "dur":
            return Duration(int(x * y))
        return None
    if op == "/":
        if kx == "dur" and ky == "num" and y != 0:
            return Duration(int(x / y))
        if kx == "dur" and ky == "dur" and y != 0:
            return int(x) / int(y)
    return None


def _truth(value: object) -> bool | None:
    return value if value is True or value is False else None


def is_constant(expr: ast.Expr) -> bool:
    """True when ``expr`` reads no field, so it can be evaluated once."""
    if isinstance(expr, ast.Literal):
        return True
    if isinstance(expr, ast.FieldRef):
        return False
    if isinstance(expr, ast.ListLit):
        return all(is_constant(i) for i in expr.items)
    if isinstance(expr, ast.Unary):
        return is_constant(expr.operand)
    if isinstance(expr, ast.Binary):
        return is_constant(expr.left) and is_constant(expr.right)
    return (
        expr.name in SCALAR
        and all(is_constant(a) for a in expr.args)
        and all(is_constant(v) for _, v in expr.named)
    )


def _const(value: object) -> Fn:
    return lambda _r: value


def compile_expr(expr: ast.Expr, ctx: CompileContext) -> Fn:
    """Compile ``expr`` into a function of one record (constants folded)."""
    fn = _compile(expr, ctx)
    if is_constant(expr) and not isinstance(expr, ast.Literal):
        return _const(fn({}))
    names = _iterated(expr)
    if names:
        return _elementwise(fn, names)
    return fn


_ITER = "\x00iter:"  # record keys holding the current element of an iterated array
_ITERATING = "\x00iterating"


def _iterated(expr: ast.Expr) -> list[str]:
    """Names used as ``name[]`` anywhere in ``expr``."""
    if isinstance(expr, ast.FieldRef):
        return [expr.name] if expr.iterate else []
    if isinstance(expr, ast.Unary):
        return _iterated(expr.operand)
    if isinstance(expr, ast.Binary):
        return list(dict.fromkeys(_iterated(expr.left) + _iterated(expr.right)))
    if isinstance(expr, ast.ListLit):
        return list(dict.fromkeys(n for i in expr.items for n in _iterated(i)))
    if isinstance(expr, ast.Call):
        subs = [*expr.args, *(v for _, v in expr.named)]
        return list(dict.fromkeys(n for a in subs for n in _iterated(a)))
    return []


def _elementwise(fn: Fn, names: list[str]) -> Fn:
    """An iterative expression: ``fn`` once per index of the arrays, giving an array (null if one is not)."""

    def each(r: Record) -> Any:
        if _ITERATING in r:  # an inner part of an expression already being iterated
            return fn(r)
        arrays: list[list[Any]] = []
        for n in names:
            value = r.get(n)
            if not isinstance(value, list):
                return None
            arrays.append(value)
        out = []
        for i in range(min(len(a) for a in arrays)):
            view = dict(r)
            view[_ITERATING] = True
            for name, array in zip(names, arrays, strict=True):
                view[_ITER + name] = array[i]
            out.append(fn(view))
        return out

    return each


def _literal_value(expr: ast.Literal) -> object:
    if expr.kind == "duration":
        return Duration(int(expr.value))  # type: ignore[call-overload]
    return expr.value


def _compile(expr: ast.Expr, ctx: CompileContext) -> Fn:
    if isinstance(expr, ast.Literal):
        return _const(_literal_value(expr))
    if isinstance(expr, ast.FieldRef):
        name = _ITER + expr.name if expr.iterate else expr.name
        return lambda r: r.get(name)
    if isinstance(expr, ast.ListLit):
        items = [compile_expr(i, ctx) for i in expr.items]
        return lambda r: [f(r) for f in items]
    if isinstance(expr, ast.Unary):
        return _compile_unary(expr, ctx)
    if isinstance(expr, ast.Binary):
        return _compile_binary(expr, ctx)
    return _compile_call(expr, ctx)


def _compile_unary(expr: ast.Unary, ctx: CompileContext) -> Fn:
    inner = compile_expr(expr.operand, ctx)
    if expr.op == "not":

        def not_(r: Record) -> bool | None:
            v = inner(r)
            return (not v) if v is True or v is False else None

        return not_

    def negate(r: Record) -> Any:
        v = inner(r)
        if v.__class__ is Duration:
            return Duration(-v)
        return -v if is_number(v) else None

    return negate


def _compile_binary(expr: ast.Binary, ctx: CompileContext) -> Fn:
    left = compile_expr(expr.left, ctx)
    right = compile_expr(expr.right, ctx)
    op = expr.op
    if op == "and":

        def and_(r: Record) -> bool | None:
            a = left(r)
            if a is False:
                return False
            b = right(r)
            if b is False:
                return False
            return True if a is True and b is True else None

        return and_
    if op == "or":

        def or_(r: Record) -> bool | None:
            a = left(r)
            if a is True:
                return True
            b = right(r)
            if b is True:
                return True
            return False if a is False and b is False else None

        return or_
    if op == "xor":

        def xor_(r: Record) -> bool | None:
            a, b = _truth(left(r)), _truth(right(r))
            return None if a is None or b is None else a != b

        return xor_
    if op in _PYOPS:
        return _compile_comparison(expr, left, right)
    return lambda r: arithmetic(op, left(r), right(r))


def _compile_comparison(expr: ast.Binary, left: Fn, right: Fn) -> Fn:
    op = expr.op
    pyop = _PYOPS[op]
    if isinstance(expr.left, ast.FieldRef) and is_constant(expr.right):
        name, const = expr.left.name, right({})
        if const is None:
            return _const(None)
        cls = const.__class__
        if cls is str and op == "==":

            def eq_str(r: Record) -> bool | None:
                v = r.get(name)
                if v.__class__ is str:
                    return bool(v == const)
                return compare(op, v, const)

            return eq_str

        def field_vs_const(r: Record) -> bool | None:
            v = r.get(name)
            if v.__class__ is cls:
                return pyop(v, const)
            return compare(op, v, const)

        return field_vs_const

    def general(r: Record) -> bool | None:
        x, y = left(r), right(r)
        if (
            x.__class__ is y.__class__
            and x is not None
            and x.__class__ in (str, int, float, Timestamp, Duration)
        ):
            return pyop(x, y)
        return compare(op, x, y)

    return general


def _compile_call(expr: ast.Call, ctx: CompileContext) -> Fn:
    name = expr.name
    args = [compile_expr(a, ctx) for a in expr.args]
    named = {k: compile_expr(v, ctx) for k, v in expr.named}
    if name == "now":
        now = Timestamp(ctx.now_ns)
        return _const(now)
    if name in ("isNull", "isNotNull", "isTrue", "isFalse"):
        return _null_check(name, args[0])
    if name == "in":
        return _compile_in(expr, args, ctx)
    if name == "coalesce":

        def coalesce(r: Record) -> Any:
            for f in args:
                v = f(r)
                if v is not None:
                    return v
            return None

        return coalesce
    if name == "if":
        cond, then = args
        otherwise = named.get("else", _const(None))
        return lambda r: then(r) if cond(r) is True else otherwise(r)
    if name == "bin":
        return _compile_bin(args[0], args[1]({}))
    if name == "not":
        inner = args[0]
        return lambda r: (not v) if (v := inner(r)) is True or v is False else None
    if name in ("contains", "startsWith", "endsWith") and is_constant(expr.args[1]):
        fast = _string_fast_path(name, args[0], args[1]({}), named)
        if fast is not None:
            return fast
    impl = SCALAR[name].impl
    assert impl is not None
    if named:
        return lambda r: impl(*[f(r) for f in args], **{k: f(r) for k, f in named.items()})
    if len(args) == 1:
        only = args[0]
        return lambda r: impl(only(r))
    if len(args) == 2:
        a0, a1 = args
        return lambda r: impl(a0(r), a1(r))
    return lambda r: impl(*[f(r) for f in args])


def _null_check(name: str, arg: Fn) -> Fn:
    if name == "isNull":
        return lambda r: arg(r) is None
    if name == "isNotNull":
        return lambda r: arg(r) is not None
    if name == "isTrue":
        return lambda r: arg(r) is True
    return lambda r: arg(r) is False


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _compile_in(expr: ast.Call, args: list[Fn], ctx: CompileContext) -> Fn:
    value_fn, list_fn = args
    if is_constant(expr.args[1]):
        options = list_fn({})
        if not isinstance(options, list):
            options = [options]
        if all(_hashable(o) for o in options):
            # keep kinds apart so True never matches 1
            keyed = frozenset((kind_of(o), o) for o in options if o is not None)

            def in_const(r: Record) -> bool | None:
                v = value_fn(r)
                if v is None:
                    return None
                if isinstance(v, list):
                    return any(_hashable(e) and (kind_of(e), e) in keyed for e in v)
                return _hashable(v) and (kind_of(v), v) in keyed

            return in_const

    def in_dynamic(r: Record) -> bool | None:
        v = value_fn(r)
        options = list_fn(r)
        if v is None or options is None:
            return None
        if not isinstance(options, list):
            options = [options]
        return any(compare("==", v, o) is True for o in options)

    return in_dynamic


def _compile_bin(value: Fn, interval: Any) -> Fn:
    step = int(interval)
    if step <= 0:
        return _const(None)

    def bin_(r: Record) -> Any:
        v = value(r)
        cls = v.__class__
        if cls is Timestamp:
            return Timestamp(v - v % step)
        if cls is Duration:
            return Duration(v - v % step)
        if cls is int:
            return v - v % step
        if cls is float:
            return float(v - v % interval)
        return None

    return bin_


def _string_fast_path(name: str, value: Fn, needle: object, named: dict[str, Fn]) -> Fn | None:
    if not isinstance(needle, str):
        return None
    case_fn = named.get("caseSensitive")
    case_sensitive = True if case_fn is None else case_fn({})
    if case_fn is not None and case_sensitive not in (True, False):
        return None
    impl = SCALAR[name].impl
    assert impl is not None
    lowered = needle.lower()
    if name == "contains":
        if case_sensitive:

            def contains_cs(r: Record) -> bool | None:
                v = value(r)
                if v.__class__ is str:
                    return needle in v
                return impl(v, needle, case_sensitive)  # type: ignore[no-any-return]

            return contains_cs

        def contains_ci(r: Record) -> bool | None:
            v = value(r)
            if v.__class__ is str:
                return lowered in v.lower()
            return impl(v, needle, case_sensitive)  # type: ignore[no-any-return]

        return contains_ci
    return None
