"""Fixtures for the simulator's HTTP tests: the small fixture case and clients bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from dynatrace_agent.case import IncidentCase, load_case
from dynatrace_agent.simulator import SimulatorOptions, create_app

FIXTURES = Path(__file__).parent / "fixtures"
API_TOKEN = {"Authorization": "Api-Token dt0c01.SIMULATOR.TOKEN"}

ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture(scope="session")
def sim_case() -> IncidentCase:
    """The small hand-written fixture case (checkout deployment)."""
    return load_case(FIXTURES / "small_case")


@pytest.fixture
async def sim_client_factory(sim_case: IncidentCase) -> AsyncIterator[ClientFactory]:
    """Build in-process clients over a fresh app with the given options."""
    clients: list[httpx.AsyncClient] = []

    def make(options: SimulatorOptions | None = None, case: IncidentCase | None = None) -> httpx.AsyncClient:
        app = create_app(case or sim_case, options)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://simulator.test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def sim(sim_client_factory: ClientFactory) -> httpx.AsyncClient:
    """A client over the fixture case with default options."""
    return sim_client_factory()


async def oauth_token(client: httpx.AsyncClient, scopes: str) -> dict[str, str]:
    """An Authorization header with a fresh OAuth token for ``scopes``."""
    response = await client.post(
        "/sso/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "dt0s02.SIMULATOR",
            "client_secret": "dt0s02.SIMULATOR.SECRET",
            "scope": scopes,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
