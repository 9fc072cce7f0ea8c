"""Environment API v2 routes: problems and monitored entities.

Each route is served under ``/api/v2`` (SaaS, ``Api-Token``), ``/e/{envid}/api/v2`` (Managed)
and ``/platform/classic/environment-api/v2`` (platform gateway, ``Bearer``); the plane decides
which credential kind and scope names apply. Listings page with an opaque ``nextPageKey`` that
must be sent alone, exactly like the real API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dynatrace_agent.simulator.auth import Principal, authenticate, require_scopes
from dynatrace_agent.simulator.clock import TimeParseError, epoch_ms, parse_time
from dynatrace_agent.simulator.entities import problem_entity_ids
from dynatrace_agent.simulator.paging import encode_page_key
from dynatrace_agent.simulator.params import ParamError, first_page_or_key, page_size, parse_fields
from dynatrace_agent.simulator.problems import (
    OPTIONAL_FIELDS,
    compile_problem_selector,
    overlaps,
    project_problem,
    sort_problems,
)
from dynatrace_agent.simulator.responses import classic_error, json
from dynatrace_agent.simulator.selectors import SelectorError
from dynatrace_agent.simulator.state import SimulatorState

__all__ = ["CLASSIC", "GATEWAY", "authorize", "get_entity", "get_problem", "list_entities", "list_problems"]

CLASSIC = "classic"
GATEWAY = "gateway"

#: Classic token scope and platform-gateway OAuth scope of each resource.
SCOPES = {
    "problems": ("problems.read", "environment-api:problems:read"),
    "entities": ("entities.read", "environment-api:entities:read"),
    "settings": ("settings.read", "settings:objects:read"),
}

_ENTITY_FIELDS = (
    "firstSeenTms",
    "lastSeenTms",
    "properties",
    "tags",
    "managementZones",
    "fromRelationships",
    "toRelationships",
    "icon",
)


def authorize(request: Request, plane: str, resource: str | None) -> Principal | Response:
    """Authenticate for ``plane`` and check the resource's scope (None: any valid credential)."""
    state: SimulatorState = request.app.state.sim
    principal = authenticate(request, state.options, state.tokens, platform=plane == GATEWAY)
    if isinstance(principal, Response) or resource is None:
        return principal
    classic_scope, oauth_scope = SCOPES[resource]
    needed = classic_scope if principal.kind == "api-token" else oauth_scope
    denied = require_scopes(principal, [needed], platform=False)
    return denied if denied is not None else principal


def _timeframe(state: SimulatorState, params: dict[str, Any], default_from: timedelta) -> tuple[int, int]:
    now = state.case.now
    try:
        start = parse_time(params["from"], now) if params.get("from") else now - default_from
    except TimeParseError as exc:
        raise ParamError("from", str(exc)) from None
    try:
        end = parse_time(params["to"], now) if params.get("to") else now
    except TimeParseError as exc:
        raise ParamError("to", str(exc)) from None
    if end < start:
        raise ParamError("to", "must not be before from")
    return epoch_ms(start), epoch_ms(end)


def _selector_error(name: str, exc: SelectorError) -> ParamError:
    return ParamError(name, str(exc))


# -- problems ---------------------------------------------------------------------------------


async def list_problems(request: Request, plane: str) -> Response:
    """``GET …/v2/problems``."""
    auth = authorize(request, plane, "problems")
    if isinstance(auth, Response):
        return auth
    state: SimulatorState = request.app.state.sim
    try:
        raw = dict(request.query_params)
        fields = parse_fields(raw.get("fields"), OPTIONAL_FIELDS)
        query, offset = first_page_or_key(
            "problems", raw, ("problemSelector", "entitySelector", "from", "to", "sort", "pageSize")
        )
        size = page_size(query.get("pageSize"), default=50, maximum=500)
        start, end = _timeframe(state, query, timedelta(hours=2))
        selected = [p for p in state.case.problems if overlaps(p, start, end)]
        if query.get("problemSelector"):
            try:
                check = compile_problem_selector(query["problemSelector"])
            except SelectorError as exc:
                raise _selector_error("problemSelector", exc) from None
            selected = [p for p in selected if check(p)]
        if query.get("entitySelector"):
            try:
                ids = {e["entityId"] for e in state.entities.select(query["entitySelector"])}
            except SelectorError as exc:
                raise _selector_error("entitySelector", exc) from None
            selected = [p for p in selected if problem_entity_ids(p) & ids]
        try:
            selected = sort_problems(selected, query.get("sort"))
        except SelectorError as exc:
            raise ParamError("sort", str(exc).split(" (at")[0]) from None
    except ParamError as exc:
        return exc.response()
    page = selected[offset : offset + size]
    body: dict[str, Any] = {
        "totalCount": len(selected),
        "pageSize": size,
        "problems": [project_problem(p, fields) for p in page],
    }
    if offset + size < len(selected):
        body["nextPageKey"] = encode_page_key("problems", query, offset + size)
    return json(body)


async def get_problem(request: Request, plane: str) -> Response:
    """``GET …/v2/problems/{problemId}``."""
    auth = authorize(request, plane, "problems")
    if isinstance(auth, Response):
        return auth
    state: SimulatorState = request.app.state.sim
    problem_id = request.path_params["problemId"]
    try:
        fields = parse_fields(request.query_params.get("fields"), OPTIONAL_FIELDS)
    except ParamError as exc:
        return exc.response()
    for problem in state.case.problems:
        if problem.get("problemId") == problem_id:
            return json(project_problem(problem, fields))
    return classic_error(
        404,
        f"The problem {problem_id} does not exist. "
        "Use the problemId from GET /api/v2/problems (not the P- display id).",
    )


# -- entities ---------------------------------------------------------------------------------


def _project_entity(entity: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Base fields plus the requested ones; ``None`` means everything (single-entity default)."""
    if fields is None:
        return dict(entity)
    out: dict[str, Any] = {k: entity[k] for k in ("entityId", "type", "displayName") if k in entity}
    for name in fields:
        head, _, sub = name.partition(".")
        value = entity.get(head)
        if value is None:
            continue
        if sub and isinstance(value, dict):
            if sub in value:
                out.setdefault(head, {})[sub] = value[sub]
        else:
            out[head] = value
    return out


async def list_entities(request: Request, plane: str) -> Response:
    """``GET …/v2/entities``."""
    auth = authorize(request, plane, "entities")
    if isinstance(auth, Response):
        return auth
    state: SimulatorState = request.app.state.sim
    try:
        raw = dict(request.query_params)
        # The page key carries every parameter, ``fields`` included: Dynatrace wants the key
        # alone on later pages, so fields sent beside it are refused rather than re-read.
        query, offset = first_page_or_key(
            "entities", raw, ("entitySelector", "fields", "from", "to", "sort", "pageSize"), alone_except=()
        )
        fields = parse_fields(
            query.get("fields"),
            _ENTITY_FIELDS,
            prefixes=("properties", "fromRelationships", "toRelationships"),
        )
        if not query.get("entitySelector"):
            raise ParamError("entitySelector", 'is required, e.g. type("SERVICE")')
        size = page_size(query.get("pageSize"), default=50, maximum=12000)
        start, end = _timeframe(state, query, timedelta(days=3))
        try:
            selected = state.entities.select(query["entitySelector"])
        except SelectorError as exc:
            raise _selector_error("entitySelector", exc) from None
        selected = [e for e in selected if _seen_within(e, start, end)]
        sort = (query.get("sort") or "").strip()
        if sort:
            if sort.lstrip("+-") != "name":
                raise ParamError("sort", "entities can be sorted by name, +name or -name")
            selected.sort(
                key=lambda e: str(e.get("displayName", "")).casefold(), reverse=sort.startswith("-")
            )
    except ParamError as exc:
        return exc.response()
    page = selected[offset : offset + size]
    body: dict[str, Any] = {
        "totalCount": len(selected),
        "pageSize": size,
        "entities": [_project_entity(e, fields) for e in page],
    }
    if offset + size < len(selected):
        body["nextPageKey"] = encode_page_key("entities", query, offset + size)
    return json(body)


def _seen_within(entity: dict[str, Any], start: int, end: int) -> bool:
    last, first = entity.get("lastSeenTms"), entity.get("firstSeenTms")
    if isinstance(last, int | float) and last < start:
        return False
    return not (isinstance(first, int | float) and first > end)


async def get_entity(request: Request, plane: str) -> Response:
    """``GET …/v2/entities/{entityId}``."""
    auth = authorize(request, plane, "entities")
    if isinstance(auth, Response):
        return auth
    state: SimulatorState = request.app.state.sim
    entity_id = request.path_params["entityId"]
    try:
        raw_fields = request.query_params.get("fields")
        fields = (
            parse_fields(
                raw_fields, _ENTITY_FIELDS, prefixes=("properties", "fromRelationships", "toRelationships")
            )
            if raw_fields
            else None
        )
    except ParamError as exc:
        return exc.response()
    entity = state.entities.by_id.get(entity_id)
    if entity is None:
        return classic_error(404, f"The entity {entity_id} does not exist in this environment.")
    return json(_project_entity(entity, fields))
