"""Safe DQL building from structured arguments.

A model or a user hands us free text (a service name, a search phrase, a timeframe). Pasting
that text into a query lets it add a pipe, a command, a comment or a new line, which turns a
read of one service's logs into anything else (Dynatrace's own MCP server had an advisory for
exactly this). So every value enters a query through one of the functions below:

- ``string_literal`` escapes quotes, backslashes and line breaks and rejects other control
  characters, so a value can never leave its string;
- ``identifier``, ``entity_id``, ``metric_key``, ``duration`` and ``time_expression`` accept
  only their grammar and raise :class:`DQLValueError` otherwise;
- expressions are :class:`Expr` objects that only this module's helpers create, and the
  :class:`Query` builder accepts nothing else, so raw text cannot be slipped in by accident.

Rendered queries are a single line; :func:`assert_single_statement` re-checks that the text
outside string literals holds no line break, comment or unexpected command.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dynatrace_agent.errors import InvalidArgumentError

__all__ = [
    "READ_COMMANDS",
    "DQLValueError",
    "Expr",
    "Query",
    "Timeframe",
    "and_",
    "assert_single_statement",
    "contains",
    "duration",
    "entity_field",
    "entity_id",
    "eq",
    "field_ref",
    "func",
    "gte",
    "identifier",
    "in_",
    "is_true",
    "is_uid",
    "literal",
    "lte",
    "member_of",
    "metric_key",
    "ne",
    "not_",
    "number_literal",
    "or_",
    "string_literal",
    "time_expression",
    "timeframe",
    "uid",
    "uid_eq",
    "uid_in",
]


class DQLValueError(InvalidArgumentError):
    """A value cannot be placed in a DQL query; the message says what is allowed instead.

    Arguments that are wrong for reasons other than DQL raise :class:`InvalidArgumentError`,
    its parent; catch that to handle both.
    """


# ---------------------------------------------------------------------------------------------
# Literals

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
MAX_LITERAL_CHARS = 2000


def string_literal(value: str) -> str:
    """A double-quoted DQL string holding exactly ``value``.

    Backslashes, double quotes, newlines, carriage returns and tabs are escaped; other control
    characters (NUL, escape sequences, Unicode line/paragraph separators) are rejected because
    no legitimate search term needs them and some parsers treat them as line breaks.
    """
    if not isinstance(value, str):
        raise DQLValueError(f"expected text for a DQL string, got {type(value).__name__}")
    if len(value) > MAX_LITERAL_CHARS:
        raise DQLValueError(
            f"text is {len(value)} characters long; keep search values under {MAX_LITERAL_CHARS}"
        )
    out: list[str] = []
    for char in value:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif unicodedata.category(char) in {"Cc", "Zl", "Zp"}:
            raise DQLValueError(
                f"text contains the control character U+{ord(char):04X}; remove it and try again"
            )
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def number_literal(value: float | int) -> str:
    """A DQL number; booleans and non-finite values are rejected."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DQLValueError(f"expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise DQLValueError("numbers in a query must be finite")
    return repr(value) if isinstance(value, float) else str(value)


def literal(value: str | float | int | bool | None) -> str:
    """Any scalar as a DQL literal: strings quoted, numbers checked, ``true``/``false``/``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return string_literal(value)
    return number_literal(value)


# ---------------------------------------------------------------------------------------------
# Identifiers and ids

_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = frozenset({"true", "false", "null", "and", "or", "not", "xor", "asc", "desc"})
_BACKTICK_SAFE = re.compile(r"[^`\x00-\x1f\x7f\u2028\u2029]+\Z")


def identifier(name: str) -> str:
    """A Grail field name ready to place in a query.

    Dotted names whose parts are letters, digits and underscores (``dt.entity.service``,
    ``k8s.pod.name``, ``http.response.status_code``) are used as they are. Anything else that
    is printable and free of backticks is quoted in backticks (```count()```, ```my field```);
    names with backticks or control characters are rejected.
    """
    if not isinstance(name, str) or not name or len(name) > 200:
        raise DQLValueError("a field name must be 1 to 200 characters of text")
    parts = name.split(".")
    if all(_SEGMENT.match(part) for part in parts) and name.lower() not in _KEYWORDS:
        return name
    if _BACKTICK_SAFE.match(name) and name.strip() == name:
        return f"`{name}`"
    raise DQLValueError(
        f"{name!r} is not a usable field name: use letters, digits, '_' and '.', e.g. dt.entity.service"
    )


_ENTITY_ID = re.compile(r"[A-Z][A-Z0-9_]*-[0-9A-F]{16}\Z")


def entity_id(value: str) -> str:
    """A Dynatrace entity id (``SERVICE-9A1B2C3D4E5F6071``), upper-cased; anything else raises."""
    if not isinstance(value, str):
        raise DQLValueError(f"expected an entity id, got {type(value).__name__}")
    candidate = value.strip().upper()
    if not _ENTITY_ID.match(candidate):
        raise DQLValueError(
            f"{value!r} is not a Dynatrace entity id; ids look like SERVICE-9A1B2C3D4E5F6071 "
            "(TYPE, a dash, 16 hex digits). Look the entity up by name first."
        )
    return candidate


def entity_field(entity: str) -> str:
    """The Grail field that holds ids of this entity's type: ``SERVICE-…`` → ``dt.entity.service``."""
    checked = entity_id(entity)
    return "dt.entity." + checked.rsplit("-", 1)[0].lower()


#: Safe metric-key characters: a letter first, then letters, digits, ``_``, ``-``, ``:`` and
#: ``.`` between non-empty parts (``latency``, ``dt.host.cpu.usage``, ``container_cpu_usage``).
_METRIC_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_:\-]*(?:\.[A-Za-z0-9_:\-]+)*\Z")
#: Keys the DQL lexer reads as one bare name; anything else safe is written in backticks.
_BARE_METRIC_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\Z")
_METRIC_KEY_MAX = 255


def metric_key(key: str) -> str:
    """A metric key ready to place in ``timeseries``, e.g. ``avg(<key>)``.

    Converted and custom tenants name metrics ``latency``, ``requests`` or
    ``container_cpu_usage_seconds_total``, so any key of letters, digits, ``_``, ``-``, ``:``
    and ``.`` that starts with a letter (1–255 characters) is accepted. Dotted keys of plain
    parts are used as they are; keys with ``-`` or ``:``, and keys that are DQL keywords, are
    quoted in backticks (which they cannot contain). Selectors, spaces, quotes, brackets and
    pipes raise.
    """
    text = key.strip() if isinstance(key, str) else None
    if not text or len(text) > _METRIC_KEY_MAX or not _METRIC_KEY.match(text):
        raise DQLValueError(
            f"{key!r} is not a metric key; use letters, digits, '_', '-', ':' and '.' starting with a "
            "letter (at most 255 characters), such as dt.service.request.response_time or latency"
        )
    if _BARE_METRIC_KEY.match(text) and text.lower() not in _KEYWORDS:
        return text
    return f"`{text}`"


_DURATION = re.compile(r"(\d{1,6})(ns|us|ms|s|m|h|d|w)\Z")


def duration(value: str) -> str:
    """A DQL duration literal such as ``30s``, ``5m``, ``1h`` or ``7d``."""
    if not isinstance(value, str) or not _DURATION.match(value.strip()):
        raise DQLValueError(f"{value!r} is not a duration; use a number and a unit like 30s, 5m, 1h or 1d")
    return value.strip()


_RELATIVE = re.compile(r"(?:now(?:\(\))?)?\s*-\s*(\d{1,6})\s*(s|m|h|d|w)\Z", re.IGNORECASE)
_NOW = re.compile(r"now(?:\(\))?\Z", re.IGNORECASE)
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})\Z",
    re.IGNORECASE,
)


def time_expression(value: str | datetime) -> str:
    """A DQL expression for a point in time.

    Accepts ``now``, relative offsets (``now-2h``, ``-30m``, ``now()-1d``) and ISO-8601
    timestamps with a zone (``2025-03-04T10:15:00Z``); returns ``now()``, ``now()-2h`` or a
    quoted timestamp. Relative times resolve on the tenant's clock, not ours.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise DQLValueError("timestamps need a time zone; add Z or +00:00")
        return string_literal(value.isoformat().replace("+00:00", "Z"))
    if not isinstance(value, str):
        raise DQLValueError(f"expected a time, got {type(value).__name__}")
    text = value.strip()
    if _NOW.match(text):
        return "now()"
    relative = _RELATIVE.match(text)
    if relative:
        return f"now()-{int(relative.group(1))}{relative.group(2).lower()}"
    if _ISO.match(text):
        return string_literal(text.upper())
    raise DQLValueError(
        f"{value!r} is not a time; use now, now-2h, -30m or an ISO timestamp like 2025-03-04T10:15:00Z"
    )


@dataclass(frozen=True)
class Timeframe:
    """A validated query window as DQL expressions (``start``/``end``), plus the user's text."""

    start: str
    end: str | None = None
    text: str = ""

    def render(self) -> str:
        """``from:…, to:…`` parameters for ``fetch`` and ``timeseries``."""
        params = f"from:{self.start}"
        return params + (f", to:{self.end}" if self.end else "")


def timeframe(start: str | datetime = "now-2h", end: str | datetime | None = None) -> Timeframe:
    """A :class:`Timeframe` from user values (``now-2h``, ``-30m``, ISO); ``end`` defaults to now."""
    start_expr = time_expression(start)
    end_expr = None if end is None else time_expression(end)
    if end_expr == "now()":
        end_expr = None
    text = f"{start} .. {end if end is not None else 'now'}"
    return Timeframe(start=start_expr, end=end_expr, text=text)


_UID = re.compile(r"[0-9A-Fa-f]{1,32}\Z")


def is_uid(value: object) -> bool:
    """True for text ``toUid`` accepts (hex, up to 128 bits), e.g. a log line's ``trace_id``."""
    return isinstance(value, str) and bool(_UID.match(value.strip()))


def uid(value: str) -> Expr:
    """``toUid("…")`` for a trace or span id (hex, up to 128 bits).

    Grail stores ``trace.id`` and ``span.id`` as ``uid`` values: comparing them with a plain
    string matches nothing on a real tenant, only a ``toUid`` value compares equal.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not _UID.match(text):
        raise DQLValueError(
            f"{value!r} is not a trace or span id; ids are hex, e.g. 4bf92f3577b34da6a3ce929d0e0e4736"
        )
    return Expr(f"toUid({string_literal(text.lower())})")


# ---------------------------------------------------------------------------------------------
# Expressions


@dataclass(frozen=True)
class Expr:
    """A piece of DQL made only by this module's helpers; builders accept nothing else."""

    text: str

    def __str__(self) -> str:
        return self.text


def field_ref(name: str) -> Expr:
    """A field as an expression (validated by :func:`identifier`)."""
    return Expr(identifier(name))


def _value(value: str | float | int | bool | Expr | None) -> str:
    return value.text if isinstance(value, Expr) else literal(value)


def eq(name: str, value: str | float | int | bool | None) -> Expr:
    """``field == value``."""
    return Expr(f"{identifier(name)} == {literal(value)}")


def ne(name: str, value: str | float | int | bool | None) -> Expr:
    """``field != value``."""
    return Expr(f"{identifier(name)} != {literal(value)}")


def gte(name: str, value: float | int | Expr) -> Expr:
    """``field >= value``."""
    return Expr(f"{identifier(name)} >= {_value(value)}")


def lte(name: str, value: float | int | Expr) -> Expr:
    """``field <= value``."""
    return Expr(f"{identifier(name)} <= {_value(value)}")


def is_true(name: str) -> Expr:
    """``field == true``."""
    return Expr(f"{identifier(name)} == true")


def in_(name: str, values: Iterable[str | float | int]) -> Expr:
    """``in(field, {v1, v2})``: the field equals one of the values."""
    items = [literal(v) for v in values]
    if not items:
        raise DQLValueError(f"no values given to match {name!r} against")
    return Expr(f"in({identifier(name)}, {{{', '.join(items)}}})")


def uid_eq(name: str, value: str) -> Expr:
    """``field == toUid("…")`` for a uid field (``trace.id``, ``span.id``)."""
    return Expr(f"{identifier(name)} == {uid(value).text}")


def uid_in(name: str, values: Iterable[str]) -> Expr:
    """``in(field, {toUid("…"), …})``: a uid field equals one of the ids."""
    items = [uid(v).text for v in values]
    if not items:
        raise DQLValueError(f"no ids given to match {name!r} against")
    return Expr(f"in({identifier(name)}, {{{', '.join(items)}}})")


def member_of(value: str | float | int, name: str) -> Expr:
    """``in(value, field)``: the array field holds ``value`` (a single value must equal it)."""
    return Expr(f"in({literal(value)}, {identifier(name)})")


def contains(name: str, text: str, *, case_sensitive: bool = False) -> Expr:
    """``contains(field, "text")`` (case-insensitive unless asked)."""
    flag = "" if case_sensitive else ", caseSensitive:false"
    return Expr(f"contains({identifier(name)}, {string_literal(text)}{flag})")


def func(name: str, *args: Expr | str | float | int | bool | None) -> Expr:
    """A function call ``name(arg, …)``; the name must be a plain word, args are literals or Exprs."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise DQLValueError(f"{name!r} is not a DQL function name")
    return Expr(f"{name}({', '.join(_value(a) for a in args)})")


def _join(op: str, parts: Sequence[Expr]) -> Expr:
    if not parts:
        raise DQLValueError("no conditions to combine")
    if len(parts) == 1:
        return parts[0]
    return Expr("(" + f" {op} ".join(p.text for p in parts) + ")")


def and_(*parts: Expr) -> Expr:
    """All conditions hold."""
    return _join("and", parts)


def or_(*parts: Expr) -> Expr:
    """Any condition holds."""
    return _join("or", parts)


def not_(part: Expr) -> Expr:
    """The condition does not hold."""
    return Expr(f"not({part.text})")


# ---------------------------------------------------------------------------------------------
# Queries

READ_COMMANDS = ("fetch", "timeseries", "metrics", "data", "describe", "smartscapeNodes", "smartscapeEdges")
_TABLE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\Z")


def scan_limit_gbytes(value: float | int) -> str:
    """``scanLimitGBytes`` as Grail takes it: a whole number of GB (a Long), rounded up.

    A fractional limit such as ``0.5`` would render as a double, which Grail rejects; rounding
    up keeps the caller's budget rather than cutting it to zero.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DQLValueError(f"scan limit must be a number of GB, got {value!r}")
    if value <= 0:
        raise DQLValueError(f"scan limit must be positive, got {value!r}")
    return str(math.ceil(value))


@dataclass
class Query:
    """A single-line pipeline built step by step from validated pieces.

    ``Query.fetch("logs", timeframe("now-1h")).filter(eq("loglevel", "ERROR")).limit(50)``
    renders ``fetch logs, from:now()-1h | filter loglevel == "ERROR" | limit 50``.
    """

    head: str
    steps: list[str] = field(default_factory=list)

    @classmethod
    def fetch(
        cls, table: str, window: Timeframe | None = None, *, scan_limit_gb: float | None = None
    ) -> Query:
        """``fetch <table>`` over an optional timeframe (table names are lower-case dotted words)."""
        if not isinstance(table, str) or not _TABLE.match(table):
            raise DQLValueError(f"{table!r} is not a Grail table such as logs, spans or dt.davis.problems")
        head = f"fetch {table}"
        if window is not None:
            head += ", " + window.render()
        if scan_limit_gb is not None:
            head += f", scanLimitGBytes:{scan_limit_gbytes(scan_limit_gb)}"
        return cls(head)

    @classmethod
    def timeseries(
        cls,
        aggregations: Sequence[tuple[str | None, Expr]],
        *,
        by: Sequence[str] = (),
        interval: str | None = None,
        window: Timeframe | None = None,
    ) -> Query:
        """``timeseries {alias=agg(metric), …}, by:{…}, interval:…, from:…``.

        An alias of ``None`` leaves the field named by Grail after the expression
        (``avg(dt.host.cpu.usage)``).
        """
        if not aggregations:
            raise DQLValueError("a timeseries query needs at least one metric")
        aggs = ", ".join(
            expr.text if alias is None else f"{identifier(alias)}={expr.text}" for alias, expr in aggregations
        )
        head = f"timeseries {{{aggs}}}"
        if by:
            head += ", by:{" + ", ".join(identifier(b) for b in by) + "}"
        if interval is not None:
            head += f", interval:{duration(interval)}"
        if window is not None:
            head += ", " + window.render()
        return cls(head)

    def _step(self, text: str) -> Query:
        return Query(self.head, [*self.steps, text])

    def filter(self, *conditions: Expr) -> Query:
        """``| filter a and b`` (nothing added when no condition is given)."""
        if not conditions:
            return self
        return self._step("filter " + and_(*conditions).text)

    def search(self, text: str) -> Query:
        """``| search "text"`` across all fields."""
        return self._step("search " + string_literal(text))

    def fields_add(self, **assignments: Expr) -> Query:
        """``| fieldsAdd name = expr``."""
        parts = ", ".join(f"{identifier(k)} = {v.text}" for k, v in assignments.items())
        return self._step("fieldsAdd " + parts)

    def fields(self, *names: str) -> Query:
        """``| fields a, b`` keeping only these fields."""
        return self._step("fields " + ", ".join(identifier(n) for n in names))

    def summarize(self, aggregations: Sequence[tuple[str, Expr]], *, by: Sequence[str] = ()) -> Query:
        """``| summarize alias = agg, …, by:{…}``."""
        aggs = ", ".join(f"{identifier(alias)} = {expr.text}" for alias, expr in aggregations)
        text = "summarize " + aggs
        if by:
            text += ", by:{" + ", ".join(identifier(b) for b in by) + "}"
        return self._step(text)

    def sort(self, name: str, *, descending: bool = False) -> Query:
        """``| sort field [desc]``."""
        return self._step(f"sort {identifier(name)}" + (" desc" if descending else " asc"))

    def limit(self, count: int) -> Query:
        """``| limit n`` (1..100000)."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100_000:
            raise DQLValueError("limit must be a whole number between 1 and 100000")
        return self._step(f"limit {count}")

    def render(self) -> str:
        """The query text; checked once more to be a single read-only statement."""
        text = " | ".join([self.head, *self.steps])
        assert_single_statement(text)
        return text

    def __str__(self) -> str:
        return self.render()


_OUTSIDE_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')


def _strip_quoted(text: str) -> str:
    return _OUTSIDE_STRINGS.sub("_", text)


def assert_single_statement(text: str) -> None:
    """Raise unless ``text`` is one line, starts with a read command, and has no comment.

    Quoted strings and backticked names are ignored, so a user's ``//`` or ``|`` inside a
    search value is fine while the same characters in the query structure are not.
    """
    bare = _strip_quoted(text)
    if '"' in bare or "`" in bare:
        raise DQLValueError("the query has an unterminated string or field name")
    if any(ch in bare for ch in "\n\r\u2028\u2029\x00"):
        raise DQLValueError("a query must not contain line breaks outside strings")
    if "//" in bare or "/*" in bare:
        raise DQLValueError("a query must not contain comments")
    first = bare.strip().split(" ", 1)[0].rstrip(",")
    if first not in READ_COMMANDS:
        raise DQLValueError(f"a query must start with one of {', '.join(READ_COMMANDS)}; got {first!r}")
