"""Who is calling and what they may do: API tokens, OAuth access tokens and their scopes.

The classic plane takes ``Authorization: Api-Token <token>`` (and, like newer tenants, a
platform ``Bearer`` token); the platform plane takes only ``Bearer``. OAuth access tokens are
opaque random strings remembered with their scopes and expiry; an expired one is a 401 just
as the real SSO-issued token would be.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from dynatrace_agent.simulator.options import SimulatorOptions
from dynatrace_agent.simulator.responses import classic_error, platform_error

__all__ = ["IssuedToken", "Principal", "TokenStore", "authenticate", "require_scopes"]

GATEWAY_HEADERS = {"dynatrace-response-source": "API Gateway"}


@dataclass(frozen=True)
class IssuedToken:
    """An OAuth access token handed out by the token endpoint."""

    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: ``kind`` is ``api-token`` or ``oauth``."""

    kind: str
    scopes: frozenset[str]


class TokenStore:
    """OAuth access tokens issued by this simulator (monotonic-clock expiry)."""

    def __init__(self) -> None:
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, scopes: Iterable[str], lifetime_s: float) -> str:
        """A fresh opaque token for ``scopes`` valid for ``lifetime_s`` seconds."""
        self._purge()
        token = "dt0s.sim." + secrets.token_urlsafe(24)
        self._tokens[token] = IssuedToken(frozenset(scopes), time.monotonic() + lifetime_s)
        return token

    def lookup(self, token: str) -> IssuedToken | None:
        """The token's grant, or None when unknown."""
        return self._tokens.get(token)

    def _purge(self) -> None:
        # Keep expired tokens for a while so their use reports "expired", not "unknown".
        horizon = time.monotonic() - 3600
        for token in [t for t, grant in self._tokens.items() if grant.expires_at < horizon]:
            del self._tokens[token]


def authenticate(
    request: Request, options: SimulatorOptions, tokens: TokenStore, *, platform: bool
) -> Principal | Response:
    """The caller, or the 401 a real tenant would give."""
    fail = _platform_401 if platform else _classic_401
    header = request.headers.get("authorization", "").strip()
    if not header:
        return fail("Missing authorization parameter.")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() == "api-token" and not platform:
        if secrets.compare_digest(credential.encode(), options.api_token.encode()):
            return Principal("api-token", options.granted_token_scopes)
        return fail("Token Authentication failed")
    if scheme.lower() == "bearer" and options.oauth_enabled:
        grant = tokens.lookup(credential)
        if grant is None:
            return fail("Token Authentication failed: the bearer token is not valid")
        if grant.expires_at < time.monotonic():
            return fail("Token Authentication failed: the bearer token has expired; request a new one")
        return Principal("oauth", grant.scopes)
    if platform:
        return fail("This endpoint needs 'Authorization: Bearer <OAuth access token>'")
    return fail("Authorization must be 'Api-Token <token>' (or 'Bearer <token>')")


def require_scopes(principal: Principal, needed: Iterable[str], *, platform: bool) -> Response | None:
    """None when every scope in ``needed`` is granted, else the 403 naming the missing ones."""
    missing = sorted(set(needed) - principal.scopes)
    if not missing:
        return None
    message = f"Token is missing required scope. Use one of: {', '.join(missing)}"
    if platform:
        return platform_error(
            403,
            message,
            details={"missingScopes": missing, "missingPermissions": missing},
        )
    return classic_error(403, message)


def _classic_401(message: str) -> Response:
    return classic_error(401, message)


def _platform_401(message: str) -> Response:
    return platform_error(401, message, headers=GATEWAY_HEADERS)
