"""The simulator's Starlette app: every route, wired to one case and one set of options.

Routes are registered per plane: the classic Environment API under ``/api/v2`` and the
Managed prefix ``/e/{envid}/api/v2``, its platform-gateway twin under
``/platform/classic/environment-api/v2``, Grail, the SLO service, the SSO token endpoint and
SSO discovery.
With OAuth disabled (a Managed-like tenant) no platform route exists at all. Unknown paths,
wrong methods and unexpected failures all answer JSON envelopes, never HTML or tracebacks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.simulator import classic, grail, settings_objects, slo, slo_eval
from dynatrace_agent.simulator.auth import authenticate
from dynatrace_agent.simulator.entities import EntityIndex
from dynatrace_agent.simulator.faults import TOKEN_PATH, FaultMiddleware
from dynatrace_agent.simulator.oauth import DISCOVERY_PATH, sso_discovery, token_endpoint
from dynatrace_agent.simulator.options import SimulatorOptions
from dynatrace_agent.simulator.queries import QueryStore
from dynatrace_agent.simulator.responses import classic_error, json, platform_error
from dynatrace_agent.simulator.state import SimulatorState

__all__ = ["create_app"]

log = logging.getLogger(__name__)

PlaneHandler = Callable[[Request, str], Awaitable[Response]]

_CLASSIC_ROUTES: list[tuple[str, PlaneHandler, list[str]]] = [
    ("/problems", classic.list_problems, ["GET"]),
    ("/problems/{problemId}", classic.get_problem, ["GET"]),
    ("/entities", classic.list_entities, ["GET"]),
    ("/entities/{entityId}", classic.get_entity, ["GET"]),
    ("/settings/objects", settings_objects.list_settings_objects, ["GET"]),
    ("/settings/objects/{objectId}", settings_objects.get_settings_object, ["GET"]),
    ("/apiTokens/lookup", settings_objects.lookup_api_token, ["POST"]),
]


def _bind(handler: PlaneHandler, plane: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, plane)

    endpoint.__name__ = f"{handler.__name__}_{plane}"
    return endpoint


def _routes(options: SimulatorOptions) -> list[BaseRoute]:
    prefixes = [("/api/v2", classic.CLASSIC), ("/e/{envid}/api/v2", classic.CLASSIC)]
    if options.oauth_enabled:
        prefixes.append(("/platform/classic/environment-api/v2", classic.GATEWAY))
    routes: list[BaseRoute] = [
        Route(prefix + path, _bind(handler, plane), methods=methods)
        for prefix, plane in prefixes
        for path, handler, methods in _CLASSIC_ROUTES
    ]
    if options.oauth_enabled:
        routes += [
            Route(TOKEN_PATH, token_endpoint, methods=["POST"]),
            Route(DISCOVERY_PATH, sso_discovery, methods=["GET", "HEAD"]),
            Route("/platform/storage/query/v1/query:execute", grail.execute_query, methods=["POST"]),
            Route("/platform/storage/query/v1/query:poll", grail.poll_query, methods=["GET"]),
            Route("/platform/storage/query/v1/query:verify", grail.verify_query, methods=["POST"]),
            Route("/platform/storage/query/v1/query:cancel", grail.cancel_query, methods=["POST"]),
            Route("/platform/slo/v1/slos", slo.list_slos, methods=["GET"]),
            Route("/platform/slo/v1/slos/evaluation:start", slo_eval.start_evaluation, methods=["POST"]),
            Route("/platform/slo/v1/slos/evaluation:poll", slo_eval.poll_evaluation, methods=["GET"]),
            Route("/platform/slo/v1/slos/{id}", slo.get_slo, methods=["GET"]),
            Route("/platform/management/v1/environment", _environment_info, methods=["GET"]),
        ]
    return routes


async def _environment_info(request: Request) -> Response:
    state: SimulatorState = request.app.state.sim
    principal = authenticate(request, state.options, state.tokens, platform=True)
    if isinstance(principal, Response):
        return principal
    return json(
        {
            "environmentId": "simulator",
            "createTime": state.case.now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "type": "CUSTOMER",
            "state": "ACTIVE",
        }
    )


def _is_platform(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/platform/") and not path.startswith("/platform/classic/")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        message = f"No such endpoint: {request.method} {request.url.path}"
        if request.url.path.startswith("/platform/") and not request.app.state.sim.options.oauth_enabled:
            message += " (this simulated tenant runs without the platform plane: OAuth is disabled)"
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(getattr(exc, "detail", "")) or "Request failed"
    return platform_error(status, message) if _is_platform(request) else classic_error(status, message)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("simulator failed on %s %s", request.method, request.url.path, exc_info=exc)
    message = "The simulator failed on this request (a simulator bug; see its log)."
    return platform_error(500, message) if _is_platform(request) else classic_error(500, message)


def create_app(case: IncidentCase, options: SimulatorOptions | None = None) -> Starlette:
    """A Starlette app serving ``case`` with ``options`` (defaults: all scopes, no faults)."""
    opts = options or SimulatorOptions()
    state = SimulatorState(
        case=case,
        options=opts,
        entities=EntityIndex(case.entities, case.problems, case.now),
        queries=QueryStore(opts.result_ttl_s),
    )
    app = Starlette(
        routes=_routes(opts),
        middleware=[Middleware(FaultMiddleware, state=state)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.sim = state
    return app
