"""Query-parameter parsing shared by the classic endpoints; errors become 400 envelopes.

A bad parameter is the caller's mistake, so it is a 400 whose ``constraintViolations`` name
the parameter and say what is allowed -- never a 500.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from starlette.responses import Response

from dynatrace_agent.simulator.paging import PageKeyError, decode_page_key
from dynatrace_agent.simulator.responses import classic_error, violation

__all__ = ["ParamError", "first_page_or_key", "page_size", "parse_fields"]


class ParamError(ValueError):
    """A query parameter is invalid; ``path`` names it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def response(self) -> Response:
        """The 400 classic envelope for this error."""
        return classic_error(
            400,
            f"Constraints violated: {self.path}: {self.message}",
            violations=[violation(self.path, self.message)],
        )


def page_size(raw: object, *, default: int, maximum: int) -> int:
    """``pageSize`` as an int in ``1..maximum``."""
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise ParamError("pageSize", f"must be a whole number between 1 and {maximum}, not {raw!r}") from None
    if not 1 <= value <= maximum:
        raise ParamError("pageSize", f"must be between 1 and {maximum}")
    return value


def parse_fields(raw: str | None, allowed: Collection[str], *, prefixes: Collection[str] = ()) -> list[str]:
    """A ``fields`` list (``+`` prefixes allowed), each in ``allowed`` or under one of ``prefixes``."""
    if not raw:
        return []
    fields: list[str] = []
    for part in raw.split(","):
        name = part.strip().lstrip("+").strip()
        if not name:
            continue
        if name not in allowed and not any(name.startswith(p + ".") for p in prefixes):
            raise ParamError("fields", f"unknown field {name!r}; allowed: {', '.join(sorted(allowed))}")
        fields.append(name)
    return fields


def first_page_or_key(
    kind: str,
    params: Mapping[str, str],
    query_keys: Collection[str],
    *,
    key_name: str = "nextPageKey",
    alone_except: Collection[str] = ("fields",),
) -> tuple[dict[str, Any], int]:
    """The listing's parameters and offset: from the page key when one is sent, else from ``params``."""
    key = params.get(key_name)
    if key is None:
        return {k: params[k] for k in query_keys if k in params}, 0
    extra = sorted(set(params) - {key_name, *alone_except})
    if extra:
        raise ParamError(
            key_name, f"must be sent alone (without {', '.join(extra)}); the key carries the query"
        )
    try:
        return decode_page_key(kind, key)
    except PageKeyError as exc:
        raise ParamError(key_name, str(exc)) from None
