"""A recursive-descent parser from DQL text to a validated :class:`~.ast.Query`.

Parsing happens in two layers. The generic layer reads a command as its name followed by a
comma-separated argument list (positional expressions, ``alias = expr``, ``name: value``
parameters and ``{...}`` groups), which is DQL's uniform command shape. The command layer then
checks those arguments against what each command accepts and builds its typed node. Function
calls are checked against :mod:`.functions`, so an unknown function or a wrong argument count
fails here, with a position, before any data is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import ast
from .dpl import DPLError, compile_dpl
from .errors import DQLParseError
from .functions import AGGREGATIONS, SCALAR
from .lexer import Token, tokenize
from .types import DURATION_UNITS

__all__ = ["KNOWN_TABLES", "parse"]

KNOWN_TABLES = frozenset(
    {
        "logs",
        "spans",
        "events",
        "bizevents",
        "user.sessions",
        "user.events",
        "security.events",
        "dt.davis.problems",
        "dt.davis.events",
        "dt.semantic_dictionary.models",
        "dt.semantic_dictionary.fields",
    }
)
_ENTITY_TABLE = re.compile(r"dt\.entity\.[a-z][a-z0-9_]*")

_STARTING = {"fetch", "timeseries", "metrics", "smartscapeNodes", "smartscapeEdges"}
_TRANSFORMING = {
    "filter",
    "filterOut",
    "fields",
    "fieldsKeep",
    "fieldsAdd",
    "fieldsRemove",
    "fieldsRename",
    "sort",
    "limit",
    "dedup",
    "summarize",
    "makeTimeseries",
    "search",
    "parse",
    "expand",
    "fieldsFlatten",
    "append",
}
_UNSUPPORTED_COMMANDS = {
    "data",
    "describe",
    "load",
    "fieldsSummary",
    "join",
    "joinNested",
    "lookup",
    "traverse",
}
_KEYWORDS = {"and", "or", "xor", "not"}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


@dataclass
class _Group:
    """A ``{...}`` list of arguments."""

    items: list[_Arg]
    start: int
    end: int


@dataclass
class _Arg:
    """One raw command argument before the command layer interprets it."""

    start: int
    end: int
    param: str | None = None  # name of a ``name: value`` parameter
    alias: str | None = None  # name of an ``alias = expr`` item
    value: ast.Expr | _Group | None = None
    descending: bool | None = None  # trailing asc/desc
    extra: dict[str, object] = field(default_factory=dict)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.pos = 0

    # --- token helpers -------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "EOF":
            self.pos += 1
        return tok

    def is_punct(self, text: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok.kind == "PUNCT" and tok.text == text

    def is_keyword(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "IDENT" and not tok.quoted and tok.text.lower() == word

    def error(self, error_type: str, message: str, start: int, end: int | None = None) -> DQLParseError:
        return DQLParseError(error_type, message, self.query, start, end)

    def unexpected(self, expected: str) -> DQLParseError:
        tok = self.peek()
        found = "the end of the query" if tok.kind == "EOF" else repr(tok.text)
        return self.error(
            "PARSE_ERROR_UNEXPECTED_TOKEN",
            f"Expected {expected}, but found {found}.",
            tok.start,
            max(tok.start, tok.end - 1),
        )

    def expect_punct(self, text: str, expected: str | None = None) -> Token:
        if not self.is_punct(text):
            raise self.unexpected(expected or repr(text))
        return self.advance()

    # --- query and commands ----------------------------------------------------------------
    def parse_query(self) -> ast.Query:
        commands: list[ast.Command] = []
        if self.peek().kind == "EOF":
            raise self.error(
                "COMMAND_NAME_MISSING", "The query is empty: start it with fetch or timeseries.", 0, 0
            )
        while True:
            commands.append(self.parse_command(first=not commands))
            if self.peek().kind == "EOF":
                break
            self.expect_punct("|", "'|' before the next command or the end of the query")
        return ast.Query(self.query, tuple(commands))

    def parse_command(self, *, first: bool) -> ast.Command:
        tok = self.peek()
        if tok.kind != "IDENT" or tok.quoted:
            if tok.kind == "EOF" or self.is_punct("|"):
                raise self.error(
                    "COMMAND_NAME_MISSING", "A command name is missing after '|'.", tok.start, tok.start
                )
            raise self.unexpected("a command name such as fetch, filter or summarize")
        self.advance()
        name = tok.text
        if name in _UNSUPPORTED_COMMANDS:
            raise self.error(
                "UNSUPPORTED_COMMAND",
                f"The command {name!r} is not supported by the simulator. Supported: fetch, timeseries, "
                + ", ".join(sorted(_TRANSFORMING))
                + ".",
                tok.start,
                tok.end - 1,
            )
        if name == "append" and not first:
            return self.parse_append(tok)
        if name not in _STARTING and name not in _TRANSFORMING:
            hint = _suggest(name, _STARTING | _TRANSFORMING)
            raise self.error(
                "UNKNOWN_COMMAND", f"There is no command {name!r}.{hint}", tok.start, tok.end - 1
            )
        if first and name not in _STARTING:
            raise self.error(
                "PARSE_ERROR_INVALID_STARTING_COMMAND",
                f"A query must start with fetch or timeseries, not {name!r}.",
                tok.start,
                tok.end - 1,
            )
        if not first and name in _STARTING:
            raise self.error(
                "PARSE_ERROR_INVALID_COMMAND_POSITION",
                f"{name!r} can only be the first command of a query.",
                tok.start,
                tok.end - 1,
            )
        args = self.parse_args()
        end = self.tokens[self.pos - 1].end
        return _CommandBuilder(self, name, tok.start, end).build(args)

    def parse_append(self, name_tok: Token) -> ast.Command:
        """``append [ subquery ]``: the bracketed text is parsed as a query of its own."""
        open_tok = self.expect_punct("[", "'[' and a subquery after append")
        depth, i = 1, self.pos
        while i < len(self.tokens) and depth:
            tok = self.tokens[i]
            if tok.kind == "PUNCT" and tok.text == "[":
                depth += 1
            elif tok.kind == "PUNCT" and tok.text == "]":
                depth -= 1
            elif tok.kind == "EOF":
                break
            i += 1
        if depth:
            raise self.error(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "The subquery of append has no closing ']'.",
                open_tok.start,
                open_tok.start,
            )
        close = self.tokens[i - 1]
        text = self.query[open_tok.end : close.start]
        try:
            sub = parse(text)
        except DQLParseError as exc:
            raise self.error(
                exc.error_type, f"In the subquery of append: {exc.message}", open_tok.start, close.start
            ) from None
        self.pos = i
        return ast.AppendCmd(sub, name_tok.start, close.end)

    def parse_args(self) -> list[_Arg]:
        args: list[_Arg] = []
        if self.peek().kind == "EOF" or self.is_punct("|"):
            return args
        while True:
            args.append(self.parse_arg())
            if not self.is_punct(","):
                break
            self.advance()
        if not (self.peek().kind == "EOF" or self.is_punct("|")):
            raise self.unexpected("',' between arguments, '|' or the end of the query")
        return args

    def parse_arg(self) -> _Arg:
        tok = self.peek()
        if tok.kind == "IDENT" and not tok.quoted and self.is_punct(":", 1):
            self.advance()
            self.advance()
            value = self.parse_group() if self.is_punct("{") else self.parse_expr()
            return _Arg(tok.start, self.tokens[self.pos - 1].end, param=tok.text, value=value)
        if self.is_punct("{"):
            group = self.parse_group()
            return _Arg(group.start, group.end, value=group)
        arg = _Arg(tok.start, tok.end)
        if tok.kind == "IDENT" and self.is_punct("=", 1):
            self.advance()
            self.advance()
            arg.alias = str(tok.value)
        arg.value = self.parse_expr()
        if (
            self.peek().kind == "IDENT"
            and not self.peek().quoted
            and self.peek().text.lower() in ("asc", "desc")
        ):
            arg.descending = self.advance().text.lower() == "desc"
        arg.end = self.tokens[self.pos - 1].end
        return arg

    def parse_group(self) -> _Group:
        open_tok = self.expect_punct("{")
        items: list[_Arg] = []
        if not self.is_punct("}"):
            while True:
                items.append(self.parse_arg())
                if not self.is_punct(","):
                    break
                self.advance()
        close = self.expect_punct("}", "',' or '}'")
        return _Group(items, open_tok.start, close.end)

    # --- expressions -----------------------------------------------------------------------
    def parse_expr(self) -> ast.Expr:
        return self.parse_or()

    def parse_or(self) -> ast.Expr:
        left = self.parse_and()
        while self.is_keyword("or") or self.is_keyword("xor"):
            op = self.advance().text.lower()
            right = self.parse_and()
            left = ast.Binary(op, left, right, left.start, right.end)
        return left

    def parse_and(self) -> ast.Expr:
        left = self.parse_not()
        while self.is_keyword("and"):
            self.advance()
            right = self.parse_not()
            left = ast.Binary("and", left, right, left.start, right.end)
        return left

    def parse_not(self) -> ast.Expr:
        if self.is_keyword("not") and not self.is_punct("=", 1) and not self.is_punct(":", 1):
            tok = self.advance()
            operand = self.parse_not()
            return ast.Unary("not", operand, tok.start, operand.end)
        return self.parse_comparison()

    def parse_comparison(self) -> ast.Expr:
        left = self.parse_additive()
        tok = self.peek()
        if tok.kind == "PUNCT" and tok.text in _COMPARISONS:
            self.advance()
            right = self.parse_additive()
            nxt = self.peek()
            if nxt.kind == "PUNCT" and nxt.text in _COMPARISONS:
                raise self.error(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    "Comparisons cannot be chained: combine them with 'and'.",
                    nxt.start,
                    nxt.end - 1,
                )
            for side in (left, right):
                if isinstance(side, ast.Literal) and side.kind == "null":
                    raise self.error(
                        "PARSE_ERROR_NULL_COMPARISON",
                        "Comparing with null is always null: use isNull(field) or isNotNull(field).",
                        side.start,
                        side.end - 1,
                    )
            return ast.Binary(tok.text, left, right, left.start, right.end)
        if tok.kind == "IDENT" and not tok.quoted and tok.text.lower() == "in":
            raise self.error(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                'Write membership tests as in(field, {"a", "b"}).',
                tok.start,
                tok.end - 1,
            )
        return left

    def parse_additive(self) -> ast.Expr:
        left = self.parse_multiplicative()
        while self.is_punct("+") or self.is_punct("-"):
            op = self.advance().text
            right = self.parse_multiplicative()
            left = ast.Binary(op, left, right, left.start, right.end)
        return left

    def parse_multiplicative(self) -> ast.Expr:
        left = self.parse_unary()
        while self.is_punct("*") or self.is_punct("/") or self.is_punct("%"):
            op = self.advance().text
            right = self.parse_unary()
            left = ast.Binary(op, left, right, left.start, right.end)
        return left

    def parse_unary(self) -> ast.Expr:
        if self.is_punct("-"):
            tok = self.advance()
            operand = self.parse_unary()
            if isinstance(operand, ast.Literal) and operand.kind in ("long", "double", "duration"):
                value = -operand.value  # type: ignore[operator]
                return ast.Literal(value, operand.kind, tok.start, operand.end, "-" + operand.text)
            return ast.Unary("-", operand, tok.start, operand.end)
        expr = self.parse_primary()
        if isinstance(expr, ast.FieldRef) and self.is_punct("[") and self.is_punct("]", 1):
            # ``total[]``: an iterative expression over an array (as in SLO indicators)
            self.advance()
            close = self.advance()
            expr = ast.FieldRef(expr.name, expr.start, close.end, expr.quoted, iterate=True)
        if self.is_punct("@") or self.is_punct("["):
            tok = self.peek()
            what = "Time alignment with '@'" if tok.text == "@" else "Array/record access with '[...]'"
            raise self.error(
                "UNSUPPORTED_SYNTAX", f"{what} is not supported by the simulator.", tok.start, tok.start
            )
        return expr

    def parse_primary(self) -> ast.Expr:
        tok = self.peek()
        if tok.kind == "STRING":
            self.advance()
            return ast.Literal(tok.value, "string", tok.start, tok.end, tok.text)
        if tok.kind == "LONG":
            self.advance()
            return ast.Literal(tok.value, "long", tok.start, tok.end, tok.text)
        if tok.kind == "DOUBLE":
            self.advance()
            return ast.Literal(tok.value, "double", tok.start, tok.end, tok.text)
        if tok.kind == "DURATION":
            self.advance()
            assert isinstance(tok.value, tuple)
            amount, unit = tok.value
            ns = int(amount * DURATION_UNITS[unit])
            return ast.Literal(ns, "duration", tok.start, tok.end, tok.text)
        if self.is_punct("("):
            self.advance()
            inner = self.parse_expr()
            self.expect_punct(")", "')'")
            return inner
        if self.is_punct("{"):
            return self.parse_list()
        if self.is_punct("["):
            raise self.error(
                "UNSUPPORTED_SYNTAX",
                "Subqueries in '[...]' are not supported by the simulator.",
                tok.start,
                tok.start,
            )
        if tok.kind == "IDENT":
            self.advance()
            if not tok.quoted and self.is_punct("("):
                return self.parse_call(tok)
            word = tok.text.lower()
            if not tok.quoted and word in ("true", "false"):
                return ast.Literal(word == "true", "boolean", tok.start, tok.end, word)
            if not tok.quoted and word == "null":
                return ast.Literal(None, "null", tok.start, tok.end, "null")
            if not tok.quoted and word in _KEYWORDS:
                raise self.error(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    f"{tok.text!r} needs an operand before it.",
                    tok.start,
                    tok.end - 1,
                )
            return ast.FieldRef(str(tok.value), tok.start, tok.end, tok.quoted)
        raise self.unexpected("a value, field name or function call")

    def parse_list(self) -> ast.ListLit:
        open_tok = self.expect_punct("{")
        items: list[ast.Expr] = []
        if not self.is_punct("}"):
            while True:
                items.append(self.parse_expr())
                if not self.is_punct(","):
                    break
                self.advance()
        close = self.expect_punct("}", "',' or '}'")
        return ast.ListLit(tuple(items), open_tok.start, close.end)

    def parse_call(self, name_tok: Token) -> ast.Call:
        self.expect_punct("(")
        args: list[ast.Expr] = []
        named: list[tuple[str, ast.Expr]] = []
        if not self.is_punct(")"):
            while True:
                tok = self.peek()
                if tok.kind == "IDENT" and not tok.quoted and self.is_punct(":", 1):
                    self.advance()
                    self.advance()
                    if any(n == tok.text for n, _ in named):
                        raise self.error(
                            "PARSE_ERROR_DUPLICATE_PARAMETER",
                            f"The parameter {tok.text!r} is given twice.",
                            tok.start,
                            tok.end - 1,
                        )
                    named.append((tok.text, self.parse_expr()))
                else:
                    if named:
                        raise self.error(
                            "PARSE_ERROR_UNEXPECTED_TOKEN",
                            "Positional arguments must come before named ones.",
                            tok.start,
                            tok.end - 1,
                        )
                    args.append(self.parse_expr())
                if not self.is_punct(","):
                    break
                self.advance()
        close = self.expect_punct(")", "',' or ')'")
        return ast.Call(name_tok.text, tuple(args), tuple(named), name_tok.start, close.end)


def _suggest(name: str, candidates: set[str] | frozenset[str]) -> str:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return f" Did you mean {lowered[name.lower()]!r}? Names are case-sensitive."
    return ""


class _CommandBuilder:
    """Interpret the raw arguments of one command and validate its expressions."""

    def __init__(self, parser: _Parser, name: str, start: int, end: int) -> None:
        self.p = parser
        self.name = name
        self.start = start
        self.end = end

    def build(self, args: list[_Arg]) -> ast.Command:
        method = getattr(self, "_" + self.name)
        result: ast.Command = method(args)
        return result

    # --- helpers ---------------------------------------------------------------------------
    def fail(self, error_type: str, message: str, start: int, end: int) -> DQLParseError:
        return self.p.error(error_type, message, start, max(start, end - 1))

    def split(self, args: list[_Arg], allowed: set[str]) -> tuple[list[_Arg], dict[str, _Arg]]:
        positional: list[_Arg] = []
        params: dict[str, _Arg] = {}
        for arg in args:
            if arg.param is None:
                positional.append(arg)
                continue
            if arg.param not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise self.fail(
                    "UNKNOWN_PARAMETER" if arg.param not in _UNSUPPORTED_PARAMS else "UNSUPPORTED_PARAMETER",
                    f"{self.name} has no supported parameter {arg.param!r} (supported: {known}).",
                    arg.start,
                    arg.end,
                )
            if arg.param in params:
                raise self.fail(
                    "PARSE_ERROR_DUPLICATE_PARAMETER", f"{arg.param!r} is given twice.", arg.start, arg.end
                )
            params[arg.param] = arg
        return positional, params

    def no_direction(self, arg: _Arg) -> None:
        if arg.descending is not None:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                f"asc/desc is only allowed in sort, not in {self.name}.",
                arg.start,
                arg.end,
            )

    def flatten(self, args: list[_Arg]) -> list[_Arg]:
        """Expand ``{...}`` groups among positional arguments into their items."""
        out: list[_Arg] = []
        for arg in args:
            if isinstance(arg.value, _Group):
                out.extend(self.flatten(arg.value.items))
            else:
                out.append(arg)
        return out

    def expr_of(self, arg: _Arg) -> ast.Expr:
        if arg.param is not None:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                f"Unexpected parameter {arg.param!r} here.",
                arg.start,
                arg.end,
            )
        if isinstance(arg.value, _Group) or arg.value is None:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", "A {...} group is not allowed here.", arg.start, arg.end
            )
        return arg.value

    def single_expr(self, arg: _Arg) -> ast.Expr:
        """A parameter value that is one expression, possibly wrapped in ``{...}``."""
        value = arg.value
        if isinstance(value, _Group):
            if len(value.items) != 1:
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    f"{arg.param!r} takes exactly one expression.",
                    arg.start,
                    arg.end,
                )
            inner = value.items[0]
            self.no_direction(inner)
            if inner.alias is not None:
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN", "No alias is allowed here.", inner.start, inner.end
                )
            return self.expr_of(inner)
        assert value is not None
        return value

    def named_items(self, args: list[_Arg], *, aggregate: str | None) -> tuple[ast.NamedExpr, ...]:
        items: list[ast.NamedExpr] = []
        for arg in self.flatten(args):
            self.no_direction(arg)
            expr = self.expr_of(arg)
            if aggregate is not None:
                self.check_aggregation(expr, aggregate)
            else:
                self.check(expr)
            name = arg.alias or (expr.name if isinstance(expr, ast.FieldRef) else ast.canonical(expr))
            items.append(ast.NamedExpr(name, expr))
        return tuple(items)

    def check(self, expr: ast.Expr) -> None:
        """Validate every function call in a scalar expression."""
        if isinstance(expr, ast.Call):
            spec = SCALAR.get(expr.name)
            if spec is None:
                if expr.name in AGGREGATIONS:
                    raise self.fail(
                        "AGGREGATION_NOT_ALLOWED",
                        f"{expr.name}() is an aggregation: use it in summarize or makeTimeseries, "
                        f"not in {self.name}.",
                        expr.start,
                        expr.end,
                    )
                hint = _suggest(expr.name, set(SCALAR) | set(AGGREGATIONS))
                raise self.fail(
                    "UNKNOWN_FUNCTION", f"There is no function {expr.name!r}.{hint}", expr.start, expr.end
                )
            self.check_signature(expr, spec.min_args, spec.max_args, spec.named)
            if expr.name == "in" and not isinstance(expr.args[1], ast.ListLit | ast.FieldRef | ast.Call):
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    'The second argument of in() must be a value list like {"a", "b"}, an array or a field.',
                    expr.args[1].start,
                    expr.args[1].end,
                )
            if expr.name == "bin" and not (
                isinstance(expr.args[1], ast.Literal) and expr.args[1].kind in ("duration", "long", "double")
            ):
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    "The interval of bin() must be a constant such as 5m.",
                    expr.args[1].start,
                    expr.args[1].end,
                )
            for sub in (*expr.args, *(v for _, v in expr.named)):
                self.check(sub)
        elif isinstance(expr, ast.Unary):
            self.check(expr.operand)
        elif isinstance(expr, ast.Binary):
            self.check(expr.left)
            self.check(expr.right)
        elif isinstance(expr, ast.ListLit):
            for item in expr.items:
                self.check(item)

    def check_signature(self, call: ast.Call, lo: int, hi: int | None, named: frozenset[str]) -> None:
        n = len(call.args)
        if n < lo or (hi is not None and n > hi):
            wanted = str(lo) if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
            raise self.fail(
                "WRONG_NUMBER_OF_PARAMETERS",
                f"{call.name}() takes {wanted} positional argument(s), but {n} were given.",
                call.start,
                call.end,
            )
        for key, value in call.named:
            if key not in named:
                known = ", ".join(sorted(named)) or "none"
                raise self.fail(
                    "UNKNOWN_PARAMETER",
                    f"{call.name}() has no parameter {key!r} (supported: {known}).",
                    value.start,
                    value.end,
                )

    def check_aggregation(self, expr: ast.Expr, context: str) -> None:
        if not isinstance(expr, ast.Call) or expr.name not in AGGREGATIONS:
            if isinstance(expr, ast.Call) and expr.name not in SCALAR:
                self.check(expr)  # reports UNKNOWN_FUNCTION with a suggestion
            raise self.fail(
                "PARSE_ERROR_AGGREGATION_EXPECTED",
                f"{self.name} expects aggregations such as count(), avg(field) or percentile(field, 90).",
                expr.start,
                expr.end,
            )
        spec = AGGREGATIONS[expr.name]
        allowed = (
            spec.named
            if context == "makeTimeseries"
            else (frozenset({"default"}) & spec.named if context == "timeseries" else frozenset())
        )
        lo, hi = (
            (1, 1) if context == "timeseries" and expr.name == "count" else (spec.min_args, spec.max_args)
        )
        self.check_signature(expr, lo, hi, allowed)
        if context == "timeseries":
            if expr.name not in _TIMESERIES_AGGS:
                raise self.fail(
                    "UNSUPPORTED_FUNCTION",
                    f"timeseries supports {', '.join(sorted(_TIMESERIES_AGGS))}, not {expr.name}().",
                    expr.start,
                    expr.end,
                )
            if not expr.args or not isinstance(expr.args[0], ast.FieldRef):
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    f"{expr.name}() in timeseries takes a metric key, e.g. avg(dt.service.response.time).",
                    expr.start,
                    expr.end,
                )
        else:
            for sub in expr.args:
                self.check(sub)
        if expr.name == "percentile":
            pct = expr.args[1]
            pct_value = pct.value if isinstance(pct, ast.Literal) and pct.kind in ("long", "double") else None
            if not (isinstance(pct_value, int | float) and 0 <= pct_value <= 100):
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    "The percentile must be a number from 0 to 100.",
                    pct.start,
                    pct.end,
                )
        for _, value in expr.named:
            self.check(value)

    def field_names(self, args: list[_Arg]) -> tuple[str, ...]:
        names: list[str] = []
        for arg in self.flatten(args):
            self.no_direction(arg)
            expr = self.expr_of(arg)
            if arg.alias is not None or not isinstance(expr, ast.FieldRef):
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN", f"{self.name} takes field names only.", arg.start, arg.end
                )
            names.append(expr.name)
        return tuple(names)

    def sort_keys(self, args: list[_Arg]) -> tuple[ast.SortKey, ...]:
        keys: list[ast.SortKey] = []
        for arg in self.flatten(args):
            if arg.alias is not None:
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN", "Sort keys take no alias.", arg.start, arg.end
                )
            expr = self.expr_of(arg)
            self.check(expr)
            keys.append(ast.SortKey(expr, bool(arg.descending)))
        return tuple(keys)

    def time_param(self, params: dict[str, _Arg], name: str) -> ast.Expr | None:
        arg = params.get(name)
        if arg is None:
            return None
        expr = self.single_expr(arg)
        self.check(expr)
        return expr

    # --- commands --------------------------------------------------------------------------
    def _search(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        if len(positional) != 1 or positional[0].alias is not None:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                'search takes search terms, e.g. search "*checkout*" or search "a" OR "b".',
                self.start,
                self.end,
            )
        condition = self.expr_of(positional[0])
        self.check_search_terms(condition)
        return ast.SearchCmd(condition, self.start, self.end)

    def check_search_terms(self, expr: ast.Expr) -> None:
        if isinstance(expr, ast.Literal) and expr.kind == "string":
            return
        if isinstance(expr, ast.Binary) and expr.op in ("and", "or"):
            self.check_search_terms(expr.left)
            self.check_search_terms(expr.right)
            return
        if isinstance(expr, ast.Unary) and expr.op == "not":
            self.check_search_terms(expr.operand)
            return
        raise self.fail(
            "UNSUPPORTED_SYNTAX",
            "The simulator's search takes quoted terms joined by AND/OR/NOT only (a simulator limit).",
            expr.start,
            expr.end,
        )

    def _parse(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        if (
            len(positional) != 2
            or not isinstance(positional[0].value, ast.FieldRef)
            or not isinstance(positional[1].value, ast.Literal)
            or positional[1].value.kind != "string"
        ):
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "parse takes a field and a DPL pattern, e.g. parse content, \"LD 'status=' INT:status\".",
                self.start,
                self.end,
            )
        pattern = str(positional[1].value.value)
        try:
            compile_dpl(pattern)
        except DPLError as exc:
            raise self.fail("UNSUPPORTED_SYNTAX", str(exc), positional[1].start, positional[1].end) from None
        return ast.ParseCmd(positional[0].value.name, pattern, self.start, self.end)

    def _expand(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        if len(positional) != 1 or not isinstance(positional[0].value, ast.FieldRef):
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "expand takes one array field, e.g. expand tags or expand tag = tags.",
                self.start,
                self.end,
            )
        field_name = positional[0].value.name
        return ast.ExpandCmd(positional[0].alias or field_name, field_name, self.start, self.end)

    def _fieldsFlatten(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        return ast.FieldsFlattenCmd(self.field_names(positional), self.start, self.end)

    def _smartscape(self, args: list[_Arg], edges: bool) -> ast.Command:
        positional, _ = self.split(args, {"from", "to"})
        value = positional[0].value if len(positional) == 1 else None
        if isinstance(value, ast.Literal) and value.kind == "string":
            pattern = str(value.value)
        elif isinstance(value, ast.FieldRef):
            pattern = value.name
        else:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                f'{self.name} takes one type, e.g. {self.name} "SERVICE" or {self.name} "*".',
                self.start,
                self.end,
            )
        return ast.SmartscapeCmd(edges, pattern, self.start, self.end)

    def _smartscapeNodes(self, args: list[_Arg]) -> ast.Command:
        return self._smartscape(args, edges=False)

    def _smartscapeEdges(self, args: list[_Arg]) -> ast.Command:
        return self._smartscape(args, edges=True)

    def _fetch(self, args: list[_Arg]) -> ast.Command:
        positional, params = self.split(args, {"from", "to", "scanLimitGBytes"})
        if len(positional) != 1 or not isinstance(positional[0].value, ast.FieldRef) or positional[0].alias:
            where = positional[1] if len(positional) > 1 else (positional[0] if positional else None)
            start, end = (where.start, where.end) if where else (self.start, self.end)
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "fetch takes exactly one data object, e.g. fetch logs, from:now()-1h.",
                start,
                end,
            )
        table = positional[0].value
        self.no_direction(positional[0])
        if table.name not in KNOWN_TABLES and not _ENTITY_TABLE.fullmatch(table.name):
            raise self.fail(
                "UNKNOWN_DATA_OBJECT",
                f"There is no data object {table.name!r}. Known: {', '.join(sorted(KNOWN_TABLES))}, "
                "dt.entity.<type>.",
                table.start,
                table.end,
            )
        return ast.FetchCmd(
            table.name,
            table.start,
            table.end,
            self.time_param(params, "from"),
            self.time_param(params, "to"),
            self.start,
            self.end,
        )

    def _filter(self, args: list[_Arg], negate: bool = False) -> ast.Command:
        positional, _ = self.split(args, set())
        if len(positional) != 1 or positional[0].alias is not None:
            start, end = (
                (positional[1].start, positional[1].end) if len(positional) > 1 else (self.start, self.end)
            )
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", f"{self.name} takes exactly one condition.", start, end
            )
        self.no_direction(positional[0])
        condition = self.expr_of(positional[0])
        self.check(condition)
        if isinstance(condition, ast.Literal) and condition.kind not in ("boolean", "null"):
            raise self.fail(
                "PARSE_ERROR_BOOLEAN_EXPECTED",
                f"{self.name} needs a boolean condition.",
                condition.start,
                condition.end,
            )
        return ast.FilterCmd(condition, negate, self.start, self.end)

    def _filterOut(self, args: list[_Arg]) -> ast.Command:
        return self._filter(args, negate=True)

    def _fields(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        if not positional:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", "fields needs at least one field.", self.start, self.end
            )
        return ast.FieldsCmd(self.named_items(positional, aggregate=None), False, self.start, self.end)

    def _fieldsKeep(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        names = self.field_names(positional)
        items = tuple(ast.NamedExpr(n, ast.FieldRef(n, self.start, self.start)) for n in names)
        return ast.FieldsCmd(items, True, self.start, self.end)

    def _fieldsAdd(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        if not positional:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", "fieldsAdd needs at least one field.", self.start, self.end
            )
        return ast.FieldsAddCmd(self.named_items(positional, aggregate=None), self.start, self.end)

    def _fieldsRemove(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        return ast.FieldsRemoveCmd(self.field_names(positional), self.start, self.end)

    def _fieldsRename(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        pairs: list[tuple[str, str]] = []
        for arg in self.flatten(positional):
            expr = self.expr_of(arg)
            if arg.alias is None or not isinstance(expr, ast.FieldRef) or arg.descending is not None:
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    "fieldsRename takes pairs like newName = oldName.",
                    arg.start,
                    arg.end,
                )
            pairs.append((arg.alias, expr.name))
        if not pairs:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", "fieldsRename needs newName = oldName.", self.start, self.end
            )
        return ast.FieldsRenameCmd(tuple(pairs), self.start, self.end)

    def _sort(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        keys = self.sort_keys(positional)
        if not keys:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", "sort needs at least one key.", self.start, self.end
            )
        return ast.SortCmd(keys, self.start, self.end)

    def _limit(self, args: list[_Arg]) -> ast.Command:
        positional, _ = self.split(args, set())
        if len(positional) != 1:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", "limit takes one number, e.g. limit 10.", self.start, self.end
            )
        value = positional[0].value
        if not (
            isinstance(value, ast.Literal)
            and value.kind == "long"
            and isinstance(value.value, int)
            and value.value >= 0
        ):
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "limit takes a non-negative whole number, e.g. limit 10.",
                positional[0].start,
                positional[0].end,
            )
        return ast.LimitCmd(value.value, self.start, self.end)

    def _dedup(self, args: list[_Arg]) -> ast.Command:
        positional, params = self.split(args, {"sort"})
        keys: list[ast.Expr] = []
        for arg in self.flatten(positional):
            self.no_direction(arg)
            expr = self.expr_of(arg)
            self.check(expr)
            keys.append(expr)
        if not keys:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN", "dedup needs at least one field.", self.start, self.end
            )
        sort: tuple[ast.SortKey, ...] = ()
        if "sort" in params:
            arg = params["sort"]
            items = (
                arg.value.items
                if isinstance(arg.value, _Group)
                else [_Arg(arg.start, arg.end, value=arg.value)]
            )
            sort = self.sort_keys(items)
        return ast.DedupCmd(tuple(keys), sort, self.start, self.end)

    def by_items(self, params: dict[str, _Arg]) -> tuple[ast.NamedExpr, ...]:
        arg = params.get("by")
        if arg is None:
            return ()
        items = (
            arg.value.items if isinstance(arg.value, _Group) else [_Arg(arg.start, arg.end, value=arg.value)]
        )
        return self.named_items(items, aggregate=None)

    def _summarize(self, args: list[_Arg]) -> ast.Command:
        positional, params = self.split(args, {"by"})
        aggs = self.named_items(positional, aggregate="summarize")
        by = self.by_items(params)
        if not aggs and not by:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "summarize needs an aggregation or by:{...}.",
                self.start,
                self.end,
            )
        return ast.SummarizeCmd(aggs, by, self.start, self.end)

    def _timeseries(self, args: list[_Arg]) -> ast.Command:
        positional, params = self.split(args, {"by", "filter", "from", "to", "interval"})
        aggs = self.named_items(positional, aggregate="timeseries")
        if not aggs:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "timeseries needs an aggregation such as avg(dt.host.cpu.usage).",
                self.start,
                self.end,
            )
        by = self.by_items(params)
        for item in by:
            if not isinstance(item.expr, ast.FieldRef):
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    "timeseries groups by dimension names only.",
                    item.expr.start,
                    item.expr.end,
                )
        filt = self.time_param(params, "filter")
        return ast.TimeseriesCmd(
            aggs,
            by,
            filt,
            self.time_param(params, "from"),
            self.time_param(params, "to"),
            self.time_param(params, "interval"),
            self.start,
            self.end,
        )

    def _metrics(self, args: list[_Arg]) -> ast.Command:
        positional, params = self.split(args, {"from", "to"})
        if positional:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "metrics takes only from: and to:; narrow the keys with | filter, e.g. "
                'metrics | filter startsWith(metric.key, "dt.service.").',
                positional[0].start,
                positional[0].end,
            )
        return ast.MetricsCmd(
            self.time_param(params, "from"), self.time_param(params, "to"), self.start, self.end
        )

    def _makeTimeseries(self, args: list[_Arg]) -> ast.Command:
        positional, params = self.split(args, {"by", "interval", "time", "from", "to"})
        aggs = self.named_items(positional, aggregate="makeTimeseries")
        if not aggs:
            raise self.fail(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                "makeTimeseries needs an aggregation such as count().",
                self.start,
                self.end,
            )
        time_field = "timestamp"
        if "time" in params:
            expr = self.single_expr(params["time"])
            if not isinstance(expr, ast.FieldRef):
                raise self.fail(
                    "PARSE_ERROR_UNEXPECTED_TOKEN", "time: takes a field name.", expr.start, expr.end
                )
            time_field = expr.name
        return ast.MakeTimeseriesCmd(
            aggs,
            self.by_items(params),
            self.time_param(params, "interval"),
            time_field,
            self.time_param(params, "from"),
            self.time_param(params, "to"),
            self.start,
            self.end,
        )


_TIMESERIES_AGGS = frozenset({"avg", "sum", "min", "max", "count", "percentile", "median"})
_UNSUPPORTED_PARAMS = frozenset(
    {
        "timeframe",
        "samplingRatio",
        "bucket",
        "bins",
        "shift",
        "nonempty",
        "union",
        "spread",
        "rollup",
        "scalar",
        "rate",
        "maxLength",
    }
)


def parse(query: str) -> ast.Query:
    """Parse and validate ``query``; raise :class:`DQLParseError` with a position if it is not valid."""
    if not isinstance(query, str):
        raise DQLParseError("PARSE_ERROR_UNEXPECTED_TOKEN", "The query must be a string.", "", 0, 0)
    return _Parser(query).parse_query()
