"""The SSO token endpoint, the SLO service, and injected faults (latency, 429, 5xx, expiry)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from dynatrace_agent.simulator import SimulatorOptions

from .conftest import API_TOKEN, ClientFactory, oauth_token

TOKEN = "/sso/oauth2/token"
GOOD = {
    "grant_type": "client_credentials",
    "client_id": "dt0s02.SIMULATOR",
    "client_secret": "dt0s02.SIMULATOR.SECRET",
}


async def test_token_grants_requested_scopes_with_or_without_resource(sim: httpx.AsyncClient) -> None:
    plain = await sim.post(TOKEN, data={**GOOD, "scope": "storage:logs:read storage:buckets:read"})
    body = plain.json()
    assert plain.status_code == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert body["scope"] == "storage:buckets:read storage:logs:read" and "resource" not in body
    urn = "urn:dtaccount:00000000-0000-4000-8000-000000000000"
    with_resource = (await sim.post(TOKEN, data={**GOOD, "scope": "slo:slos:read", "resource": urn})).json()
    assert with_resource["resource"] == urn and with_resource["access_token"] != body["access_token"]


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({**GOOD, "client_secret": "dt0s02.SIMULATOR.WRONG"}, "invalid_request"),
        ({**GOOD, "client_id": "dt0s02.OTHER"}, "invalid_request"),
        ({**GOOD, "grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "invalid_request"),
        ({**GOOD, "scope": "not a:scope!"}, "invalid_scope"),
    ],
)
async def test_token_errors(sim: httpx.AsyncClient, form: dict[str, str], error: str) -> None:
    response = await sim.post(TOKEN, data=form)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error and body["error_description"] and body["issueId"]
    assert body["errorCode"] == 400 and body["message"] == "Bad Request"  # real SSO's extra fields
    assert "SECRET" not in response.text


async def test_token_needs_a_form_body(sim: httpx.AsyncClient) -> None:
    response = await sim.post(TOKEN, json=GOOD)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_per_client_granted_scopes(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(oauth_scopes={"storage:logs:read", "storage:buckets:read"}))
    refused = await client.post(TOKEN, data={**GOOD, "scope": "storage:logs:read storage:spans:read"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    assert "missing following scopes [storage:spans:read]" in refused.json()["error_description"]
    everything = (await client.post(TOKEN, data=GOOD)).json()
    assert everything["scope"] == "storage:buckets:read storage:logs:read"


async def test_expired_oauth_token_is_401(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(token_expiry_s=0))
    headers = await oauth_token(client, "slo:slos:read")
    await asyncio.sleep(0.01)
    response = await client.get("/platform/slo/v1/slos", headers=headers)
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


async def test_slo_listing_filter_and_page_key(sim: httpx.AsyncClient) -> None:
    headers = await oauth_token(sim, "slo:slos:read")
    first = (await sim.get("/platform/slo/v1/slos", params={"page-size": "2"}, headers=headers)).json()
    assert first["totalCount"] == 5 and len(first["slos"]) == 2 and first["nextPageKey"]
    names: list[str] = [s["name"] for s in first["slos"]]
    key = first["nextPageKey"]
    while key:
        page = (await sim.get("/platform/slo/v1/slos", params={"page-key": key}, headers=headers)).json()
        names += [s["name"] for s in page["slos"]]
        key = page.get("nextPageKey")
    assert len(names) == 5 and len(set(names)) == 5
    params = {"filter": "name~'checkout'"}
    filtered = (await sim.get("/platform/slo/v1/slos", params=params, headers=headers)).json()
    assert [s["name"] for s in filtered["slos"]] == ["Checkout availability", "Checkout latency"]
    one = await sim.get("/platform/slo/v1/slos/slo-2", headers=headers)
    assert one.json()["name"] == "Frontend availability"
    assert (await sim.get("/platform/slo/v1/slos/none", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"page-key": "x", "page-size": "2"},
        {"page-key": "not-a-key"},
        {"filter": "name like 'x'"},
        {"page-size": "0"},
        {"page-size": "ten"},
        {"sort": "target"},
    ],
)
async def test_slo_bad_parameters(sim: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await sim.get(
        "/platform/slo/v1/slos", params=params, headers=await oauth_token(sim, "slo:slos:read")
    )
    assert response.status_code == 400 and response.json()["error"]["message"]


async def test_slo_needs_its_scope(sim: httpx.AsyncClient) -> None:
    response = await sim.get("/platform/slo/v1/slos", headers=await oauth_token(sim, "storage:logs:read"))
    assert response.status_code == 403
    assert response.json()["error"]["details"]["missingScopes"] == ["slo:slos:read"]


async def test_rate_limit_every_nth_request(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(rate_limit_every=3, retry_after_s=2))
    statuses = [(await client.get("/api/v2/problems", headers=API_TOKEN)).status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    limited = await client.get("/api/v2/entities?entitySelector=type(HOST)", headers=API_TOKEN)
    assert limited.status_code == 200  # 7th
    await client.get("/api/v2/problems", headers=API_TOKEN)
    headers = await oauth_token(
        client, "storage:logs:read storage:buckets:read"
    )  # token requests are not counted
    grail = await client.post(
        "/platform/storage/query/v1/query:execute", json={"query": "fetch logs"}, headers=headers
    )
    assert grail.status_code == 429 and grail.headers["Retry-After"] == "2"
    assert grail.json()["error"]["retryAfterSeconds"] == 2


async def test_error_burst(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(error_burst=(2, 2)))
    statuses = [(await client.get("/api/v2/problems", headers=API_TOKEN)).status_code for _ in range(5)]
    assert statuses == [200, 503, 503, 200, 200]


async def test_latency(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(latency_ms=60))
    started = time.perf_counter()
    await client.get("/api/v2/problems", headers=API_TOKEN)
    assert time.perf_counter() - started >= 0.055
