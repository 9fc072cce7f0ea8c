"""SLO service routes (``/platform/slo/v1/slos``), scope ``slo:slos:read``.

Paging uses ``page-key``/``page-size`` (never both at once); ``filter`` supports clauses such
as ``name~'checkout'`` (contains, the form Dynatrace's dtctl sends) or ``name = 'x'``, joined by
``and``, and is resent on every page. Errors use the platform envelope.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dynatrace_agent.simulator.auth import authenticate, require_scopes
from dynatrace_agent.simulator.paging import PageKeyError, decode_page_key, encode_page_key
from dynatrace_agent.simulator.responses import json, platform_error
from dynatrace_agent.simulator.state import SimulatorState

__all__ = ["get_slo", "list_slos"]

_CLAUSE = re.compile(
    r"^\s*(?P<field>name|description|id|externalId|tags)\s*(?P<op>~|=|!=)\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*$",
    re.IGNORECASE,
)


class _BadRequest(ValueError):
    pass


def _compile(text: str) -> list[tuple[str, str, str]]:
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(part)
        if not match:
            raise _BadRequest(
                f"Invalid filter {part.strip()!r}: use clauses like name~'checkout' joined by 'and'"
            )
        clauses.append((match["field"], match["op"].lower(), match["value"].replace("\\'", "'")))
    return clauses


def _matches(slo: dict[str, Any], clauses: list[tuple[str, str, str]]) -> bool:
    for field, op, want in clauses:
        have = slo.get("name" if field.lower() == "name" else field)
        texts = [str(t) for t in have] if isinstance(have, list) else [] if have is None else [str(have)]
        w = want.casefold()
        if op == "~":
            ok = any(w in t.casefold() for t in texts)
        elif op == "=":
            ok = any(t.casefold() == w for t in texts)
        else:
            ok = all(t.casefold() != w for t in texts)
        if not ok:
            return False
    return True


def _auth(request: Request) -> Response | None:
    state: SimulatorState = request.app.state.sim
    principal = authenticate(request, state.options, state.tokens, platform=True)
    if isinstance(principal, Response):
        return principal
    return require_scopes(principal, ["slo:slos:read"], platform=True)


async def list_slos(request: Request) -> Response:
    """``GET /platform/slo/v1/slos``."""
    denied = _auth(request)
    if denied is not None:
        return denied
    state: SimulatorState = request.app.state.sim
    params = request.query_params
    try:
        key = params.get("page-key")
        if key is not None:
            if params.get("page-size") is not None:
                raise _BadRequest("page-size must not be combined with page-key")
            try:
                saved, offset = decode_page_key("slos", key)
            except PageKeyError as exc:
                raise _BadRequest(str(exc).replace("nextPageKey", "page-key")) from None
            if params.get("filter") not in (None, saved.get("filter")):
                raise _BadRequest("filter differs from the one the page-key was issued for")
            query = saved
        else:
            query = {k: params[k] for k in ("filter", "page-size", "sort") if k in params}
            offset = 0
        try:
            size = int(query.get("page-size") or 10)
        except ValueError:
            raise _BadRequest("page-size must be a whole number") from None
        if not 1 <= size <= 500:
            raise _BadRequest("page-size must be between 1 and 500")
        clauses = _compile(query["filter"]) if query.get("filter") else []
        selected = [s for s in state.case.slos if _matches(s, clauses)]
        sort = (query.get("sort") or "").strip()
        if sort:
            if sort.lstrip("+-") != "name":
                raise _BadRequest("sort supports name, +name or -name")
            selected.sort(key=lambda s: str(s.get("name", "")).casefold(), reverse=sort.startswith("-"))
    except _BadRequest as exc:
        return platform_error(400, str(exc))
    page = selected[offset : offset + size]
    body: dict[str, Any] = {"slos": page, "totalCount": len(selected)}
    if offset + size < len(selected):
        body["nextPageKey"] = encode_page_key("slos", query, offset + size)
    return json(body)


async def get_slo(request: Request) -> Response:
    """``GET /platform/slo/v1/slos/{id}``."""
    denied = _auth(request)
    if denied is not None:
        return denied
    state: SimulatorState = request.app.state.sim
    slo_id = request.path_params["id"]
    for slo in state.case.slos:
        if str(slo.get("id")) == slo_id:
            return json(slo)
    return platform_error(404, f"SLO {slo_id} not found")
