"""The webhook service: Starlette routes for intake, the Alerts pages, the JSON API and health.

``POST /webhooks/dynatrace/{webhook_secret}`` validates, stores and only then acknowledges
(202); it never runs an investigation itself, it only queues one and wakes the dispatcher.
The Alerts page and API are protected by ``DT_AGENT_ADMIN_TOKEN`` when it is set
(``Authorization: Bearer …``, or a server-side session from the login form that expires and
is revoked at logout). Every response carries the security headers of
:mod:`.responses`, and every page and API answer encodes whatever was stored.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dynatrace_agent.settings import WebhookConfig
from dynatrace_agent.webhook.dispatch import Dispatcher, JobRunner
from dynatrace_agent.webhook.grouping import GroupingPolicy, group_alerts
from dynatrace_agent.webhook.payloads import PayloadError, body_hash, decode_body, parse_notification
from dynatrace_agent.webhook.responses import SafeHTMLResponse as HTMLResponse
from dynatrace_agent.webhook.responses import SafeJSONResponse as JSONResponse
from dynatrace_agent.webhook.responses import SecurityHeaders, server_error
from dynatrace_agent.webhook.security import (
    SESSION_COOKIE,
    bearer_matches,
    find_integration,
    new_session_id,
    session_hash,
    tokens_equal,
)
from dynatrace_agent.webhook.store import AlertStore, QueuePolicy, StoreUnavailableError, open_store
from dynatrace_agent.webhook.timeouts import BodyTimeout
from dynatrace_agent.webhook.views import render_alert, render_alerts, render_login

__all__ = ["create_app"]

log = logging.getLogger("dynatrace_agent.webhook")

_NOT_FOUND = "Not Found"  # identical to an unknown route's answer: reveals nothing


class _TooLarge(Exception):
    pass


async def _read_limited(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


def create_app(
    config: WebhookConfig,
    *,
    store: AlertStore | None = None,
    runner: JobRunner | None = None,
    start_workers: bool = True,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """Build the ASGI app. The lifespan opens the store and starts the investigation workers.

    ``store`` defaults to ``config.database``; ``runner`` is required when workers start.
    With ``start_workers=False`` the instance only ingests (another instance investigates).
    """
    policy = QueuePolicy(max_attempts=config.max_attempts, cancel_on_resolve=config.cancel_on_resolve)
    the_store: AlertStore = store or open_store(config.database, policy=policy)
    grouping = GroupingPolicy(
        window_s=config.group_window_s, by_tags=config.group_by_tags, tag_keys=config.group_tag_keys
    )
    dispatcher: Dispatcher | None = None
    if start_workers:
        if runner is None:
            raise ValueError("create_app needs a runner when start_workers is true")
        dispatcher = Dispatcher(
            the_store,
            runner,
            concurrency=config.concurrency,
            lease_s=config.lease_s,
            run_timeout_s=config.run_timeout_s,
            backoff_base_s=config.backoff_base_s,
            backoff_max_s=config.backoff_max_s,
            poll_interval_s=config.poll_interval_s,
            clock=clock,
        )
    admin = config.admin_token

    async def authorized(request: Request) -> bool:
        if admin is None:
            return True
        header = request.headers.get("authorization")
        if header and bearer_matches(header, admin):
            return True
        session = request.cookies.get(SESSION_COOKIE, "")
        if not session or len(session) > 200:
            return False
        try:
            return await the_store.session_valid(id_hash=session_hash(session), now=clock())
        except StoreUnavailableError:
            return False

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def login_redirect(request: Request) -> Response:
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"{root(request)}/login?next={target}", status_code=303)

    # -- intake ------------------------------------------------------------------------

    async def intake(request: Request) -> Response:
        integration = find_integration(request.path_params["secret"], config.integrations)
        if integration is None:
            return PlainTextResponse(_NOT_FOUND, status_code=404)
        if integration.signing_secret is not None and not bearer_matches(
            request.headers.get("authorization"), integration.signing_secret
        ):
            return JSONResponse(
                {"detail": "missing or wrong 'Authorization: Bearer <signing secret>' header"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            raw = await _read_limited(request, config.max_body_bytes)
        except _TooLarge:
            return _problem(413, f"the body is larger than {config.max_body_bytes} bytes")
        except ClientDisconnect:
            return _problem(400, "the client disconnected before sending the whole body")
        try:
            body = decode_body(raw)
            notification = parse_notification(body)
        except PayloadError as exc:
            extra = {"fields": exc.fields} if exc.fields else {}
            return _problem(exc.status, exc.message, **extra)
        if notification.is_test:
            log.info("test notification from integration %s acknowledged", integration.name)
            return JSONResponse({"alert_id": None, "result": "test"}, status_code=200)
        try:
            outcome = await the_store.ingest(
                integration=integration.name,
                environment=integration.environment,
                notification=notification,
                body_hash=body_hash(body),
                received_at=clock(),
            )
        except StoreUnavailableError as exc:
            log.error("notification not stored: %s", exc)
            return JSONResponse(
                {"detail": "the alert store is unavailable; the notification was not stored, send it again"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        if outcome.enqueued and dispatcher is not None:
            dispatcher.wake()
        return JSONResponse({"alert_id": outcome.alert_id, "result": outcome.result}, status_code=202)

    # -- pages and API -------------------------------------------------------------------

    async def alerts_page(request: Request) -> Response:
        if not await authorized(request):
            return login_redirect(request)
        alerts = await the_store.list_alerts(limit=500)
        return HTMLResponse(render_alerts(group_alerts(alerts, grouping), root=root(request)))

    async def alert_page(request: Request) -> Response:
        if not await authorized(request):
            return login_redirect(request)
        alert = await the_store.get_alert(request.path_params["alert_id"])
        if alert is None:
            return PlainTextResponse(_NOT_FOUND, status_code=404)
        return HTMLResponse(render_alert(alert, root=root(request)))

    async def api_alerts(request: Request) -> Response:
        if not await authorized(request):
            return _problem(401, "send 'Authorization: Bearer <DT_AGENT_ADMIN_TOKEN>'")
        try:
            limit = max(1, min(1000, int(request.query_params.get("limit", "200"))))
        except ValueError:
            return _problem(400, "limit must be an integer")
        alerts = await the_store.list_alerts(limit=limit)
        groups = group_alerts(alerts, grouping)
        group_of = {a.id: g.id for g in groups for a in g.alerts}
        return JSONResponse(
            {
                "alerts": [{**a.to_json(), "group_id": group_of[a.id]} for a in alerts],
                "groups": [
                    {"id": g.id, "alert_ids": [a.id for a in g.alerts], "shared": g.shared, "open": g.open}
                    for g in groups
                ],
            }
        )

    async def api_alert(request: Request) -> Response:
        if not await authorized(request):
            return _problem(401, "send 'Authorization: Bearer <DT_AGENT_ADMIN_TOKEN>'")
        alert = await the_store.get_alert(request.path_params["alert_id"])
        if alert is None:
            return _problem(404, "no such alert")
        return JSONResponse(alert.to_json(full=True))

    async def healthz(request: Request) -> Response:
        try:
            await the_store.ping()
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "detail": str(exc)[:200]}, status_code=503)
        return JSONResponse(
            {"status": "ok", "investigations_running": dispatcher.running if dispatcher is not None else None}
        )

    async def index(request: Request) -> Response:
        return RedirectResponse(f"{root(request)}/alerts", status_code=303)

    async def login_form(request: Request) -> Response:
        next_url = request.query_params.get("next", "/alerts")
        return HTMLResponse(render_login(root=root(request), next_url=_safe_next(next_url)))

    async def login(request: Request) -> Response:
        if admin is None:
            return RedirectResponse(f"{root(request)}/alerts", status_code=303)
        try:
            raw = await _read_limited(request, 8192)
        except (_TooLarge, ClientDisconnect):
            return _problem(413, "the login form is too large")
        form = parse_qs(raw.decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        next_url = _safe_next((form.get("next") or ["/alerts"])[0])
        if not tokens_equal(token, admin.get_secret_value()):
            return HTMLResponse(
                render_login(
                    root=root(request), error="That token is not the admin token.", next_url=next_url
                ),
                status_code=401,
            )
        session = new_session_id()
        now = clock()
        try:
            await the_store.create_session(
                id_hash=session_hash(session), now=now, expires_at=now + config.session_ttl_s
            )
        except StoreUnavailableError:
            return _problem(503, "the alert store is unavailable; sign in again in a moment")
        response = RedirectResponse(f"{root(request)}{next_url}", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=int(config.session_ttl_s),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(request: Request) -> Response:
        session = request.cookies.get(SESSION_COOKIE, "")
        if session and len(session) <= 200:
            with contextlib.suppress(StoreUnavailableError):
                await the_store.delete_session(id_hash=session_hash(session))
        response = RedirectResponse(f"{root(request)}/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await the_store.open()
        if dispatcher is not None:
            dispatcher.start()
        try:
            yield
        finally:
            if dispatcher is not None:
                await dispatcher.stop()
            close = getattr(runner, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
            await the_store.close()

    app = Starlette(
        routes=[
            Route("/webhooks/dynatrace/{secret}", intake, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/", index, methods=["GET"]),
            Route("/alerts", alerts_page, methods=["GET"]),
            Route("/alerts/{alert_id}", alert_page, methods=["GET"]),
            Route("/api/alerts", api_alerts, methods=["GET"]),
            Route("/api/alerts/{alert_id}", api_alert, methods=["GET"]),
            Route("/login", login_form, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyTimeout, timeout_s=config.body_timeout_s),
        ],
        exception_handlers={Exception: server_error},
    )
    app.state.store = the_store
    app.state.dispatcher = dispatcher
    app.state.config = config
    return app


def _safe_next(target: str) -> str:
    """Only local paths after login (no open redirect to another site)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/alerts"
    return target
