"""The SLO service on the platform plane (``/platform/slo/v1``), scope ``slo:slos:read``.

Paging uses ``page-key``; the first page carries ``page-size`` (which must not be combined with
a page key) and ``filter`` is sent again with every page. The list holds definitions only:
status, SLI value and error budget come from an evaluation, ``POST slos/evaluation:start``
(``{"id": …}``) answered either at once or with an ``evaluationToken`` to poll on
``GET slos/evaluation:poll`` (as Dynatrace's dtctl does).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from dynatrace_agent.client.auth import OAuthTokenProvider
from dynatrace_agent.client.errormap import Operation, json_object
from dynatrace_agent.client.http import HttpCore
from dynatrace_agent.errors import CapabilityUnavailableError, DynatraceAPIError, QueryTimeoutError
from dynatrace_agent.settings import OAUTH_VARIABLES, EnvironmentSettings

__all__ = ["SLO_SCOPE", "SloAPI"]

SLO_SCOPE = "slo:slos:read"
SLO_PATH = "/platform/slo/v1/slos"
POLL_TIMEOUT_MS = 2000
MAX_PAGE_SIZE = 100


class SloAPI:
    """List service-level objectives with an OAuth token scoped to ``slo:slos:read`` only."""

    def __init__(
        self, core: HttpCore, settings: EnvironmentSettings, tokens: OAuthTokenProvider | None
    ) -> None:
        self._core = core
        self._settings = settings
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"SloAPI(environment={self._settings.name!r})"

    def _check(self) -> tuple[OAuthTokenProvider, str]:
        base = self._settings.platform_base_url
        if base is None or self._tokens is None:
            reason = (
                "it is a Managed environment without a platform plane (set DT_PLATFORM_URL if it has one)"
                if base is None
                else self._settings.oauth_problem or f"no OAuth client is configured (set {OAUTH_VARIABLES})"
            )
            raise CapabilityUnavailableError(
                f'SLOs are unavailable for environment "{self._settings.name}": {reason}',
                capability="slos",
                scopes=[SLO_SCOPE],
            )
        return self._tokens, base + SLO_PATH

    def list_slos(self, *, filter: str | None = None, max_items: int = 500) -> AsyncIterator[dict[str, Any]]:
        """SLO definitions, optionally filtered (e.g. ``name~'checkout'``), at most ``max_items``."""
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        tokens, url = self._check()
        return self._pages(tokens, url, filter, max_items)

    async def _pages(
        self, tokens: OAuthTokenProvider, url: str, filter: str | None, max_items: int
    ) -> AsyncIterator[dict[str, Any]]:
        auth = tokens.for_scopes([SLO_SCOPE])
        op = Operation("listing SLOs", "platform", self._settings.name, (SLO_SCOPE,))
        params: dict[str, str | int | float] = {"page-size": min(max_items, MAX_PAGE_SIZE)}
        if filter:
            params["filter"] = filter
        seen: set[str] = set()
        count = 0
        while True:
            response = await self._core.send("GET", url, op=op, auth=auth, params=params)
            body = json_object(response, op)
            items = body.get("slos")
            for item in items if isinstance(items, list) else []:
                if count >= max_items:
                    return
                if isinstance(item, dict):
                    count += 1
                    yield item
            key = body.get("nextPageKey")
            if count >= max_items or not isinstance(key, str) or not key or key in seen:
                return
            seen.add(key)
            params = {"page-key": key, **({"filter": filter} if filter else {})}

    async def evaluate(self, slo_id: str, *, deadline_s: float = 30.0) -> dict[str, Any]:
        """One SLO evaluated: ``evaluationResults`` holds criteria, status, value, errorBudget."""
        if not isinstance(slo_id, str) or not slo_id.strip():
            raise ValueError("slo_id must be the id of an SLO")
        tokens, url = self._check()
        auth = tokens.for_scopes([SLO_SCOPE])
        op = Operation("evaluating an SLO", "platform", self._settings.name, (SLO_SCOPE,))
        response = await self._core.send(
            "POST", f"{url}/evaluation:start", op=op, auth=auth, json={"id": slo_id.strip()}
        )
        body = json_object(response, op)
        deadline = time.monotonic() + deadline_s
        while "evaluationResults" not in body:
            token = body.get("evaluationToken")
            if not isinstance(token, str) or not token:
                raise DynatraceAPIError(
                    "the SLO service answered evaluation:start with neither results nor an evaluationToken.",
                    body=body,
                )
            if time.monotonic() >= deadline:
                raise QueryTimeoutError(
                    f"the evaluation of SLO {slo_id} did not finish within {deadline_s:g} s; try again later."
                )
            params: dict[str, str | int | float] = {
                "evaluation-token": token,
                "request-timeout-milliseconds": POLL_TIMEOUT_MS,
            }
            polled = await self._core.send("GET", f"{url}/evaluation:poll", op=op, auth=auth, params=params)
            body = json_object(polled, op)
            if "evaluationResults" not in body:
                await asyncio.sleep(0.2)
        return body
