"""Settings API v2 routes (``/settings/objects``) and the API-token lookup.

Settings objects are served as the case stores them, narrowed to the requested ``fields``
(default ``objectId,value`` as the real API) and filtered by ``schemaIds``/``scopes``/
``externalIds`` and a small ``filter`` language (``value.enabled = true and ...``). Filters the
simulator cannot evaluate are a 400 -- never silently ignored.
"""

from __future__ import annotations

import json as jsonlib
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dynatrace_agent.simulator.classic import authorize
from dynatrace_agent.simulator.paging import encode_page_key
from dynatrace_agent.simulator.params import ParamError, first_page_or_key, page_size, parse_fields
from dynatrace_agent.simulator.responses import classic_error, json
from dynatrace_agent.simulator.state import SimulatorState

__all__ = ["get_settings_object", "list_settings_objects", "lookup_api_token"]

_SETTINGS_FIELDS = (
    "objectId",
    "summary",
    "searchSummary",
    "created",
    "modified",
    "createdBy",
    "modifiedBy",
    "author",
    "updateToken",
    "scope",
    "modificationInfo",
    "resourceContext",
    "owner",
    "schemaId",
    "schemaVersion",
    "value",
    "externalId",
)
_CLAUSE = re.compile(
    r"""^\s*(?P<path>[A-Za-z_][\w.]*)\s*(?P<op>=|!=|<=|>=|<|>|\bcontains\b)\s*(?P<lit>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s]+)\s*$""",
    re.IGNORECASE,
)


def _comma_list(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def _literal(text: str) -> Any:
    if text[0] in "'\"":
        return text[1:-1].replace("\\" + text[0], text[0])
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        raise ParamError("filter", f"{text!r} is not a literal; quote strings with '…'") from None


def _compile_filter(text: str) -> list[tuple[str, str, Any]]:
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(part)
        if not match:
            raise ParamError(
                "filter",
                f"cannot evaluate {part.strip()!r}; write clauses like value.enabled = true joined by 'and'",
            )
        clauses.append((match["path"], match["op"].lower(), _literal(match["lit"])))
    return clauses


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _passes(item: dict[str, Any], clauses: list[tuple[str, str, Any]]) -> bool:
    for path, op, want in clauses:
        have = _lookup(item, path)
        if op == "contains":
            ok = isinstance(have, str) and isinstance(want, str) and want.casefold() in have.casefold()
        elif op in ("=", "!="):
            ok = (have == want) == (op == "=")
        else:
            try:
                ok = {"<": have < want, ">": have > want, "<=": have <= want, ">=": have >= want}[op]
            except TypeError:
                ok = False
        if not ok:
            return False
    return True


async def list_settings_objects(request: Request, plane: str) -> Response:
    """``GET …/v2/settings/objects``."""
    auth = authorize(request, plane, "settings")
    if isinstance(auth, Response):
        return auth
    state: SimulatorState = request.app.state.sim
    try:
        raw = dict(request.query_params)
        fields = parse_fields(raw.get("fields"), _SETTINGS_FIELDS) or ["objectId", "value"]
        query, offset = first_page_or_key(
            "settings", raw, ("schemaIds", "scopes", "externalIds", "filter", "sort", "pageSize")
        )
        if not query.get("schemaIds") and not query.get("scopes"):
            raise ParamError(
                "schemaIds", "schemaIds or scopes is required, e.g. builtin:anomaly-detection.metric-events"
            )
        size = page_size(query.get("pageSize"), default=100, maximum=500)
        schemas, scopes = set(_comma_list(query.get("schemaIds"))), set(_comma_list(query.get("scopes")))
        external = set(_comma_list(query.get("externalIds")))
        clauses = _compile_filter(query["filter"]) if query.get("filter") else []
        selected = [
            item
            for item in state.case.settings
            if (not schemas or item.get("schemaId") in schemas)
            and (not scopes or item.get("scope") in scopes)
            and (not external or item.get("externalId") in external)
            and _passes(item, clauses)
        ]
    except ParamError as exc:
        return exc.response()
    page = selected[offset : offset + size]
    body: dict[str, Any] = {
        "items": [{k: item[k] for k in fields if k in item} for item in page],
        "totalCount": len(selected),
        "pageSize": size,
    }
    if offset + size < len(selected):
        body["nextPageKey"] = encode_page_key("settings", query, offset + size)
    return json(body)


async def get_settings_object(request: Request, plane: str) -> Response:
    """``GET …/v2/settings/objects/{objectId}``."""
    auth = authorize(request, plane, "settings")
    if isinstance(auth, Response):
        return auth
    state: SimulatorState = request.app.state.sim
    object_id = request.path_params["objectId"]
    for item in state.case.settings:
        if item.get("objectId") == object_id:
            return json(item)
    return classic_error(404, f"Settings object {object_id} not found")


async def lookup_api_token(request: Request, plane: str) -> Response:
    """``POST …/v2/apiTokens/lookup`` with ``{"token": …}``: the token's metadata and scopes."""
    auth = authorize(request, plane, None)
    if isinstance(auth, Response):
        return auth
    state: SimulatorState = request.app.state.sim
    try:
        body = jsonlib.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        return classic_error(400, 'The request body must be JSON {"token": "dt0c01.…"}')
    options = state.options
    if token != options.api_token:
        return classic_error(404, "No API token with this secret exists in this environment.")
    public_id = ".".join(token.split(".")[:2])
    created = state.case.now.astimezone(UTC) if state.case.now.tzinfo else datetime.now(UTC)
    return json(
        {
            "id": public_id,
            "name": "dynatrace-agent simulator token",
            "enabled": True,
            "personalAccessToken": False,
            "owner": "simulator",
            "creationDate": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "expirationDate": None,
            "scopes": sorted(options.granted_token_scopes),
        }
    )
