r"""What makes a notification body safe to store and every stored alert safe to show.

Anyone holding a webhook secret can post any JSON. Python's ``json`` module accepts things
that later break a page or an API answer: lone surrogates (``"\ud800"``) that UTF-8 cannot
encode, ``NaN``/``Infinity`` that strict JSON cannot write, integers too large for a float,
and nesting deep enough to exhaust the recursion limit. :func:`check_body` refuses or
repairs those at intake (one place, before anything is stored); :func:`displayable` repairs
anything already stored (rows written before these checks, or by another version), so the
pages and the API render every alert. :func:`safe_url` keeps only ``http``/``https`` links,
so a ``javascript:`` problem URL never becomes a link.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "MAX_DEPTH",
    "MAX_INT",
    "BodyRejected",
    "check_body",
    "clean_text",
    "displayable",
    "safe_url",
]

#: Deepest nesting accepted (Dynatrace's own payloads nest a handful of levels).
MAX_DEPTH = 32
#: Largest integer magnitude accepted: a signed 64-bit value, what databases and JSON peers hold.
MAX_INT = 2**63 - 1

_SURROGATE = re.compile("[\ud800-\udfff]")
_TRUNCATED = "…(nested deeper than shown)"


class BodyRejected(ValueError):
    """The body cannot be stored as it is; ``path`` says where the problem is."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def clean_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (they cannot be encoded as UTF-8)."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _where(path: str) -> str:
    return path or "the body"


def check_body(value: Any) -> Any:
    """Repair text and refuse numbers and nesting that cannot be stored and shown.

    Returns the value with lone surrogates replaced (in keys and strings); raises
    :class:`BodyRejected` for a non-finite number, an integer beyond 64 bits, or nesting
    deeper than :data:`MAX_DEPTH`; the walk stops there, so it stays far from the stack limit.
    """

    def visit(item: Any, path: str, depth: int) -> Any:
        if isinstance(item, str):
            return clean_text(item)
        if isinstance(item, bool) or item is None:
            return item
        if isinstance(item, int):
            if abs(item) > MAX_INT:
                raise BodyRejected(f"{_where(path)} holds an integer beyond 64 bits", path)
            return item
        if isinstance(item, float):
            if not math.isfinite(item):
                raise BodyRejected(f"{_where(path)} holds NaN or Infinity, which JSON does not allow", path)
            return item
        if depth >= MAX_DEPTH:
            raise BodyRejected(f"the body nests deeper than {MAX_DEPTH} levels (at {_where(path)})", path)
        if isinstance(item, dict):
            out: dict[str, Any] = {}
            for key, sub in item.items():
                name = clean_text(str(key))
                out[name] = visit(sub, f"{path}.{name}" if path else name, depth + 1)
            return out
        if isinstance(item, list):
            return [visit(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(item)]
        return item

    return visit(value, "", 0)


def displayable(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of a stored value that strict JSON and UTF-8 can always encode.

    Lone surrogates become U+FFFD, ``NaN``/``Infinity`` become ``null``, integers beyond 64
    bits become strings and anything nested deeper than ``max_depth`` is cut with a marker.
    Never raises: it is the last line before a page or an API answer.
    """

    def visit(item: Any, depth: int) -> Any:
        if isinstance(item, str):
            return clean_text(item)
        if isinstance(item, bool) or item is None:
            return item
        if isinstance(item, int):
            return item if abs(item) <= MAX_INT else str(item)[:40] + "…"
        if isinstance(item, float):
            return item if math.isfinite(item) else None
        if isinstance(item, dict | list | tuple) and depth >= max_depth:
            return _TRUNCATED
        if isinstance(item, dict):
            return {clean_text(str(k)): visit(v, depth + 1) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [visit(v, depth + 1) for v in item]
        return clean_text(str(item))

    return visit(value, 0)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute ``http``/``https`` URL with a host, else None."""
    if not url:
        return None
    text = url.strip()
    if any(ch in text for ch in "\x00\r\n\t") or any(ord(ch) < 0x20 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text
