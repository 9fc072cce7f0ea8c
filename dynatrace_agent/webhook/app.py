"""The webhook service: the ASGI app wiring the endpoints, the store and the dispatcher.

``POST /webhooks/dynatrace/{webhook_secret}`` validates, stores and only then acknowledges
(202); it never runs an investigation itself, it only queues one and wakes the dispatcher.
The Alerts page and API are protected by ``DT_AGENT_ADMIN_TOKEN`` when it is set
(``Authorization: Bearer …``, or a server-side session from the login form that expires and
is revoked at logout). Every response carries the security headers of
:mod:`.responses`, and every page and API answer encodes whatever was stored.

The endpoints live in :mod:`.endpoints` as module-level handlers; this module only builds
the services once and puts them on ``app.state`` (``config``, ``store``, ``dispatcher``,
``runner``, ``grouping``, ``clock``), where the handlers and the lifespan find them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from dynatrace_agent.settings import WebhookConfig
from dynatrace_agent.webhook import endpoints
from dynatrace_agent.webhook.dispatch import Dispatcher, JobRunner
from dynatrace_agent.webhook.grouping import GroupingPolicy
from dynatrace_agent.webhook.responses import SecurityHeaders, server_error
from dynatrace_agent.webhook.store import AlertStore, QueuePolicy, open_store
from dynatrace_agent.webhook.timeouts import BodyTimeout

__all__ = ["ROUTES", "create_app"]

ROUTES = [
    Route("/webhooks/dynatrace/{secret}", endpoints.intake, methods=["POST"]),
    Route("/healthz", endpoints.healthz, methods=["GET"]),
    Route("/", endpoints.index, methods=["GET"]),
    Route("/alerts", endpoints.alerts_page, methods=["GET"]),
    Route("/alerts/{alert_id}", endpoints.alert_page, methods=["GET"]),
    Route("/api/alerts", endpoints.api_alerts, methods=["GET"]),
    Route("/api/alerts/{alert_id}", endpoints.api_alert, methods=["GET"]),
    Route("/login", endpoints.login_form, methods=["GET"]),
    Route("/login", endpoints.login, methods=["POST"]),
    Route("/logout", endpoints.logout, methods=["POST"]),
]


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """Open the store and start the workers; on shutdown stop them, close the runner and store."""
    store: AlertStore = app.state.store
    dispatcher: Dispatcher | None = app.state.dispatcher
    await store.open()
    if dispatcher is not None:
        dispatcher.start()
    try:
        yield
    finally:
        if dispatcher is not None:
            await dispatcher.stop()
        close = getattr(app.state.runner, "aclose", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()
        await store.close()


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
    if start_workers and runner is None:
        raise ValueError("create_app needs a runner when start_workers is true")
    policy = QueuePolicy(max_attempts=config.max_attempts, cancel_on_resolve=config.cancel_on_resolve)
    the_store: AlertStore = store or open_store(config.database, policy=policy)
    dispatcher: Dispatcher | None = None
    if start_workers and runner is not None:
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
    app = Starlette(
        routes=list(ROUTES),
        lifespan=_lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyTimeout, timeout_s=config.body_timeout_s),
        ],
        exception_handlers={Exception: server_error},
    )
    app.state.config = config
    app.state.store = the_store
    app.state.dispatcher = dispatcher
    app.state.runner = runner
    app.state.grouping = GroupingPolicy(
        window_s=config.group_window_s, by_tags=config.group_by_tags, tag_keys=config.group_tag_keys
    )
    app.state.clock = clock
    return app
