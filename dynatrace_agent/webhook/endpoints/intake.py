"""``POST /webhooks/dynatrace/{secret}``: validate, store, and only then acknowledge (202).

The endpoint never runs an investigation itself; it queues one in the store and wakes the
dispatcher, so Dynatrace gets its answer in milliseconds and a crash loses nothing acknowledged.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from dynatrace_agent.webhook.endpoints.common import NOT_FOUND, BodyTooLarge, problem, read_limited, services
from dynatrace_agent.webhook.payloads import PayloadError, body_hash, decode_body, parse_notification
from dynatrace_agent.webhook.responses import SafeJSONResponse as JSONResponse
from dynatrace_agent.webhook.security import bearer_matches, find_integration
from dynatrace_agent.webhook.store import StoreUnavailableError

__all__ = ["intake"]

log = logging.getLogger("dynatrace_agent.webhook")


async def intake(request: Request) -> Response:
    """Take one problem notification for the integration whose secret is in the path."""
    svc = services(request)
    config = svc.config
    integration = find_integration(request.path_params["secret"], config.integrations)
    if integration is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    if integration.signing_secret is not None and not bearer_matches(
        request.headers.get("authorization"), integration.signing_secret
    ):
        return JSONResponse(
            {"detail": "missing or wrong 'Authorization: Bearer <signing secret>' header"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        raw = await read_limited(request, config.max_body_bytes)
    except BodyTooLarge:
        return problem(413, f"the body is larger than {config.max_body_bytes} bytes")
    except ClientDisconnect:
        return problem(400, "the client disconnected before sending the whole body")
    try:
        body = decode_body(raw)
        notification = parse_notification(body)
    except PayloadError as exc:
        extra = {"fields": exc.fields} if exc.fields else {}
        return problem(exc.status, exc.message, **extra)
    if notification.is_test:
        log.info("test notification from integration %s acknowledged", integration.name)
        return JSONResponse({"alert_id": None, "result": "test"}, status_code=200)
    try:
        outcome = await svc.store.ingest(
            integration=integration.name,
            environment=integration.environment,
            notification=notification,
            body_hash=body_hash(body),
            received_at=svc.clock(),
        )
    except StoreUnavailableError as exc:
        log.error("notification not stored: %s", exc)
        return JSONResponse(
            {"detail": "the alert store is unavailable; the notification was not stored, send it again"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    if outcome.enqueued and svc.dispatcher is not None:
        svc.dispatcher.wake()
    return JSONResponse({"alert_id": outcome.alert_id, "result": outcome.result}, status_code=202)
