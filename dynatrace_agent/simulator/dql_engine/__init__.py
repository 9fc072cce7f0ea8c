"""The simulator's DQL engine: a real parser and evaluator for the DQL agents write.

Public API (docs/contracts.md section 3)::

    parse(query) -> Query                      # raises DQLParseError
    execute(query, data, *, now, default_timeframe=None, max_records=1000) -> ExecutionResult
    DataSource.from_tables(tables, metrics, entities, problems)
    required_scopes(result.tables_used) -> list[str]

``execute`` raises :class:`DQLParseError` for every query it cannot answer faithfully (syntax,
unknown command/function/data object, unsupported construct, invalid timeframe), never another
exception and never a silently wrong answer. Values are serialised as Grail does: timestamps as
ISO strings with nine fraction digits and ``Z``; ``long`` and ``duration`` values as JSON
strings; ``double`` as JSON numbers (see :mod:`.types`).
"""

from __future__ import annotations

from .ast import Query
from .datasource import DataSource, MetricSeries, TableData
from .errors import DQLParseError
from .evaluate import ExecutionResult, execute, required_scopes
from .parser import parse

__all__ = [
    "DQLParseError",
    "DataSource",
    "ExecutionResult",
    "MetricSeries",
    "Query",
    "TableData",
    "execute",
    "parse",
    "required_scopes",
]
