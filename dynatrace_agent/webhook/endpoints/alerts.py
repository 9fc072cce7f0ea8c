"""The Alerts pages, their JSON API and the health check.

Pages and API need the admin token (or a session) when one is configured; a page sends the
visitor to the login form, the API answers 401. Everything stored is encoded on the way out.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from dynatrace_agent.webhook.endpoints.common import (
    NOT_FOUND,
    authorized,
    login_redirect,
    problem,
    root,
    services,
)
from dynatrace_agent.webhook.grouping import group_alerts
from dynatrace_agent.webhook.responses import SafeHTMLResponse as HTMLResponse
from dynatrace_agent.webhook.responses import SafeJSONResponse as JSONResponse
from dynatrace_agent.webhook.views import render_alert, render_alerts

__all__ = ["alert_page", "alerts_page", "api_alert", "api_alerts", "healthz", "index"]

_UNAUTHORIZED = "send 'Authorization: Bearer <DT_AGENT_ADMIN_TOKEN>'"


async def alerts_page(request: Request) -> Response:
    """The alerts, grouped, newest first."""
    if not await authorized(request):
        return login_redirect(request)
    svc = services(request)
    alerts = await svc.store.list_alerts(limit=500)
    return HTMLResponse(render_alerts(group_alerts(alerts, svc.grouping), root=root(request)))


async def alert_page(request: Request) -> Response:
    """One alert with its notifications and report."""
    if not await authorized(request):
        return login_redirect(request)
    alert = await services(request).store.get_alert(request.path_params["alert_id"])
    if alert is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    return HTMLResponse(render_alert(alert, root=root(request)))


async def api_alerts(request: Request) -> Response:
    """The alerts and their groups as JSON (``?limit=`` 1–1000, default 200)."""
    if not await authorized(request):
        return problem(401, _UNAUTHORIZED)
    try:
        limit = max(1, min(1000, int(request.query_params.get("limit", "200"))))
    except ValueError:
        return problem(400, "limit must be an integer")
    svc = services(request)
    alerts = await svc.store.list_alerts(limit=limit)
    groups = group_alerts(alerts, svc.grouping)
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
    """One alert as JSON, with its notifications and report."""
    if not await authorized(request):
        return problem(401, _UNAUTHORIZED)
    alert = await services(request).store.get_alert(request.path_params["alert_id"])
    if alert is None:
        return problem(404, "no such alert")
    return JSONResponse(alert.to_json(full=True))


async def healthz(request: Request) -> Response:
    """Whether the store answers, and how many investigations this instance runs."""
    svc = services(request)
    try:
        await svc.store.ping()
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)[:200]}, status_code=503)
    running = svc.dispatcher.running if svc.dispatcher is not None else None
    return JSONResponse({"status": "ok", "investigations_running": running})


async def index(request: Request) -> Response:
    """The root sends visitors to the alerts."""
    return RedirectResponse(f"{root(request)}/alerts", status_code=303)
