"""The SSO token endpoint (``POST /sso/oauth2/token``, client-credentials grant) and SSO discovery.

It grants the requested scopes when the client holds them all, and otherwise answers with
the bodies real SSO sends, which are not plain RFC 6749: ``errorCode`` and ``message`` beside
``error``/``error_description`` and an ``issueId``, and both wrong credentials and a missing
scope come as 400 ``invalid_request``, told apart only by the description (as Dynatrace's MCP
server logs them). ``resource`` may be sent or not: Dynatrace's own SDK sends none.

Clients find SSO the way a browser does: ``/platform/oauth2/authorization/dynatrace-sso`` on
the environment redirects to SSO's ``/oauth2/authorize``, and the redirect's origin is the SSO
base (Dynatrace's MCP server reads it with a HEAD request and ``redirect: manual``).
"""

from __future__ import annotations

import re
import secrets
import uuid
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dynatrace_agent.simulator.responses import json
from dynatrace_agent.simulator.state import SimulatorState

__all__ = ["DISCOVERY_PATH", "sso_discovery", "token_endpoint"]

DISCOVERY_PATH = "/platform/oauth2/authorization/dynatrace-sso"

_SCOPE = re.compile(r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.*-]+)+$")


_REASONS = {400: "Bad Request", 401: "Unauthorized"}
_VALIDATION_FAILED = "Invalid OAuth2 request. UNSUCCESSFUL_OAUTH_ACCESS_TOKEN_VALIDATION_FAILED | "


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    body = {
        "errorCode": status,
        "message": _REASONS.get(status, "Error"),
        "issueId": str(uuid.uuid4()),
        "error": error,
        "error_description": description,
    }
    return json(body, status, {"cache-control": "no-store"})


async def token_endpoint(request: Request) -> Response:
    """Issue an access token for a client-credentials request."""
    state: SimulatorState = request.app.state.sim
    options = state.options
    if not options.oauth_enabled:
        return _oauth_error("invalid_client", "OAuth is not available on this (Managed-like) tenant", 401)
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" not in content_type:
        return _oauth_error("invalid_request", "send the fields as application/x-www-form-urlencoded")
    try:
        form = {
            k: v[0]
            for k, v in parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True).items()
        }
    except UnicodeDecodeError:
        return _oauth_error("invalid_request", "the form body is not valid UTF-8")
    grant_type = form.get("grant_type", "")
    if grant_type != "client_credentials":
        return _oauth_error(
            "unsupported_grant_type", f"grant_type {grant_type!r} is not supported; use client_credentials"
        )
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not secret:
        return _oauth_error("invalid_request", "client_id and client_secret are required")
    valid_id = secrets.compare_digest(client_id.encode(), options.oauth_client_id.encode())
    valid_secret = secrets.compare_digest(secret.encode(), options.oauth_client_secret.encode())
    if not (valid_id and valid_secret):
        return _oauth_error(
            "invalid_request", _VALIDATION_FAILED + "ClientId or clientSecret is not correct."
        )
    granted = options.granted_oauth_scopes
    requested = form.get("scope", "").split()
    malformed = [s for s in requested if not _SCOPE.match(s)]
    if malformed:
        return _oauth_error("invalid_scope", f"malformed scope(s): {' '.join(malformed)}")
    if not requested:
        scopes = sorted(granted)
    else:
        missing = [s for s in requested if s not in granted and options.oauth_scopes is not None]
        if missing:
            return _oauth_error(
                "invalid_request",
                _VALIDATION_FAILED + f"OAuth client is missing following scopes [{', '.join(missing)}]",
            )
        scopes = sorted(set(requested))
    token = state.tokens.issue(scopes, options.token_expiry_s)
    body: dict[str, object] = {
        "token_type": "Bearer",
        "access_token": token,
        "expires_in": options.token_expiry_s,
        "scope": " ".join(scopes),
    }
    if form.get("resource"):
        body["resource"] = form["resource"]
    return json(body, 200, {"cache-control": "no-store"})


async def sso_discovery(request: Request) -> Response:
    """Redirect to SSO's authorize endpoint: ``options.sso_origin``, else this simulator itself."""
    state: SimulatorState = request.app.state.sim
    origin = state.options.sso_origin or str(request.base_url).rstrip("/")
    return RedirectResponse(f"{origin}/oauth2/authorize?response_type=code", status_code=302)
