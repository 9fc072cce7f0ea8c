"""Turn DQL text into tokens, each knowing where it came from.

DQL field names contain dots (``dt.entity.service``, ``k8s.pod.name``), so a dotted name is
one ``IDENT`` token; names with other characters are written in backticks. Numbers followed by
a unit (``5m``, ``500ms``) are ``DURATION`` tokens. Strings may be double-, single- or
triple-double-quoted with backslash escapes. ``//`` and ``/* */`` are comments.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from .errors import DQLParseError
from .types import DURATION_UNITS

__all__ = ["Token", "tokenize"]

_PUNCT = (
    "==",
    "!=",
    "<=",
    ">=",
    "|",
    ",",
    ":",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "@",
    "~",
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "`": "`", "0": "\0"}


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token. ``start``/``end`` are 0-based offsets, ``end`` exclusive."""

    kind: str  # IDENT, STRING, LONG, DOUBLE, DURATION, PUNCT, EOF
    text: str  # the source text
    value: object  # decoded value (name, string, number, (amount, unit))
    start: int
    end: int
    quoted: bool = False  # an identifier written in backticks


def _read_string(query: str, i: int) -> tuple[str, int]:
    """Read a quoted string starting at ``query[i]``; return (value, index after it)."""
    if query.startswith('"""', i):
        close = query.find('"""', i + 3)
        if close < 0:
            raise DQLParseError(
                "PARSE_ERROR_UNTERMINATED_STRING",
                'The triple-quoted string is never closed: add """ at its end.',
                query,
                i,
                len(query) - 1,
            )
        return query[i + 3 : close], close + 3
    quote = query[i]
    out: list[str] = []
    j = i + 1
    while j < len(query):
        ch = query[j]
        if ch == "\\":
            if j + 1 >= len(query):
                break
            nxt = query[j + 1]
            hex_digits = query[j + 2 : j + 6]
            if nxt == "u" and len(hex_digits) == 4 and all(c in string.hexdigits for c in hex_digits):
                out.append(chr(int(hex_digits, 16)))
                j += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            j += 2
            continue
        if ch == quote:
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise DQLParseError(
        "PARSE_ERROR_UNTERMINATED_STRING",
        f"The string literal starting here is never closed: add a closing {quote}.",
        query,
        i,
        len(query) - 1,
    )


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_ident_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_ident_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def tokenize(query: str) -> list[Token]:
    """Split ``query`` into tokens, ending with an ``EOF`` token; raise on a bad character."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if query.startswith("//", i):
            nl = query.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if query.startswith("/*", i):
            close = query.find("*/", i + 2)
            if close < 0:
                raise DQLParseError(
                    "PARSE_ERROR_UNTERMINATED_COMMENT",
                    "The /* comment is never closed: add */.",
                    query,
                    i,
                    n - 1,
                )
            i = close + 2
            continue
        if ch in "\"'":
            value, j = _read_string(query, i)
            tokens.append(Token("STRING", query[i:j], value, i, j))
            i = j
            continue
        if ch == "`":
            close = query.find("`", i + 1)
            if close < 0 or close == i + 1:
                raise DQLParseError(
                    "PARSE_ERROR_UNEXPECTED_TOKEN",
                    "A backtick-quoted field name must be non-empty and closed with a backtick.",
                    query,
                    i,
                    n - 1 if close < 0 else close,
                )
            tokens.append(
                Token("IDENT", query[i : close + 1], query[i + 1 : close], i, close + 1, quoted=True)
            )
            i = close + 1
            continue
        if _is_digit(ch):
            tokens.append(_read_number(query, i))
            i = tokens[-1].end
            continue
        if _is_ident_start(ch):
            j = i + 1
            while j < n:
                if _is_ident_char(query[j]) or (
                    query[j] == "." and j + 1 < n and _is_ident_char(query[j + 1])
                ):
                    j += 1
                else:
                    break
            tokens.append(Token("IDENT", query[i:j], query[i:j], i, j))
            i = j
            continue
        for punct in _PUNCT:
            if query.startswith(punct, i):
                tokens.append(Token("PUNCT", punct, punct, i, i + len(punct)))
                i += len(punct)
                break
        else:
            raise DQLParseError(
                "PARSE_ERROR_UNEXPECTED_TOKEN",
                f"The character {ch!r} is not valid here. Quote text in double quotes and field names "
                "with unusual characters in backticks.",
                query,
                i,
                i,
            )
    tokens.append(Token("EOF", "", None, n, n))
    return tokens


def _read_number(query: str, i: int) -> Token:
    """Read a long, double or duration literal starting at ``query[i]``."""
    n = len(query)
    j = i
    while j < n and _is_digit(query[j]):
        j += 1
    is_double = False
    if j + 1 < n and query[j] == "." and _is_digit(query[j + 1]):
        is_double = True
        j += 1
        while j < n and _is_digit(query[j]):
            j += 1
    if j < n and query[j] in "eE":
        k = j + 1
        if k < n and query[k] in "+-":
            k += 1
        if k < n and _is_digit(query[k]):
            is_double = True
            j = k
            while j < n and _is_digit(query[j]):
                j += 1
    number_text = query[i:j]
    k = j
    while k < n and query[k].isascii() and query[k].isalpha():
        k += 1
    unit = query[j:k]
    if unit:
        if unit not in DURATION_UNITS:
            raise DQLParseError(
                "PARSE_ERROR_INVALID_DURATION",
                f"{query[i:k]!r} is not a valid literal: a duration needs one of the units "
                f"{', '.join(DURATION_UNITS)} (e.g. 5m, 500ms).",
                query,
                i,
                k - 1,
            )
        amount = float(number_text) if is_double else int(number_text)
        return Token("DURATION", query[i:k], (amount, unit), i, k)
    if k < n and _is_ident_char(query[k]):
        raise DQLParseError(
            "PARSE_ERROR_UNEXPECTED_TOKEN", f"{query[i : k + 1]!r} is not a valid number.", query, i, k
        )
    if is_double:
        return Token("DOUBLE", number_text, float(number_text), i, j)
    return Token("LONG", number_text, int(number_text), i, j)
