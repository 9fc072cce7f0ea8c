"""What every endpoint shares: the services on ``app.state``, authorisation, bounded bodies.

``create_app`` puts the services on ``app.state`` under fixed names; :func:`services` reads
them back typed, per request, so a test that swaps ``app.state.store`` is seen at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dynatrace_agent.settings import WebhookConfig
from dynatrace_agent.webhook.dispatch import Dispatcher
from dynatrace_agent.webhook.grouping import GroupingPolicy
from dynatrace_agent.webhook.responses import SafeJSONResponse as JSONResponse
from dynatrace_agent.webhook.security import SESSION_COOKIE, bearer_matches, session_hash
from dynatrace_agent.webhook.store import AlertStore, StoreUnavailableError

__all__ = [
    "NOT_FOUND",
    "BodyTooLarge",
    "Services",
    "authorized",
    "login_redirect",
    "problem",
    "read_limited",
    "root",
    "safe_next",
    "services",
]

NOT_FOUND = "Not Found"  # identical to an unknown route's answer: reveals nothing


@dataclass(frozen=True)
class Services:
    """The app's services as the endpoints use them (one request's view of ``app.state``)."""

    config: WebhookConfig
    store: AlertStore
    dispatcher: Dispatcher | None
    grouping: GroupingPolicy
    clock: Callable[[], float]


def services(request: Request) -> Services:
    """The services ``create_app`` put on the app's state."""
    state = request.app.state
    return Services(
        config=state.config,
        store=state.store,
        dispatcher=state.dispatcher,
        grouping=state.grouping,
        clock=state.clock,
    )


class BodyTooLarge(Exception):
    """The request body is larger than the endpoint accepts."""


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with ``BodyTooLarge`` as soon as it passes ``limit`` bytes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    """A JSON error answer: ``{"detail": …}`` plus any extra fields."""
    return JSONResponse({"detail": detail, **extra}, status_code=status)


async def authorized(request: Request) -> bool:
    """Whether the request carries the admin token or a live session (always, without a token)."""
    svc = services(request)
    admin = svc.config.admin_token
    if admin is None:
        return True
    header = request.headers.get("authorization")
    if header and bearer_matches(header, admin):
        return True
    session = request.cookies.get(SESSION_COOKIE, "")
    if not session or len(session) > 200:
        return False
    try:
        return await svc.store.session_valid(id_hash=session_hash(session), now=svc.clock())
    except StoreUnavailableError:
        return False


def root(request: Request) -> str:
    """The path the app is mounted under (no trailing slash), for links and redirects."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def login_redirect(request: Request) -> Response:
    """To the login form, coming back here afterwards."""
    target = quote(request.url.path, safe="/")
    return RedirectResponse(f"{root(request)}/login?next={target}", status_code=303)


def safe_next(target: str) -> str:
    """Only local paths after login (no open redirect to another site)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/alerts"
    return target
