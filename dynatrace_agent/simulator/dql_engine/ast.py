"""The syntax tree of a parsed DQL query.

Every node keeps its ``start``/``end`` source offsets (``end`` exclusive) so that errors found
after parsing (at validation or execution) still point at the right text. ``canonical(expr)``
renders an expression the way Grail names an unnamed result field (``count()``,
``avg(duration)``, ``bin(timestamp, 5m)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "AppendCmd",
    "Binary",
    "Call",
    "Command",
    "DedupCmd",
    "ExpandCmd",
    "Expr",
    "FetchCmd",
    "FieldRef",
    "FieldsAddCmd",
    "FieldsCmd",
    "FieldsFlattenCmd",
    "FieldsRemoveCmd",
    "FieldsRenameCmd",
    "FilterCmd",
    "LimitCmd",
    "ListLit",
    "Literal",
    "MakeTimeseriesCmd",
    "MetricsCmd",
    "NamedExpr",
    "ParseCmd",
    "Query",
    "SearchCmd",
    "SmartscapeCmd",
    "SortCmd",
    "SortKey",
    "SummarizeCmd",
    "TimeseriesCmd",
    "Unary",
    "canonical",
]


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant. ``kind``: string, long, double, boolean, null, duration (value in ns)."""

    value: object
    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A reference to a record field by its (possibly dotted) name."""

    name: str
    start: int
    end: int
    quoted: bool = False
    iterate: bool = False  # ``name[]``: one element at a time (an iterative expression)


@dataclass(frozen=True, slots=True)
class Call:
    """A function call with positional and named (``caseSensitive: false``) arguments."""

    name: str
    args: tuple[Expr, ...]
    named: tuple[tuple[str, Expr], ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x`` or ``not x``."""

    op: str
    operand: Expr
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator: or, xor, and, comparisons, arithmetic."""

    op: str
    left: Expr
    right: Expr
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ListLit:
    """A ``{a, b, c}`` value list (the second argument of ``in``)."""

    items: tuple[Expr, ...]
    start: int
    end: int


Expr = Union[Literal, FieldRef, Call, Unary, Binary, ListLit]  # noqa: UP007 - runtime alias


@dataclass(frozen=True, slots=True)
class NamedExpr:
    """An output field: its name (alias or canonical text) and the expression computing it."""

    name: str
    expr: Expr


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key and its direction."""

    expr: Expr
    descending: bool


@dataclass(frozen=True, slots=True)
class FetchCmd:
    """``fetch <table>, from:, to:``."""

    table: str
    table_start: int
    table_end: int
    from_: Expr | None
    to: Expr | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FilterCmd:
    """``filter <cond>`` (``negate`` for ``filterOut``)."""

    condition: Expr
    negate: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FieldsCmd:
    """``fields a, b = expr`` (also ``fieldsKeep``: names only, missing ones dropped)."""

    items: tuple[NamedExpr, ...]
    keep_only: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FieldsAddCmd:
    """``fieldsAdd name = expr, ...``."""

    items: tuple[NamedExpr, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FieldsRemoveCmd:
    """``fieldsRemove a, b``."""

    names: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FieldsRenameCmd:
    """``fieldsRename new = old, ...`` as (new, old) pairs."""

    pairs: tuple[tuple[str, str], ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SortCmd:
    """``sort a desc, b``."""

    keys: tuple[SortKey, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class LimitCmd:
    """``limit n``."""

    count: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DedupCmd:
    """``dedup a, b, sort:{...}``: keep the first record per key."""

    keys: tuple[Expr, ...]
    sort: tuple[SortKey, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SummarizeCmd:
    """``summarize aggs, by:{...}``."""

    aggregations: tuple[NamedExpr, ...]
    by: tuple[NamedExpr, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TimeseriesCmd:
    """``timeseries agg(metric), by:, filter:, from:, to:, interval:``."""

    aggregations: tuple[NamedExpr, ...]
    by: tuple[NamedExpr, ...]
    filter: Expr | None
    from_: Expr | None
    to: Expr | None
    interval: Expr | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MetricsCmd:
    """``metrics, from:, to:``: one record per metric key (with data in the timeframe, if given)."""

    from_: Expr | None
    to: Expr | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MakeTimeseriesCmd:
    """``makeTimeseries agg(...), by:, interval:, time:, from:, to:``."""

    aggregations: tuple[NamedExpr, ...]
    by: tuple[NamedExpr, ...]
    interval: Expr | None
    time_field: str
    from_: Expr | None
    to: Expr | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SearchCmd:
    """``search "*text*" OR "other"``: records with a string field matching the terms."""

    condition: Expr
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ExpandCmd:
    """``expand [name =] field``: one record per element of an array field."""

    name: str
    field: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FieldsFlattenCmd:
    """``fieldsFlatten field``: a record field's entries become top-level ``field.key`` fields."""

    names: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParseCmd:
    """``parse field, "DPL pattern"``: the pattern's exported fields added to each record."""

    field: str
    pattern: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class AppendCmd:
    """``append [ subquery ]``: the subquery's records after the current ones."""

    query: Query
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SmartscapeCmd:
    """``smartscapeNodes "TYPE"`` / ``smartscapeEdges "TYPE"`` (``"*"`` for all)."""

    edges: bool
    type_pattern: str
    start: int
    end: int


Command = Union[  # noqa: UP007 - runtime alias
    FetchCmd,
    FilterCmd,
    FieldsCmd,
    FieldsAddCmd,
    FieldsRemoveCmd,
    FieldsRenameCmd,
    SortCmd,
    LimitCmd,
    DedupCmd,
    SummarizeCmd,
    TimeseriesCmd,
    MetricsCmd,
    MakeTimeseriesCmd,
    SearchCmd,
    ParseCmd,
    ExpandCmd,
    FieldsFlattenCmd,
    AppendCmd,
    SmartscapeCmd,
]


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed, validated query: its source text and its command pipeline."""

    text: str
    commands: tuple[Command, ...] = field(default_factory=tuple)


_PRECEDENCE = {
    "or": 1,
    "xor": 1,
    "and": 2,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}


def _identifier(name: str, quoted: bool) -> str:
    return f"`{name}`" if quoted else name


def canonical(expr: Expr, parent_precedence: int = 0) -> str:
    """Render ``expr`` in Grail's canonical form (used as the name of unnamed fields)."""
    if isinstance(expr, Literal):
        if expr.kind == "string":
            return json.dumps(expr.value, ensure_ascii=False)
        return expr.text
    if isinstance(expr, FieldRef):
        return _identifier(expr.name, expr.quoted) + ("[]" if expr.iterate else "")
    if isinstance(expr, Call):
        parts = [canonical(a) for a in expr.args] + [f"{k}: {canonical(v)}" for k, v in expr.named]
        return f"{expr.name}({', '.join(parts)})"
    if isinstance(expr, ListLit):
        return "{" + ", ".join(canonical(i) for i in expr.items) + "}"
    if isinstance(expr, Unary):
        if expr.op == "not":
            return f"not {canonical(expr.operand, 3)}"
        return f"-{canonical(expr.operand, 7)}"
    precedence = _PRECEDENCE[expr.op]
    text = f"{canonical(expr.left, precedence)} {expr.op} {canonical(expr.right, precedence + 1)}"
    return f"({text})" if precedence < parent_precedence else text
