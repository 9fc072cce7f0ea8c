"""Run a parsed query over a :class:`~.datasource.DataSource` and shape Grail's result.

Records flow through the commands as Python dicts; the data source's own dicts are never
mutated (commands that change fields copy). Only the records that are returned are converted
to JSON form, so a query that summarises a million records serialises a handful.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import ast
from .aggregate import compile_aggregation
from .compile import CompileContext, Fn, Record, compile_expr, kind_of
from .datasource import DataSource, MetricSeries
from .dpl import compile_dpl
from .errors import DQLParseError
from .parser import parse
from .timeframes import DEFAULT_RANGE_NS, resolve_interval, resolve_time
from .timeseries import make_timeseries, metric_timeseries
from .types import format_ns, ranged_types, to_json

__all__ = ["ExecutionResult", "execute", "required_scopes"]

_TABLE_SCOPES = {
    "logs": "storage:logs:read",
    "spans": "storage:spans:read",
    "events": "storage:events:read",
    "dt.davis.problems": "storage:events:read",
    "dt.davis.events": "storage:events:read",
    "bizevents": "storage:bizevents:read",
    "user.sessions": "storage:user.sessions:read",
    "user.events": "storage:user.events:read",
    "security.events": "storage:security.events:read",
    "metrics": "storage:metrics:read",
    "smartscape": "storage:smartscape:read",
}


def _in_buckets(table: str) -> bool:
    """Whether ``table`` is record data kept in Grail buckets (reading it needs bucket permission).

    The entity model (``dt.entity.*``) and Smartscape are not: Dynatrace's MCP server reads both
    with only ``storage:entities:read`` and ``storage:smartscape:read`` (its find_entity_by_name).
    """
    return not table.startswith("dt.entity.") and table != "smartscape"


def required_scopes(tables: list[str]) -> list[str]:
    """OAuth scopes Grail requires to read ``tables`` (as listed in ``tables_used``)."""
    scopes = {"storage:buckets:read"} if not tables or any(_in_buckets(t) for t in tables) else set()
    for table in tables:
        scopes.add(
            "storage:entities:read" if table.startswith("dt.entity.") else _TABLE_SCOPES.get(table, "")
        )
    scopes.discard("")
    return sorted(scopes)


@dataclass
class ExecutionResult:
    """What Grail returns for a finished query (JSON-ready ``records`` and ``types``).

    ``tables_used`` names the data objects read: table names, ``dt.entity.<type>``, or
    ``metrics`` for ``timeseries``; :func:`required_scopes` maps them to OAuth scopes.
    """

    records: list[dict[str, Any]]
    types: list[dict[str, Any]]
    scanned_records: int
    scanned_bytes: int
    analysis_timeframe: dict[str, str] | None
    notifications: list[dict[str, Any]] = field(default_factory=list)
    metrics_metadata: list[dict[str, Any]] = field(default_factory=list)
    tables_used: list[str] = field(default_factory=list)
    scanned_data_points: int = 0
    sampled: bool = False


def _to_ns(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


class _Run:
    """State of one execution."""

    def __init__(
        self, query: ast.Query, data: DataSource, now_ns: int, default_timeframe: tuple[int, int] | None
    ) -> None:
        self.query = query
        self.data = data
        self.ctx = CompileContext(now_ns)
        self.default_timeframe = default_timeframe or (now_ns - DEFAULT_RANGE_NS, now_ns)
        self.timeframe: tuple[int, int] | None = None
        self.notifications: list[dict[str, Any]] = []
        self.metrics_metadata: list[dict[str, Any]] = []
        self.tables: list[str] = []
        self.scanned_records = 0
        self.scanned_bytes = 0
        self.scanned_points = 0

    def fail(self, error_type: str, message: str, node: Any) -> DQLParseError:
        return DQLParseError(error_type, message, self.query.text, node.start, max(node.start, node.end - 1))

    def resolve_timeframe(
        self, from_: ast.Expr | None, to: ast.Expr | None, node: Any, base: tuple[int, int] | None = None
    ) -> tuple[int, int]:
        base = base or self.default_timeframe
        text = self.query.text
        start = resolve_time(from_, self.ctx, text, "from") if from_ is not None else None
        end = resolve_time(to, self.ctx, text, "to") if to is not None else None
        if start is None and end is None:
            start, end = base
        elif end is None:
            end = self.ctx.now_ns if from_ is not None else base[1]
        elif start is None:
            start = end - (base[1] - base[0])
        assert start is not None and end is not None
        if start >= end:
            raise self.fail(
                "INVALID_TIMEFRAME",
                f"The timeframe is empty: from ({format_ns(start)}) is not before to ({format_ns(end)}).",
                node,
            )
        return start, end

    def source(self, cmd: ast.Command) -> list[Record]:
        if isinstance(cmd, ast.FetchCmd):
            table = self.data.table(cmd.table)
            if table is None:
                raise DQLParseError(
                    "UNKNOWN_DATA_OBJECT",
                    f"There is no data object {cmd.table!r} in this environment.",
                    self.query.text,
                    cmd.table_start,
                    cmd.table_end - 1,
                )
            self.timeframe = self.resolve_timeframe(cmd.from_, cmd.to, cmd)
            records = table.select(*self.timeframe)
            self.tables.append(cmd.table)
            self.scanned_records = len(records)
            self.scanned_bytes = len(records) * table.avg_bytes
            return records
        if isinstance(cmd, ast.MetricsCmd):
            return self.metric_keys(cmd)
        if isinstance(cmd, ast.SmartscapeCmd):
            self.tables.append("smartscape")
            records = smartscape_records(self.data, cmd.edges, cmd.type_pattern)
            self.scanned_records = len(records)
            return records
        assert isinstance(cmd, ast.TimeseriesCmd)
        self.tables.append("metrics")
        timeframe = self.resolve_timeframe(cmd.from_, cmd.to, cmd)
        interval = resolve_interval(cmd.interval, self.ctx, self.query.text) if cmd.interval else None
        result = metric_timeseries(cmd, self.data, self.ctx, self.query.text, timeframe, interval)
        self.timeframe = result.timeframe
        self.metrics_metadata = result.metrics_metadata
        self.notifications.extend(result.notifications)
        self.scanned_points = result.scanned_data_points
        return result.records

    def metric_keys(self, cmd: ast.MetricsCmd) -> list[Record]:
        """The ``metrics`` listing: one record per key, with its unit and dimension names.

        Without ``from:``/``to:`` every stored key is listed; with them, only keys with at least
        one non-null data point in the timeframe. ``dimensions`` (the sorted names of the
        dimensions the key's series carry) lets a caller split by what the data really has.
        """
        self.tables.append("metrics")
        window: tuple[int, int] | None = None
        if cmd.from_ is not None or cmd.to is not None:
            window = self.resolve_timeframe(cmd.from_, cmd.to, cmd)
            self.timeframe = window
        records: list[Record] = []
        for key in sorted(self.data.metrics):
            series = self.data.metrics[key]
            if window is not None:
                series = [s for s in series if _has_point(s, window)]
            if not series:
                continue
            self.scanned_records += len(series)
            record: Record = {"metric.key": key}
            unit = next((s.unit for s in series if s.unit), None)
            if unit:
                record["unit"] = unit
            record["dimensions"] = sorted({str(d) for s in series for d in s.dimensions})
            records.append(record)
        return records

    def apply(self, cmd: ast.Command, records: list[Record]) -> list[Record]:
        handler: Callable[[Any, list[Record]], list[Record]] = getattr(self, "_" + type(cmd).__name__)
        return handler(cmd, records)

    # --- commands --------------------------------------------------------------------------
    def _FilterCmd(self, cmd: ast.FilterCmd, records: list[Record]) -> list[Record]:
        if cmd.negate:
            cond = compile_expr(cmd.condition, self.ctx)
            return [r for r in records if cond(r) is not True]
        # A record passes `a and b` only when both are true, so conjuncts filter one after the
        # other: the first (usually the most selective) thins the list for the rest.
        for part in _conjuncts(cmd.condition):
            records = self._filter_one(part, records)
        return records

    def _filter_one(self, cond_expr: ast.Expr, records: list[Record]) -> list[Record]:
        if (
            isinstance(cond_expr, ast.Binary)
            and cond_expr.op == "=="
            and isinstance(cond_expr.left, ast.FieldRef)
            and isinstance(cond_expr.right, ast.Literal)
            and cond_expr.right.kind == "string"
        ):
            # string equality holds only for an equal string: no closure call per record needed
            name, const = cond_expr.left.name, cond_expr.right.value
            return [r for r in records if r.get(name) == const]
        cond = compile_expr(cond_expr, self.ctx)
        return [r for r in records if cond(r) is True]

    def _FieldsCmd(self, cmd: ast.FieldsCmd, records: list[Record]) -> list[Record]:
        if cmd.keep_only:
            names = [item.name for item in cmd.items]
            return [{n: r[n] for n in names if n in r} for r in records]
        fns = [(item.name, compile_expr(item.expr, self.ctx)) for item in cmd.items]
        return [{name: f(r) for name, f in fns} for r in records]

    def _FieldsAddCmd(self, cmd: ast.FieldsAddCmd, records: list[Record]) -> list[Record]:
        fns = [(item.name, compile_expr(item.expr, self.ctx)) for item in cmd.items]
        out = []
        for r in records:
            new = dict(r)
            for name, f in fns:
                new[name] = f(new)
            out.append(new)
        return out

    def _FieldsRemoveCmd(self, cmd: ast.FieldsRemoveCmd, records: list[Record]) -> list[Record]:
        drop = set(cmd.names)
        return [{k: v for k, v in r.items() if k not in drop} for r in records]

    def _FieldsRenameCmd(self, cmd: ast.FieldsRenameCmd, records: list[Record]) -> list[Record]:
        mapping = {old: new for new, old in cmd.pairs}
        return [{mapping.get(k, k): v for k, v in r.items()} for r in records]

    def _SortCmd(self, cmd: ast.SortCmd, records: list[Record]) -> list[Record]:
        return sort_records(records, cmd.keys, self.ctx)

    def _LimitCmd(self, cmd: ast.LimitCmd, records: list[Record]) -> list[Record]:
        return records[: cmd.count]

    def _SearchCmd(self, cmd: ast.SearchCmd, records: list[Record]) -> list[Record]:
        test = _search_predicate(cmd.condition)
        return [r for r in records if test(_strings(r))]

    def _ParseCmd(self, cmd: ast.ParseCmd, records: list[Record]) -> list[Record]:
        pattern = compile_dpl(cmd.pattern)
        return [{**r, **pattern.apply(r.get(cmd.field))} for r in records]

    def _ExpandCmd(self, cmd: ast.ExpandCmd, records: list[Record]) -> list[Record]:
        out: list[Record] = []
        for r in records:
            value = r.get(cmd.field)
            if not isinstance(value, list):
                out.append({**r, cmd.name: value} if cmd.name != cmd.field else r)
                continue
            for element in value:
                out.append({**r, cmd.name: element})
        return out

    def _FieldsFlattenCmd(self, cmd: ast.FieldsFlattenCmd, records: list[Record]) -> list[Record]:
        out = []
        for r in records:
            flat = dict(r)
            for name in cmd.names:
                value = flat.get(name)
                if isinstance(value, dict):
                    del flat[name]
                    for key, inner in value.items():
                        flat[f"{name}.{key}"] = inner
            out.append(flat)
        return out

    def _AppendCmd(self, cmd: ast.AppendCmd, records: list[Record]) -> list[Record]:
        sub = _Run(cmd.query, self.data, self.ctx.now_ns, self.default_timeframe)
        extra = sub.source(cmd.query.commands[0])
        for inner in cmd.query.commands[1:]:
            extra = sub.apply(inner, extra)
        self.tables.extend(sub.tables)
        self.scanned_records += sub.scanned_records
        self.scanned_bytes += sub.scanned_bytes
        self.notifications.extend(sub.notifications)
        return records + extra

    def _DedupCmd(self, cmd: ast.DedupCmd, records: list[Record]) -> list[Record]:
        if cmd.sort:
            records = sort_records(records, cmd.sort, self.ctx)
        fns = [compile_expr(k, self.ctx) for k in cmd.keys]
        seen: set[Any] = set()
        out = []
        for r in records:
            key = tuple(_key(f(r)) for f in fns)
            if key not in seen:
                seen.add(key)
                out.append(r)
        return out

    def _SummarizeCmd(self, cmd: ast.SummarizeCmd, records: list[Record]) -> list[Record]:
        by_fns = [(item.name, compile_expr(item.expr, self.ctx)) for item in cmd.by]
        aggs = []
        for item in cmd.aggregations:
            assert isinstance(item.expr, ast.Call)
            aggs.append((item.name, compile_aggregation(item.expr, self.ctx)))
        groups: dict[Any, tuple[list[Any], list[Record]]] = {}
        if not by_fns:
            groups[()] = ([], records)
        elif len(by_fns) == 1:
            only = by_fns[0][1]
            for r in records:
                v = only(r)
                k = _key(v)
                entry = groups.get(k)
                if entry is None:
                    groups[k] = ([v], [r])
                else:
                    entry[1].append(r)
        else:
            for r in records:
                values = [f(r) for _, f in by_fns]
                k = tuple(_key(v) for v in values)
                entry = groups.get(k)
                if entry is None:
                    groups[k] = (values, [r])
                else:
                    entry[1].append(r)
        out = []
        for values, rows in groups.values():
            rec: Record = {name: value for (name, _), value in zip(by_fns, values, strict=True)}
            for name, agg in aggs:
                rec[name] = agg(rows)
            out.append(rec)
        return out

    def _MakeTimeseriesCmd(self, cmd: ast.MakeTimeseriesCmd, records: list[Record]) -> list[Record]:
        base = self.timeframe or self.default_timeframe
        timeframe = self.resolve_timeframe(cmd.from_, cmd.to, cmd, base) if (cmd.from_ or cmd.to) else base
        interval = resolve_interval(cmd.interval, self.ctx, self.query.text) if cmd.interval else None
        result = make_timeseries(cmd, records, self.ctx, self.query.text, timeframe, interval)
        return result.records

    def _FetchCmd(self, cmd: ast.FetchCmd, records: list[Record]) -> list[Record]:
        raise self.fail("PARSE_ERROR_INVALID_COMMAND_POSITION", "fetch can only start a query.", cmd)

    _TimeseriesCmd = _FetchCmd
    _MetricsCmd = _FetchCmd


def _has_point(series: MetricSeries, window: tuple[int, int]) -> bool:
    """Whether ``series`` has a non-null value in a bucket starting inside ``window``."""
    for i, value in enumerate(series.values):
        if value is not None and window[0] <= series.start_ns + i * series.interval_ns < window[1]:
            return True
    return False


def _conjuncts(expr: ast.Expr) -> list[ast.Expr]:
    if isinstance(expr, ast.Binary) and expr.op == "and":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def _key(value: Any) -> Any:
    """A hashable grouping key that keeps values of different types apart (1 vs true)."""
    if isinstance(value, list):
        return ("arr", tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return ("rec", tuple(sorted((str(k), _key(v)) for k, v in value.items())))
    return (kind_of(value), value) if value is not None else None


_KIND_RANK = {"num": 0, "str": 1, "bool": 2, "ts": 3, "dur": 4, "tf": 5, "arr": 6, "rec": 7, "other": 8}


def _sort_key(value: Any) -> tuple[int, Any]:
    kind = kind_of(value)
    if kind in ("arr", "rec", "tf", "other"):
        return _KIND_RANK[kind], repr(value)
    return _KIND_RANK[kind], value


def sort_records(records: list[Record], keys: tuple[ast.SortKey, ...], ctx: CompileContext) -> list[Record]:
    """Stable multi-key sort; nulls come last in either direction."""
    out = list(records)
    for key in reversed(keys):
        fn: Fn = compile_expr(key.expr, ctx)
        present = [(fn(r), r) for r in out]
        nulls = [r for v, r in present if v is None]
        valued = [(v, r) for v, r in present if v is not None]
        valued.sort(key=lambda item: _sort_key(item[0]), reverse=key.descending)
        out = [r for _, r in valued] + nulls
    return out


def _limit_notification(max_records: int) -> dict[str, Any]:
    message = (
        f"The result has been limited to {max_records} records. Raise maxResultRecords or add "
        "filters, summarize or limit to the query."
    )
    return {
        "severity": "WARN",
        "notificationType": "LIMIT_ADDED",
        "message": message,
        "messageFormat": "The result has been limited to %1$s records. Raise maxResultRecords or add "
        "filters, summarize or limit to the query.",
        "arguments": [str(max_records)],
        "messageFormatSpecifierTypes": ["LONG"],
        "syntaxPosition": None,
    }


def _strings(record: Record) -> list[str]:
    """The record's string values, lower-cased (top level and inside arrays)."""
    out: list[str] = []
    for value in record.values():
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str):
                out.append(item.lower())
    return out


def _term(text: str) -> Callable[[list[str]], bool]:
    """One search term: ``*`` wildcards match a whole value, a plain term a word within one."""
    lowered = text.lower()
    if "*" in lowered:
        pattern = re.compile(".*".join(re.escape(part) for part in lowered.split("*")) + r"\Z", re.DOTALL)
        return lambda values: any(pattern.match(v) for v in values)
    word = re.compile(r"(?<![0-9a-z_])" + re.escape(lowered) + r"(?![0-9a-z_])")
    return lambda values: any(word.search(v) for v in values)


def _search_predicate(expr: ast.Expr) -> Callable[[list[str]], bool]:
    if isinstance(expr, ast.Literal):
        return _term(str(expr.value))
    if isinstance(expr, ast.Unary):
        inner = _search_predicate(expr.operand)
        return lambda values: not inner(values)
    assert isinstance(expr, ast.Binary)
    left, right = _search_predicate(expr.left), _search_predicate(expr.right)
    if expr.op == "and":
        return lambda values: left(values) and right(values)
    return lambda values: left(values) or right(values)


#: Classic relationship names as smartscape edge types (the simulator's mapping; unverified).
def _edge_type(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def smartscape_records(data: DataSource, edges: bool, pattern: str) -> list[Record]:
    """``smartscapeNodes``/``smartscapeEdges`` over the case's entities.

    Nodes carry ``id``, ``name``, ``type`` and ``id_classic`` (the simulator reuses the classic
    entity id for both ids); edges carry ``source_id``, ``source_type``, ``type`` (the
    relationship, e.g. ``calls``, ``runs_on``), ``target_id`` and ``target_type``.
    """
    wanted = None if pattern == "*" else pattern.upper()
    nodes: dict[str, Record] = {}
    for name, table in data.tables.items():
        if not name.startswith("dt.entity."):
            continue
        for rec in table.records + table.timeless:
            etype = str(rec.get("entity.type") or name[len("dt.entity.") :].upper())
            nodes[str(rec.get("id"))] = {
                "id": rec.get("id"),
                "name": rec.get("entity.name"),
                "type": etype,
                "id_classic": rec.get("id"),
                "tags": rec.get("tags"),
            }
    if not edges:
        return [n for n in nodes.values() if wanted is None or n["type"] == wanted]
    out: list[Record] = []
    for name, table in data.tables.items():
        if not name.startswith("dt.entity."):
            continue
        for rec in table.records + table.timeless:
            source = nodes.get(str(rec.get("id")))
            rels = rec.get("fromRelationships")
            if source is None or not isinstance(rels, dict):
                continue
            for rel, targets in rels.items():
                edge = _edge_type(str(rel))
                if wanted is not None and edge.upper() != wanted:
                    continue
                for target in targets if isinstance(targets, list) else []:
                    node = nodes.get(str(target))
                    out.append(
                        {
                            "source_id": source["id"],
                            "source_type": source["type"],
                            "type": edge,
                            "target_id": target,
                            "target_type": node["type"] if node else None,
                        }
                    )
    return out


def execute(
    query: str | ast.Query,
    data: DataSource,
    *,
    now: datetime,
    default_timeframe: tuple[datetime, datetime] | None = None,
    max_records: int = 1000,
) -> ExecutionResult:
    """Parse (if needed) and run ``query``; raise :class:`DQLParseError` for anything not supported.

    ``now`` is the tenant's clock for relative times; ``default_timeframe`` applies when the
    query names none (otherwise the two hours before ``now``). At most ``max_records`` records
    are returned; a cut adds a ``LIMIT_ADDED`` warning notification.
    """
    parsed = parse(query) if isinstance(query, str) else query
    default = (_to_ns(default_timeframe[0]), _to_ns(default_timeframe[1])) if default_timeframe else None
    if default is not None and default[0] >= default[1]:
        raise DQLParseError(
            "INVALID_TIMEFRAME",
            "The default timeframe is empty: start must be before end.",
            parsed.text,
            0,
            0,
        )
    run = _Run(parsed, data, _to_ns(now), default)
    try:
        records = run.source(parsed.commands[0])
        for cmd in parsed.commands[1:]:
            records = run.apply(cmd, records)
    except DQLParseError:
        raise
    except (TypeError, ValueError, ArithmeticError, RecursionError, OverflowError) as exc:  # pragma: no cover
        raise DQLParseError(
            "EXECUTION_ERROR",
            f"The simulator could not evaluate this query ({type(exc).__name__}). Simplify the "
            "expression or report the query.",
            parsed.text,
            0,
            max(len(parsed.text) - 1, 0),
        ) from exc
    if max_records >= 0 and len(records) > max_records:
        records = records[:max_records]
        run.notifications.append(_limit_notification(max_records))
    timeframe = run.timeframe
    return ExecutionResult(
        records=[to_json(r) for r in records],
        types=ranged_types(records),
        scanned_records=run.scanned_records,
        scanned_bytes=run.scanned_bytes,
        analysis_timeframe=(
            {"start": format_ns(timeframe[0]), "end": format_ns(timeframe[1])} if timeframe else None
        ),
        notifications=run.notifications,
        metrics_metadata=run.metrics_metadata,
        tables_used=run.tables,
        scanned_data_points=run.scanned_points,
    )
