"""Credentials on the wire: ``Api-Token`` for the classic plane, OAuth bearer tokens for the platform.

OAuth access tokens are requested with the client-credentials grant, one per *scope set*, so a
capability asks only for what it needs and an ungranted scope fails only that capability.
Tokens are cached per scope set and replaced shortly before they expire; however many callers
want the same scope set at once, one token request is in flight (the others await it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import SecretStr

from dynatrace_agent.client.errormap import Operation, oauth_error_for_response
from dynatrace_agent.client.http import HttpCore
from dynatrace_agent.errors import ConfigurationError, MissingScopeError
from dynatrace_agent.settings import OAUTH_VARIABLES, EnvironmentSettings
from dynatrace_agent.values import as_float

__all__ = ["ApiTokenAuth", "BearerAuth", "OAuthTokenProvider"]

ScopeKey = frozenset[str]


class ApiTokenAuth:
    """``Authorization: Api-Token dt0c01.…`` for the Environment API; never refreshable."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "ApiTokenAuth(token=**********)"

    async def authorization(self) -> str:
        """The header value (the token stripped of stray whitespace)."""
        return f"Api-Token {self._token.get_secret_value().strip()}"

    async def refresh(self) -> bool:
        """An API token cannot be renewed; a 401 is final."""
        return False


@dataclass(frozen=True)
class _CachedToken:
    value: SecretStr
    refresh_at: float  # monotonic time from which a new token is fetched
    granted: frozenset[str]


class OAuthTokenProvider:
    """Client-credentials tokens per scope set: cached, refreshed ahead of expiry, single-flight.

    ``refresh_margin_s`` is how long before expiry a token is replaced (capped at a fifth of
    its lifetime, so short-lived tokens are still used). ``token_requests`` counts requests
    sent to the token endpoint (retries included in the client's ``api_calls``).
    """

    def __init__(
        self,
        settings: EnvironmentSettings,
        core: HttpCore,
        *,
        refresh_margin_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.has_oauth:
            raise ConfigurationError(
                settings.oauth_problem
                or f'environment "{settings.name}" has no OAuth client; set {OAUTH_VARIABLES} to use Grail.'
            )
        self._settings = settings
        self._core = core
        self._margin = refresh_margin_s
        self._clock = clock
        self._cache: dict[ScopeKey, _CachedToken] = {}
        self._inflight: dict[ScopeKey, asyncio.Future[_CachedToken]] = {}
        self.token_requests = 0

    def __repr__(self) -> str:
        return (
            f"OAuthTokenProvider(environment={self._settings.name!r}, cached_scope_sets={len(self._cache)})"
        )

    def for_scopes(self, scopes: Iterable[str]) -> BearerAuth:
        """A ``RequestAuth`` that sends a token for exactly these scopes."""
        return BearerAuth(self, frozenset(scopes))

    async def token(self, scopes: Iterable[str]) -> SecretStr:
        """A valid access token for the scope set, fetching one only when needed."""
        key = frozenset(scopes)
        cached = self._cache.get(key)
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.value
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._fetch(key))
            self._inflight[key] = future
            future.add_done_callback(lambda f, k=key: self._settle(k, f))  # type: ignore[misc]
        # shield: a caller giving up must not cancel the request the others are waiting for
        return (await asyncio.shield(future)).value

    def _settle(self, key: ScopeKey, future: asyncio.Future[_CachedToken]) -> None:
        if self._inflight.get(key) is future:
            del self._inflight[key]
        if not future.cancelled():
            future.exception()  # mark retrieved even if every waiter gave up

    def invalidate(self, scopes: Iterable[str], token: SecretStr | None = None) -> None:
        """Drop the cached token of a scope set (only if it is still ``token`` when given)."""
        key = frozenset(scopes)
        cached = self._cache.get(key)
        if cached is not None and (
            token is None or cached.value.get_secret_value() == token.get_secret_value()
        ):
            del self._cache[key]

    async def _fetch(self, key: ScopeKey) -> _CachedToken:
        settings = self._settings
        assert settings.oauth_client_id is not None and settings.oauth_client_secret is not None
        scopes = sorted(key)
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.oauth_client_id.strip(),
            "client_secret": settings.oauth_client_secret.get_secret_value().strip(),
            "scope": " ".join(scopes),
        }
        if settings.account_urn:
            form["resource"] = settings.account_urn.strip()
        self.token_requests += 1
        op = Operation("requesting an OAuth token", "platform", settings.name, tuple(scopes))
        response = await self._core.send(
            "POST",
            settings.sso_url,
            op=op,
            data=form,
            error_mapper=lambda r: oauth_error_for_response(r, environment=settings.name, scopes=scopes),
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise oauth_error_for_response(response, environment=settings.name, scopes=scopes)
        assert isinstance(body, dict)
        granted_text = body.get("scope")
        granted = (
            frozenset(granted_text.split()) if isinstance(granted_text, str) and granted_text.strip() else key
        )
        missing = sorted(key - granted)
        if missing:
            raise MissingScopeError(
                f'the OAuth client of environment "{settings.name}" was not granted '
                f"{', '.join(missing)}; add "
                "the scope(s) to the client to enable this capability.",
                scopes=missing,
                status=response.status_code,
            )
        lifetime = as_float(body.get("expires_in")) or 300.0
        margin = min(self._margin, lifetime / 5)
        return self._store(key, _CachedToken(SecretStr(access), self._clock() + lifetime - margin, granted))

    def _store(self, key: ScopeKey, token: _CachedToken) -> _CachedToken:
        self._cache[key] = token
        return token


class BearerAuth:
    """``Authorization: Bearer …`` for one scope set, renewing the token once after a 401."""

    def __init__(self, provider: OAuthTokenProvider, scopes: ScopeKey) -> None:
        self._provider = provider
        self.scopes = scopes
        self._last: SecretStr | None = None

    def __repr__(self) -> str:
        return f"BearerAuth(scopes={sorted(self.scopes)!r})"

    async def authorization(self) -> str:
        """A cached or freshly requested token for this scope set."""
        self._last = await self._provider.token(self.scopes)
        return f"Bearer {self._last.get_secret_value()}"

    async def refresh(self) -> bool:
        """Drop the refused token so the next send requests a new one."""
        self._provider.invalidate(self.scopes, self._last)
        return True
