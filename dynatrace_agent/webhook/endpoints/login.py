"""Signing in with the admin token and out again, through server-side sessions.

A session id lives only in an HttpOnly, SameSite=Strict cookie; the store keeps its hash with
an expiry, and logging out deletes it, so a copied cookie stops working at once.
"""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qs

from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response

from dynatrace_agent.webhook.endpoints.common import (
    BodyTooLarge,
    problem,
    read_limited,
    root,
    safe_next,
    services,
)
from dynatrace_agent.webhook.responses import SafeHTMLResponse as HTMLResponse
from dynatrace_agent.webhook.security import SESSION_COOKIE, new_session_id, session_hash, tokens_equal
from dynatrace_agent.webhook.store import StoreUnavailableError
from dynatrace_agent.webhook.views import render_login

__all__ = ["login", "login_form", "logout"]


async def login_form(request: Request) -> Response:
    """The form asking for the admin token."""
    next_url = request.query_params.get("next", "/alerts")
    return HTMLResponse(render_login(root=root(request), next_url=safe_next(next_url)))


async def login(request: Request) -> Response:
    """Check the token and start a session (straight through when no token is configured)."""
    svc = services(request)
    admin = svc.config.admin_token
    if admin is None:
        return RedirectResponse(f"{root(request)}/alerts", status_code=303)
    try:
        raw = await read_limited(request, 8192)
    except (BodyTooLarge, ClientDisconnect):
        return problem(413, "the login form is too large")
    form = parse_qs(raw.decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    next_url = safe_next((form.get("next") or ["/alerts"])[0])
    if not tokens_equal(token, admin.get_secret_value()):
        return HTMLResponse(
            render_login(root=root(request), error="That token is not the admin token.", next_url=next_url),
            status_code=401,
        )
    session = new_session_id()
    now = svc.clock()
    try:
        await svc.store.create_session(
            id_hash=session_hash(session), now=now, expires_at=now + svc.config.session_ttl_s
        )
    except StoreUnavailableError:
        return problem(503, "the alert store is unavailable; sign in again in a moment")
    response = RedirectResponse(f"{root(request)}{next_url}", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(svc.config.session_ttl_s),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    """End the session and forget its cookie."""
    session = request.cookies.get(SESSION_COOKIE, "")
    if session and len(session) <= 200:
        with contextlib.suppress(StoreUnavailableError):
            await services(request).store.delete_session(id_hash=session_hash(session))
    response = RedirectResponse(f"{root(request)}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
