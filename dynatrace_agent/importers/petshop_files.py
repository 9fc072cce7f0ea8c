"""Reading PetShop's files: the three-row-header ``metrics.csv``, ``graph.csv`` and ``target.json``.

PetShop (amazon-science/petshop-root-cause-analysis) stores each window of CloudWatch/X-Ray
metrics as a CSV whose first rows name the column (``microservice``, ``metric``, ``statistic``,
then a ``unix_timestamp`` marker row) and whose data rows start with an epoch-seconds time.
The call graph is an adjacency matrix (row = caller, column = callee). Everything malformed
raises :class:`DatasetFormatError` naming the file (and line), so a user knows which download
is broken instead of reading a traceback.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynatrace_agent.importers.common import DatasetFormatError

__all__ = ["Column", "Graph", "MetricTable", "Target", "read_graph", "read_metrics", "read_target"]

#: (node, metric, statistic), e.g. ("PetSite", "latency", "Average").
Column = tuple[str, str, str]

_HEADER_ROWS = ("microservice", "metric", "statistic")


@dataclass
class MetricTable:
    """One metrics window: bucket start times (epoch s) and one value list per column."""

    file: Path
    times: list[float]
    columns: dict[Column, list[float | None]]

    @property
    def step(self) -> int:
        """The bucket length in seconds (the smallest gap between two rows)."""
        gaps = [b - a for a, b in zip(self.times, self.times[1:], strict=False) if b > a]
        if not gaps:
            return 300
        return round(min(gaps))

    def nodes(self) -> list[str]:
        """The nodes with at least one column, in file order."""
        return list(dict.fromkeys(node for node, _, _ in self.columns))

    def series(self, node: str, metric: str, statistic: str) -> list[float | None] | None:
        """The values of one column, or None when the file has no such column."""
        return self.columns.get((node, metric, statistic))


@dataclass
class Graph:
    """The call graph: nodes in file order and caller -> callees edges."""

    nodes: list[str]
    calls: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """One issue's label: the alerted node and metric, when, the root cause and how it was caused."""

    node: str
    metric: str
    timestamp: float
    root_cause: str
    command: str | None


def _number(text: str, file: Path, line: int) -> float | None:
    cell = text.strip()
    if not cell or cell.lower() in ("nan", "null", "none"):
        return None
    try:
        value = float(cell)
    except ValueError:
        raise DatasetFormatError(file, f"line {line}: {cell!r} is not a number") from None
    return value if math.isfinite(value) else None


def read_metrics(file: Path) -> MetricTable:
    """Parse a PetShop ``metrics.csv`` (three header rows, then ``time,value,...`` rows)."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise DatasetFormatError(file, "missing: every issue folder needs a metrics.csv") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetFormatError(file, f"cannot be read: {exc}") from None
    if len(rows) < 3 or tuple(r[0].strip().lower() if r else "" for r in rows[:3]) != _HEADER_ROWS:
        raise DatasetFormatError(
            file,
            "not a PetShop metrics file: the first three rows must start with "
            "'microservice', 'metric' and 'statistic'",
        )
    names, metrics, stats = rows[0], rows[1], rows[2]
    if not len(names) == len(metrics) == len(stats):
        raise DatasetFormatError(file, "the three header rows have different numbers of columns")
    keys: list[Column] = [
        (n.strip(), m.strip(), s.strip()) for n, m, s in zip(names, metrics, stats, strict=True)
    ][1:]
    times: list[float] = []
    values: list[list[float | None]] = [[] for _ in keys]
    for line, row in enumerate(rows[3:], start=4):
        if not row or not row[0].strip() or row[0].strip().lower() == "unix_timestamp":
            continue
        when = _number(row[0], file, line)
        if when is None:
            raise DatasetFormatError(file, f"line {line}: the first cell must be a unix timestamp")
        if len(row) != len(keys) + 1:
            raise DatasetFormatError(file, f"line {line}: {len(row)} cells, the header has {len(keys) + 1}")
        times.append(when)
        for i, cell in enumerate(row[1:]):
            values[i].append(_number(cell, file, line))
    if not times:
        raise DatasetFormatError(file, "has no data rows (rows starting with a unix timestamp)")
    if any(b <= a for a, b in itertools.pairwise(times)):
        raise DatasetFormatError(file, "the rows are not in increasing time order")
    columns: dict[Column, list[float | None]] = {}
    for key, column in zip(keys, values, strict=True):
        columns.setdefault(key, column)
    return MetricTable(file=file, times=times, columns=columns)


def read_graph(file: Path) -> Graph:
    """Parse ``graph.csv``: a header of node names, then one row per caller with 0/1 per callee."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            rows = [r for r in csv.reader(handle) if r]
    except FileNotFoundError:
        raise DatasetFormatError(file, "missing: every scenario folder needs a graph.csv") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetFormatError(file, f"cannot be read: {exc}") from None
    if not rows or len(rows[0]) < 2:
        raise DatasetFormatError(file, "not a PetShop call graph: the first row must list the node names")
    callees = [name.strip() for name in rows[0][1:]]
    graph = Graph(nodes=list(callees))
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(callees) + 1:
            raise DatasetFormatError(
                file, f"line {line}: {len(row)} cells, the header has {len(callees) + 1}"
            )
        caller = row[0].strip()
        if caller not in graph.nodes:
            graph.nodes.append(caller)
        for callee, cell in zip(callees, row[1:], strict=True):
            value = _number(cell, file, line)
            if value and callee != caller:
                graph.calls.setdefault(caller, []).append(callee)
    return graph


def _field(data: dict[str, Any], file: Path, *path: str) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise DatasetFormatError(file, f"no {'.'.join(path)}: a PetShop target.json names it")
        value = value[key]
    return value


def read_target(file: Path) -> Target:
    """Parse ``target.json``: ``target.{node,metric,timestamp}``, ``root_cause.node`` and the command."""
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DatasetFormatError(file, "missing: every issue folder needs a target.json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetFormatError(file, f"cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise DatasetFormatError(file, f"invalid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise DatasetFormatError(file, "must hold a JSON object")
    node = _field(data, file, "target", "node")
    metric = _field(data, file, "target", "metric")
    when = _field(data, file, "target", "timestamp")
    root = _field(data, file, "root_cause", "node")
    if not isinstance(node, str) or not node or not isinstance(root, str) or not root:
        raise DatasetFormatError(file, "target.node and root_cause.node must be node names")
    if metric not in ("latency", "availability"):
        raise DatasetFormatError(file, f"target.metric {metric!r} is neither 'latency' nor 'availability'")
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise DatasetFormatError(file, "target.timestamp must be epoch seconds")
    command = ((data.get("metadata") or {}).get("reproducibility") or {}).get("command")
    return Target(
        node=node,
        metric=metric,
        timestamp=float(when),
        root_cause=root,
        command=command if isinstance(command, str) and command.strip() else None,
    )
