"""The classic Environment API v2 (API token): problems, entities, settings objects, token lookup.

List calls are async iterators over ``nextPageKey`` pages with a cap on items, because an agent
should never pull a whole tenant by accident. When a page key is sent, Dynatrace wants no other
parameter (except ``fields`` for problems, which only applies to the current page).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from dynatrace_agent.client.auth import ApiTokenAuth
from dynatrace_agent.client.errormap import Operation, json_object
from dynatrace_agent.client.http import HttpCore
from dynatrace_agent.errors import InvalidArgumentError, NotFoundError
from dynatrace_agent.models.problem import DISPLAY_ID, is_display_id, parse_problem_ref
from dynatrace_agent.settings import EnvironmentSettings

__all__ = ["DISPLAY_ID", "EnvironmentAPI"]

#: Time frames searched, in order, when resolving a display id.
DISPLAY_ID_WINDOWS = ("now-30d", "now-365d")
MAX_PAGE_SIZE = 500
SETTINGS_FIELDS = "objectId,schemaId,schemaVersion,scope,summary,modified,value"

Params = dict[str, str | int | float]


def _fields(fields: Sequence[str]) -> str | None:
    """Extra properties as the API wants them: ``+name`` comma-joined."""
    names = [f.strip().lstrip("+") for f in fields if f.strip().lstrip("+")]
    return ",".join(f"+{n}" for n in names) if names else None


def _page_size(page_size: int, max_items: int) -> int:
    if page_size < 1 or max_items < 1:
        raise InvalidArgumentError("page_size and max_items must be at least 1")
    return min(page_size, max_items, MAX_PAGE_SIZE)


class EnvironmentAPI:
    """Calls to ``<classic base>/api/v2`` authorised with the environment's API token."""

    def __init__(self, core: HttpCore, settings: EnvironmentSettings) -> None:
        self._core = core
        self._settings = settings
        self._auth = ApiTokenAuth(settings.api_token)
        self._base = f"{settings.classic_base_url}/api/v2"

    def __repr__(self) -> str:
        return f"EnvironmentAPI(base={self._base!r})"

    def _op(self, what: str, scope: str | None) -> Operation:
        return Operation(what, "environment", self._settings.name, (scope,) if scope else ())

    async def _get(self, path: str, params: Mapping[str, str | int | float], op: Operation) -> dict[str, Any]:
        response = await self._core.send("GET", self._base + path, op=op, auth=self._auth, params=params)
        return json_object(response, op)

    async def _pages(
        self,
        path: str,
        first: Params,
        *,
        items_key: str,
        max_items: int,
        op: Operation,
        keep: Sequence[str] = (),
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield items across ``nextPageKey`` pages until exhausted or ``max_items`` reached."""
        params = first
        seen_keys: set[str] = set()
        count = 0
        while True:
            body = await self._get(path, params, op)
            items = body.get(items_key)
            for item in items if isinstance(items, list) else []:
                if count >= max_items:
                    return
                if isinstance(item, dict):
                    count += 1
                    yield item
            key = body.get("nextPageKey")
            if count >= max_items or not isinstance(key, str) or not key or key in seen_keys:
                return
            seen_keys.add(key)
            params = {"nextPageKey": key, **{k: first[k] for k in keep if k in first}}

    def list_problems(
        self,
        *,
        problem_selector: str | None = None,
        entity_selector: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        fields: Sequence[str] = (),
        sort: str | None = None,
        page_size: int = 100,
        max_items: int = 1000,
    ) -> AsyncIterator[dict[str, Any]]:
        """Problems as Dynatrace returns them (``GET /problems``), newest pages first as sorted."""
        params: Params = {"pageSize": _page_size(page_size, max_items)}
        optional = {
            "problemSelector": problem_selector,
            "entitySelector": entity_selector,
            "from": from_,
            "to": to,
            "fields": _fields(fields),
            "sort": sort,
        }
        params.update({k: v for k, v in optional.items() if v})
        return self._pages(
            "/problems",
            params,
            items_key="problems",
            max_items=max_items,
            op=self._op("listing problems", "problems.read"),
            keep=("fields",),
        )

    async def get_problem(
        self, problem: str, *, fields: Sequence[str] = ("evidenceDetails", "impactAnalysis", "recentComments")
    ) -> dict[str, Any]:
        """One problem by ``problemId`` or display id ``P-…`` (resolved through a list query)."""
        problem = parse_problem_ref(problem)
        problem_id = problem
        if is_display_id(problem):
            problem_id = await self._resolve_display_id(problem.upper())
        params: Params = {}
        extra = _fields(fields)
        if extra:
            params["fields"] = extra
        op = self._op(f"getting problem {problem}", "problems.read")
        return await self._get(f"/problems/{quote(problem_id, safe='')}", params, op)

    async def _resolve_display_id(self, display_id: str) -> str:
        for window in DISPLAY_ID_WINDOWS:
            async for found in self.list_problems(
                problem_selector=f'displayId("{display_id}")', from_=window, page_size=5, max_items=5
            ):
                if str(found.get("displayId", "")).upper() == display_id and found.get("problemId"):
                    return str(found["problemId"])
        raise NotFoundError(
            f"no problem with display id {display_id} in the last "
            f'{DISPLAY_ID_WINDOWS[-1].removeprefix("now-")} in environment "{self._settings.name}"; '
            "check the id in the Problems app or pass the problemId.",
            status=404,
        )

    def list_entities(
        self,
        entity_selector: str,
        *,
        from_: str | None = "now-3d",
        to: str | None = None,
        fields: Sequence[str] = (),
        page_size: int = 100,
        max_items: int = 1000,
    ) -> AsyncIterator[dict[str, Any]]:
        """Monitored entities matching ``entity_selector`` (``GET /entities``)."""
        if not entity_selector.strip():
            raise InvalidArgumentError(
                'entity_selector is required, e.g. type("SERVICE") or entityId("SERVICE-…")'
            )
        params: Params = {"entitySelector": entity_selector, "pageSize": _page_size(page_size, max_items)}
        optional = {"from": from_, "to": to, "fields": _fields(fields)}
        params.update({k: v for k, v in optional.items() if v})
        return self._pages(
            "/entities",
            params,
            items_key="entities",
            max_items=max_items,
            op=self._op("listing entities", "entities.read"),
        )

    async def get_entity(self, entity_id: str, *, fields: Sequence[str] = ()) -> dict[str, Any]:
        """One monitored entity by id (``GET /entities/{id}``)."""
        params: Params = {}
        extra = _fields(fields)
        if extra:
            params["fields"] = extra
        op = self._op(f"getting entity {entity_id}", "entities.read")
        return await self._get(f"/entities/{quote(entity_id.strip(), safe='')}", params, op)

    def list_settings_objects(
        self, schema_ids: Sequence[str], *, max_items: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        """Settings objects of the given schemas (``GET /settings/objects``), values included."""
        schemas = [s.strip() for s in schema_ids if s.strip()]
        if not schemas:
            raise InvalidArgumentError(
                "schema_ids must name at least one schema, e.g. builtin:alerting.profile"
            )
        params: Params = {
            "schemaIds": ",".join(schemas),
            "fields": SETTINGS_FIELDS,
            "pageSize": _page_size(MAX_PAGE_SIZE, max_items),
        }
        return self._pages(
            "/settings/objects",
            params,
            items_key="items",
            max_items=max_items,
            op=self._op("listing settings objects", "settings.read"),
        )

    async def token_metadata(self) -> dict[str, Any]:
        """The API token's own metadata (``POST /apiTokens/lookup``): name, enabled, scopes, expiry."""
        op = self._op("looking up the API token", None)
        response = await self._core.send(
            "POST",
            f"{self._base}/apiTokens/lookup",
            op=op,
            auth=self._auth,
            json={"token": self._settings.api_token.get_secret_value().strip()},
        )
        return json_object(response, op)

    async def token_scopes(self) -> set[str]:
        """The scopes granted to the API token."""
        scopes = (await self.token_metadata()).get("scopes")
        return {str(s) for s in scopes} if isinstance(scopes, list) else set()
