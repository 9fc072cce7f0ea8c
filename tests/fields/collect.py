"""Which record fields a DQL query reads, per data object (for the field-registry test)."""

from __future__ import annotations

import dataclasses
from typing import Any

from dynatrace_agent.simulator.dql_engine import ast, parse


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, ast.FieldRef):
        out.add(node.name)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            _refs(getattr(node, f.name), out)
    elif isinstance(node, tuple | list):
        for item in node:
            _refs(item, out)


def fields_read(query: str) -> tuple[str, set[str]]:
    """``(data object, fields read from its records)``; names the query itself defines are left out.

    The data object is ``fetch``'s table, or ``timeseries`` for metric queries (their fields are
    dimensions). A name assigned by ``fieldsAdd``/``summarize``/``fields x = …`` earlier in the
    pipeline is the query's own and not counted.
    """
    parsed = parse(query)
    first = parsed.commands[0]
    table = first.table if isinstance(first, ast.FetchCmd) else "timeseries"
    defined: set[str] = set()
    read: set[str] = set()
    for command in parsed.commands:
        used: set[str] = set()
        if isinstance(command, ast.TimeseriesCmd):
            for item in command.aggregations:
                if isinstance(item.expr, ast.Call):
                    _refs(item.expr.args[1:], used)  # args[0] is the metric key, not a field
                    _refs(item.expr.named, used)
            _refs((command.by, command.filter), used)
        else:
            _refs(command, used)
        read |= {name for name in used if name not in defined and name != "now"}
        for attr in ("items", "aggregations", "by"):
            for item in getattr(command, attr, ()) or ():
                if isinstance(item, ast.NamedExpr):
                    defined.add(item.name)
        if isinstance(command, ast.FieldsRenameCmd):
            defined |= {new for new, _ in command.pairs}
    return table, read
