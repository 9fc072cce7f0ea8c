"""``DynatraceClient``: both API planes of one environment behind one connection pool.

One client per environment owns one ``httpx.AsyncClient`` (connection reuse, explicit
timeouts), one concurrency limit shared by every call (so an agent's parallel tool calls cannot
flood a tenant), one OAuth token cache and one Grail scan budget. Pass ``transport`` to route
all traffic elsewhere (tests, the in-process simulator).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType

import httpx

from dynatrace_agent._version import __version__
from dynatrace_agent.client.auth import OAuthTokenProvider
from dynatrace_agent.client.environment import EnvironmentAPI
from dynatrace_agent.client.grail import GrailAPI
from dynatrace_agent.client.http import DEFAULT_TIMEOUT, HttpCore, RetryPolicy
from dynatrace_agent.client.scopes import CAPABILITY_SCOPES
from dynatrace_agent.client.slo import SloAPI
from dynatrace_agent.settings import EnvironmentSettings

__all__ = ["DynatraceClient"]


class DynatraceClient:
    """The Environment API (``environment``), Grail (``grail``) and SLOs (``slo``) of one environment.

    ``api_calls`` counts every HTTP request sent: retries, polls and token requests included.
    Grail and SLO calls raise ``CapabilityUnavailableError`` when OAuth is not configured.
    """

    def __init__(
        self,
        settings: EnvironmentSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 16,
        retry: RetryPolicy | None = None,
        grail_scan_budget_gb: float | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout or DEFAULT_TIMEOUT,
            limits=httpx.Limits(
                max_connections=max_concurrency + 2, max_keepalive_connections=max_concurrency
            ),
            headers={"User-Agent": f"dynatrace-agent/{__version__}"},
            follow_redirects=False,
            trust_env=transport is None,
        )
        self._core = HttpCore(
            self._http, environment=settings.name, max_concurrency=max_concurrency, retry=retry
        )
        self.tokens = OAuthTokenProvider(settings, self._core) if settings.has_oauth else None
        self.environment = EnvironmentAPI(self._core, settings)
        self.grail = GrailAPI(self._core, settings, self.tokens, scan_budget_gb=grail_scan_budget_gb)
        self.slo = SloAPI(self._core, settings, self.tokens)

    def __repr__(self) -> str:
        return (
            f"DynatraceClient(environment={self.settings.name!r}, "
            f"classic={self.settings.classic_base_url!r}, "
            f"platform={self.settings.platform_base_url!r}, oauth={self.settings.has_oauth})"
        )

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far (retries, polls and token requests included)."""
        return self._core.api_calls

    @property
    def max_in_flight(self) -> int:
        """The most requests that were in flight at once (never above ``max_concurrency``)."""
        return self._core.max_in_flight

    async def prefetch_tokens(self, capabilities: Iterable[str]) -> None:
        """Obtain the OAuth tokens these Grail capabilities will need, all at once.

        A caller about to fan out (the investigation graph) calls this while it does
        classic-plane work, so no branch waits for its own token request later. Failures are
        ignored here: an ungranted scope surfaces, with its message, when the capability runs.
        """
        if self.tokens is None or self.settings.platform_base_url is None:
            return
        scope_sets = {
            CAPABILITY_SCOPES[name].token_scopes
            for name in capabilities
            if name in CAPABILITY_SCOPES and CAPABILITY_SCOPES[name].grail
        }
        tokens = self.tokens
        await asyncio.gather(*(tokens.token(scopes) for scopes in scope_sets), return_exceptions=True)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> DynatraceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
