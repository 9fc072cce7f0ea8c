"""Incident cases: the folder format of ``shared/spec/incident-case.md``, loaded eagerly.

A case is what the simulator serves and what the evaluation harness scores. Cases also exist
outside this repository (held out for evaluation), so the loader accepts every file the spec
describes -- each optional except ``case.json``, each possibly gzip-compressed -- and requires
nothing the spec does not promise. Anything malformed raises :class:`CaseFormatError` naming the
file and line, because a case author needs to find the bad line, not read a traceback.
"""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dynatrace_agent.errors import ConfigurationError, InvalidArgumentError
from dynatrace_agent.models.enums import CATEGORIES
from dynatrace_agent.values import parse_timestamp

__all__ = [
    "CATEGORIES",
    "GRAIL_TABLES",
    "CaseFormatError",
    "CaseWriter",
    "ExpectedOutcome",
    "IncidentCase",
    "demo_case_path",
    "gzip_bytes",
    "load_case",
]

#: The version-1 format marker; other versions of the format are refused.
FORMAT = "dynatrace-agent/incident-case@1"

#: Grail record tables: table name -> file stem under ``tenant/``.
GRAIL_TABLES = ("logs", "spans", "events", "bizevents", "user.sessions")

#: A per-record check returning a message when the record breaks the spec.
_Check = Callable[[dict[str, Any]], str | None]

#: Timestamp fields of Grail records; when present they must be strings or epoch numbers.
_TIME_FIELDS = ("timestamp", "start_time", "end_time", "event.start", "event.end")


class CaseFormatError(ConfigurationError):
    """A case folder does not follow the incident-case format.

    ``file`` is the offending file, ``line`` the 1-based line when one can be named.
    """

    def __init__(self, file: Path | str, message: str, *, line: int | None = None) -> None:
        self.file = Path(file)
        self.line = line
        where = f"{self.file}:{line}" if line is not None else str(self.file)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ExpectedOutcome:
    """The labelled truth of a case (``case.json`` -> ``expected``)."""

    root_cause_entity_id: str | None
    root_cause_names: tuple[str, ...]
    category: str | None
    change_event_id: str | None
    facts: tuple[str, ...] = ()

    def matches_root_cause(self, entity_id: str | None, name: str | None) -> bool:
        """Whether a predicted entity is the true root cause, by id or (case-insensitive) name."""
        if entity_id and self.root_cause_entity_id and entity_id == self.root_cause_entity_id:
            return True
        if name:
            wanted = name.strip().casefold()
            return any(wanted == accepted.strip().casefold() for accepted in self.root_cause_names)
        return False


@dataclass
class IncidentCase:
    """Everything one tenant showed during one incident, plus the truth about it."""

    path: Path
    id: str
    title: str
    description: str
    now: datetime
    problem: str
    expected: ExpectedOutcome | None
    tags: list[str]
    source: dict[str, Any]
    entities: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    slos: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    #: ``case.json`` exactly as read, so a case can be rewritten without losing keys it carries.
    meta: dict[str, Any] = field(default_factory=dict, repr=False)

    def tenant_tables(self) -> dict[str, list[dict[str, Any]]]:
        """The non-empty tenant tables by file stem: what :meth:`CaseWriter.write` takes back."""
        tables = {
            "entities": self.entities,
            "problems": self.problems,
            "settings": self.settings,
            "slos": self.slos,
            **self.tables,
            "metrics": self.metrics,
            "notifications": self.notifications,
        }
        return {stem: rows for stem, rows in tables.items() if rows}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(rows)}" for name, rows in self.tables.items())
        return (
            f"IncidentCase(id={self.id!r}, now={self.now.isoformat()}, problem={self.problem!r}, "
            f"entities={len(self.entities)}, problems={len(self.problems)}, {sizes}, "
            f"metrics={len(self.metrics)})"
        )


def demo_case_path() -> Path:
    """The bundled demo incident (package data under ``dynatrace_agent/simulator/demo_case``)."""
    return Path(__file__).resolve().parent / "simulator" / "demo_case"


def load_case(path: str | Path) -> IncidentCase:
    """Load a case folder (or the ``case.json`` inside it) eagerly into memory."""
    root = Path(path)
    if root.is_file() and root.name in ("case.json", "case.json.gz"):
        root = root.parent
    if not root.is_dir():
        raise CaseFormatError(root, "no such case folder; pass the folder that holds case.json")
    case_file = _find(root / "case.json")
    if case_file is None:
        raise CaseFormatError(root / "case.json", "missing: every case folder needs a case.json")
    meta = _read_json(case_file)
    if not isinstance(meta, dict):
        raise CaseFormatError(case_file, "must hold a JSON object", line=1)
    tenant = root / "tenant"
    if not tenant.is_dir():
        raise CaseFormatError(tenant, "missing: every case folder needs a tenant/ folder (it may be empty)")

    case = _case_from_meta(root, case_file, meta)
    case.meta = meta
    case.entities = _read_array(tenant, "entities", _check_entity)
    case.problems = _read_array(tenant, "problems", _check_problem)
    case.settings = _read_array(tenant, "settings", None)
    case.slos = _read_array(tenant, "slos", None)
    case.tables = {name: _read_lines(tenant, name, _check_record) for name in GRAIL_TABLES}
    case.metrics = _read_lines(tenant, "metrics", _check_series)
    case.notifications = _read_lines(tenant, "notifications", None)
    return case


# -- case.json ------------------------------------------------------------------------------


def _case_from_meta(root: Path, file: Path, meta: dict[str, Any]) -> IncidentCase:
    fmt = meta.get("format", FORMAT)
    if fmt != FORMAT:
        raise CaseFormatError(file, f"format {fmt!r} is not supported; this loader reads {FORMAT!r}")
    now = parse_timestamp(meta.get("now"))
    if now is None:
        raise CaseFormatError(file, '"now" must be an ISO-8601 UTC time such as "2025-03-04T10:40:00Z"')
    problem = meta.get("problem")
    if not isinstance(problem, str) or not problem.strip():
        raise CaseFormatError(file, '"problem" must name the problem to investigate ("P-…" or a problemId)')
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise CaseFormatError(file, '"tags" must be a list of strings')
    source = meta.get("source") or {}
    if not isinstance(source, dict):
        raise CaseFormatError(file, '"source" must be an object')
    case_id = meta.get("id") or root.name
    return IncidentCase(
        path=root,
        id=str(case_id),
        title=str(meta.get("title") or case_id),
        description=str(meta.get("description") or ""),
        now=now,
        problem=problem.strip(),
        expected=_expected(file, meta.get("expected")),
        tags=list(tags),
        source=dict(source),
    )


def _expected(file: Path, raw: object) -> ExpectedOutcome | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CaseFormatError(file, '"expected" must be an object or null')
    root_cause = raw.get("root_cause") or {}
    if not isinstance(root_cause, dict):
        raise CaseFormatError(file, '"expected.root_cause" must be an object with entity_id and name')
    names_raw = root_cause.get("name")
    names: tuple[str, ...]
    if names_raw is None:
        names = ()
    elif isinstance(names_raw, str):
        names = (names_raw,)
    elif isinstance(names_raw, list) and all(isinstance(n, str) for n in names_raw):
        names = tuple(names_raw)
    else:
        raise CaseFormatError(file, '"expected.root_cause.name" must be a string or a list of strings')
    category = raw.get("category")
    if category is not None:
        category = str(category).strip().lower()
        if category not in CATEGORIES:
            raise CaseFormatError(
                file, f'"expected.category" {category!r} is not one of: {", ".join(CATEGORIES)}'
            )
    facts = raw.get("facts") or []
    if not isinstance(facts, list):
        raise CaseFormatError(file, '"expected.facts" must be a list of sentences')
    entity_id = root_cause.get("entity_id")
    change = raw.get("change_event_id")
    return ExpectedOutcome(
        root_cause_entity_id=str(entity_id) if entity_id else None,
        root_cause_names=names,
        category=category,
        change_event_id=str(change) if change else None,
        facts=tuple(str(f) for f in facts),
    )


# -- record checks (only what the spec promises) ---------------------------------------------


def _check_entity(item: dict[str, Any]) -> str | None:
    entity_id = item.get("entityId")
    if not isinstance(entity_id, str) or not entity_id:
        return 'an entity needs a string "entityId"'
    if not item.get("type"):
        item["type"] = entity_id.rsplit("-", 1)[0] if "-" in entity_id else "UNKNOWN"
    if not item.get("displayName"):
        item["displayName"] = entity_id
    return None


def _check_problem(item: dict[str, Any]) -> str | None:
    if not isinstance(item.get("problemId"), str) or not item["problemId"]:
        return 'a problem needs a string "problemId"'
    for key in ("startTime", "endTime"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f'"{key}" must be epoch milliseconds (a number), not {value!r}'
    return None


def _check_record(item: dict[str, Any]) -> str | None:
    for key in _TIME_FIELDS:
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
            return f'"{key}" must be an ISO-8601 string such as "2025-03-04T10:21:07Z"'
    return None


def _check_series(item: dict[str, Any]) -> str | None:
    if not isinstance(item.get("metric.key"), str):
        return 'a metric series needs a string "metric.key"'
    if not isinstance(item.get("values"), list):
        return 'a metric series needs "values", a list of numbers or nulls'
    if not isinstance(item.get("dimensions", {}), dict):
        return '"dimensions" must be an object'
    return None


# -- file reading ----------------------------------------------------------------------------


def _find(plain: Path) -> Path | None:
    """The file or its ``.gz`` twin; both present is ambiguous and refused."""
    gz = plain.with_name(plain.name + ".gz")
    if plain.is_file() and gz.is_file():
        raise CaseFormatError(gz, f"both {plain.name} and {gz.name} exist; keep only one")
    if plain.is_file():
        return plain
    return gz if gz.is_file() else None


def _read_text(file: Path) -> str:
    try:
        if file.name.endswith(".gz"):
            with gzip.open(file, "rt", encoding="utf-8-sig") as handle:
                return handle.read()
        return file.read_text(encoding="utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise CaseFormatError(file, f"cannot be read: {exc}") from None


def _read_json(file: Path) -> Any:
    text = _read_text(file)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseFormatError(
            file, f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None


def _read_array(tenant: Path, stem: str, check: _Check | None) -> list[dict[str, Any]]:
    file = _find(tenant / f"{stem}.json")
    if file is None:
        return []
    text = _read_text(file)
    if not text.strip():
        return []
    items: list[dict[str, Any]] = []
    for line, item in _iter_array(file, text):
        if not isinstance(item, dict):
            raise CaseFormatError(file, "every array element must be a JSON object", line=line)
        problem = check(item) if check is not None else None
        if problem:
            raise CaseFormatError(file, problem, line=line)
        items.append(item)
    return items


def _iter_array(file: Path, text: str) -> Iterator[tuple[int, Any]]:
    """Decode a JSON array element by element, yielding each with its starting line."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise CaseFormatError(file, "must hold a JSON array", line=text.count("\n", 0, pos) + 1)
    pos = _skip_ws(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return
    line, counted = 1, 0
    while True:
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise CaseFormatError(
                file, f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
            ) from None
        yield line, item
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            if _skip_ws(text, pos + 1) != len(text):
                raise CaseFormatError(
                    file, "unexpected text after the array", line=text.count("\n", 0, pos) + 1
                )
            return
        raise CaseFormatError(
            file, "expected ',' or ']' between array elements", line=text.count("\n", 0, pos) + 1
        )


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _read_lines(tenant: Path, stem: str, check: _Check | None) -> list[dict[str, Any]]:
    file = _find(tenant / f"{stem}.jsonl")
    if file is None:
        return []
    rows: list[dict[str, Any]] = []
    loads = json.loads
    for number, raw in enumerate(_read_text(file).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = loads(raw)
        except json.JSONDecodeError as exc:
            raise CaseFormatError(
                file, f"invalid JSON: {exc.msg} (column {exc.colno})", line=number
            ) from None
        if not isinstance(item, dict):
            raise CaseFormatError(file, "every line must hold one JSON object", line=number)
        if check is not None:
            problem = check(item)
            if problem:
                raise CaseFormatError(file, problem, line=number)
        rows.append(item)
    return rows


# -- writing ---------------------------------------------------------------------------------

#: Tenant files written as JSON arrays, and those written as JSON lines (stem -> file name).
_ARRAY_FILES = ("entities", "problems", "settings", "slos")
_LINE_FILES = (*GRAIL_TABLES, "metrics", "notifications")


class CaseWriter:
    """Writes case folders in exactly the format :func:`load_case` reads.

    One writer for every producer of cases (importers, generators, the recorder, the
    simulator's scaler), so the format lives in one place: each folder is written to a temporary
    sibling, read back with :func:`load_case` and only then moved into place, so a half-written or
    malformed case never appears under its final name.

    The output is byte-for-byte reproducible (gzip members carry no file name and mtime 0), so a
    generator re-run leaves ``git diff`` empty. The spec allows several spellings of the same
    data; the options choose one and keep committed case sets stable:

    - ``array_indent``: ``None`` writes the array files (entities, problems, settings, slos) one
      element per line; a number pretty-prints them with that indent.
    - ``compress_above`` (rows) and ``compress_above_bytes`` (encoded size): a JSON-lines table
      beyond either is gzip-compressed; ``None`` disables that rule. ``write(..., compress=...)``
      names tables (array files too) to compress regardless of size. ``compresslevel`` is gzip's
      level (1-9).

    Only the tables passed are written: leave a table out to omit its file (the spec reads an
    absent table as empty).
    """

    def __init__(
        self,
        out_dir: str | Path = ".",
        *,
        compress_above: int | None = 2000,
        compress_above_bytes: int | None = None,
        compresslevel: int = 6,
        array_indent: int | None = None,
        overwrite: bool = False,
    ) -> None:
        if not 1 <= compresslevel <= 9:
            raise InvalidArgumentError(f"compresslevel must be 1-9 (gzip's levels), got {compresslevel}")
        self.out_dir = Path(out_dir)
        self.compress_above = compress_above
        self.compress_above_bytes = compress_above_bytes
        self.compresslevel = compresslevel
        self.array_indent = array_indent
        self.overwrite = overwrite

    def write(
        self,
        meta: dict[str, Any],
        tenant: dict[str, list[dict[str, Any]]],
        *,
        compress: Collection[str] = (),
    ) -> IncidentCase:
        """Write one case (``meta`` is case.json; ``tenant`` maps table stems to rows); return it loaded."""
        case_id = str(meta.get("id") or "")
        if not case_id or "/" in case_id or "\\" in case_id or case_id.startswith("."):
            raise CaseFormatError(self.out_dir, f"case id {case_id!r} cannot name a folder")
        return self.write_at(self.out_dir / case_id, meta, tenant, compress=compress)

    def write_at(
        self,
        final: Path,
        meta: dict[str, Any],
        tenant: dict[str, list[dict[str, Any]]],
        *,
        compress: Collection[str] = (),
    ) -> IncidentCase:
        """Write one case into exactly the folder ``final`` (an empty folder may already exist)."""
        final = Path(final)
        unknown = sorted((set(tenant) | set(compress)) - set(_ARRAY_FILES) - set(_LINE_FILES))
        if unknown:
            raise CaseFormatError(
                final,
                f"unknown tenant tables: {', '.join(unknown)}; "
                f"known: {', '.join((*_ARRAY_FILES, *_LINE_FILES))}",
            )
        if final.exists() and any(final.iterdir()) and not self.overwrite:
            raise CaseFormatError(final, "already exists; remove it or write to another folder")
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = final.parent / f".{final.name}.partial"
        if staging.exists():
            shutil.rmtree(staging)
        (staging / "tenant").mkdir(parents=True)
        try:
            body = {"format": FORMAT, **meta}
            (staging / "case.json").write_text(
                json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            for stem, rows in tenant.items():
                if stem in _ARRAY_FILES:
                    data = self._json_array(rows).encode("utf-8")
                    gz = stem in compress
                    self._write(staging / "tenant" / f"{stem}.json", data, gz)
                else:
                    data = "".join(_json_line(row) for row in rows).encode("utf-8")
                    gz = stem in compress or self._large(len(rows), len(data))
                    self._write(staging / "tenant" / f"{stem}.jsonl", data, gz)
            case = load_case(staging)  # refuse to publish what the loader would refuse
            if final.exists():
                shutil.rmtree(final) if final.is_dir() else final.unlink()
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        case.path = final
        return case

    def _json_array(self, rows: list[dict[str, Any]]) -> str:
        if self.array_indent is not None:
            return json.dumps(rows, indent=self.array_indent, ensure_ascii=False) + "\n"
        if not rows:
            return "[]\n"
        return "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]\n"

    def _large(self, rows: int, size: int) -> bool:
        big_rows = self.compress_above is not None and rows > self.compress_above
        return big_rows or (self.compress_above_bytes is not None and size > self.compress_above_bytes)

    def _write(self, file: Path, data: bytes, compress: bool) -> None:
        if compress:
            file.with_name(file.name + ".gz").write_bytes(gzip_bytes(data, self.compresslevel))
        else:
            file.write_bytes(data)


def gzip_bytes(data: bytes, compresslevel: int = 6) -> bytes:
    """One gzip member of ``data`` with a fixed header: no file name, mtime 0, OS "unknown".

    Built by hand rather than with :func:`gzip.compress`, whose header bytes differ between
    Python versions (3.11 delegates to zlib and writes OS=3), so the same rows give the same bytes
    on every interpreter.
    """
    extra_flags = b"\x02" if compresslevel == 9 else b"\x04" if compresslevel == 1 else b"\x00"
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + extra_flags + b"\xff"
    deflate = zlib.compressobj(compresslevel, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<LL", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + body + trailer


def _json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
