"""In-process use: settings and an httpx transport that route a real client to the simulator.

``DynatraceClient(simulator_settings(opts), transport=simulator_transport(case, opts))`` runs
production client code unchanged against a case, without a socket: the ASGI transport sends
every request, whatever its host, to the app.
"""

from __future__ import annotations

from functools import cache

import httpx
from pydantic import SecretStr

from dynatrace_agent.case import IncidentCase, demo_case_path, load_case
from dynatrace_agent.settings import EnvironmentSettings
from dynatrace_agent.simulator.app import create_app
from dynatrace_agent.simulator.options import SimulatorOptions

__all__ = ["demo_case", "simulator_settings", "simulator_transport"]


@cache
def demo_case() -> IncidentCase:
    """The bundled demo incident, loaded once per process (apps never modify a case)."""
    return load_case(demo_case_path())


def simulator_settings(
    options: SimulatorOptions | None = None,
    *,
    base_url: str = "http://127.0.0.1:8400",
    name: str = "simulator",
) -> EnvironmentSettings:
    """Settings whose credentials match ``options`` (OAuth fields only when OAuth is enabled)."""
    opts = options or SimulatorOptions()
    base = base_url.rstrip("/")
    fields: dict[str, object] = {
        "name": name,
        "environment_url": base,
        "api_token": SecretStr(opts.api_token),
        "sso_url": f"{base}/sso/oauth2/token",
    }
    if opts.oauth_enabled:
        fields["oauth_client_id"] = opts.oauth_client_id
        fields["oauth_client_secret"] = SecretStr(opts.oauth_client_secret)
        fields["account_urn"] = opts.account_urn
    return EnvironmentSettings.model_validate(fields)


def simulator_transport(
    case: IncidentCase | None = None, options: SimulatorOptions | None = None
) -> httpx.AsyncBaseTransport:
    """An ASGI transport over a fresh simulator app (the demo case when ``case`` is None)."""
    return httpx.ASGITransport(app=create_app(case if case is not None else demo_case(), options))
