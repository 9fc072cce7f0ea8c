"""Environment API v2 over HTTP: problems, entities, settings objects, token lookup, planes and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dynatrace_agent.simulator import SimulatorOptions

from .conftest import API_TOKEN, ClientFactory, oauth_token

PREFIXES = ["/api/v2", "/e/abc12345/api/v2"]


def _assert_classic_error(response: httpx.Response, status: int, fragment: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and fragment in error["message"]
    return dict(error)


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_problems_default_timeframe_and_stripped_details(sim: httpx.AsyncClient, prefix: str) -> None:
    body = (await sim.get(f"{prefix}/problems", headers=API_TOKEN)).json()
    assert body["totalCount"] == 2  # the 3-day-old problem is outside now-2h
    assert [p["displayId"] for p in body["problems"]] == ["P-250304", "P-250303"]
    assert "nextPageKey" not in body
    assert not {"evidenceDetails", "impactAnalysis", "recentComments"} & set(body["problems"][0])


async def test_problem_fields_and_relative_and_absolute_timeframes(sim: httpx.AsyncClient) -> None:
    params = {"from": "now-7d", "fields": "+evidenceDetails,impactAnalysis"}
    body = (await sim.get("/api/v2/problems", params=params, headers=API_TOKEN)).json()
    assert body["totalCount"] == 3
    first = body["problems"][0]
    assert "evidenceDetails" in first and "impactAnalysis" in first and "recentComments" not in first
    window = {"from": "2025-03-01T10:00:00Z", "to": "1741080000000"}  # 3 days ago .. 09:20
    body = (await sim.get("/api/v2/problems", params=window, headers=API_TOKEN)).json()
    assert [p["displayId"] for p in body["problems"]] == ["P-250301"]


async def test_problem_paging_sends_the_key_alone(sim: httpx.AsyncClient) -> None:
    params = {
        "from": "now-7d",
        "pageSize": "2",
        "problemSelector": 'status("closed"),severityLevel("PERFORMANCE","RESOURCE_CONTENTION")',
        "sort": "+startTime",
    }
    first = (await sim.get("/api/v2/problems", params={**params, "pageSize": "1"}, headers=API_TOKEN)).json()
    assert first["totalCount"] == 2 and first["pageSize"] == 1
    assert [p["displayId"] for p in first["problems"]] == ["P-250301"]
    second = await sim.get(
        "/api/v2/problems",
        params={"nextPageKey": first["nextPageKey"], "fields": "recentComments"},
        headers=API_TOKEN,
    )
    assert second.status_code == 200
    assert [p["displayId"] for p in second.json()["problems"]] == ["P-250303"]
    assert "nextPageKey" not in second.json()
    mixed = await sim.get(
        "/api/v2/problems", params={"nextPageKey": first["nextPageKey"], "from": "now-1d"}, headers=API_TOKEN
    )
    error = _assert_classic_error(mixed, 400, "alone")
    assert error["constraintViolations"][0]["path"] == "nextPageKey"
    forged = await sim.get("/api/v2/problems", params={"nextPageKey": "garbage!!"}, headers=API_TOKEN)
    _assert_classic_error(forged, 400, "nextPageKey")


async def test_problems_by_entity_selector(sim: httpx.AsyncClient) -> None:
    params = {"entitySelector": 'type(SERVICE),entityName.equals("payment")', "from": "now-1d"}
    body = (await sim.get("/api/v2/problems", params=params, headers=API_TOKEN)).json()
    assert [p["displayId"] for p in body["problems"]] == ["P-250303"]


@pytest.mark.parametrize(
    ("params", "path", "fragment"),
    [
        ({"problemSelector": "status(open"}, "problemSelector", "missing ')'"),
        ({"problemSelector": 'nonsense("x")'}, "problemSelector", "unknown"),
        ({"entitySelector": 'entityName("x")'}, "entitySelector", "type("),
        ({"from": "yesterday"}, "from", "not a time"),
        ({"from": "now-1h", "to": "now-2h"}, "to", "before"),
        ({"pageSize": "0"}, "pageSize", "between 1 and 500"),
        ({"pageSize": "lots"}, "pageSize", "whole number"),
        ({"fields": "+everything"}, "fields", "unknown field"),
        ({"sort": "title"}, "sort", "cannot sort"),
    ],
)
async def test_bad_problem_parameters_are_400_with_violations(
    sim: httpx.AsyncClient, params: dict[str, str], path: str, fragment: str
) -> None:
    error = _assert_classic_error(
        await sim.get("/api/v2/problems", params=params, headers=API_TOKEN), 400, fragment
    )
    assert error["constraintViolations"][0]["path"] == path
    assert error["constraintViolations"][0]["parameterLocation"] == "QUERY"


async def test_get_problem(sim: httpx.AsyncClient) -> None:
    ok = await sim.get("/api/v2/problems/-111_1741083600000V2", headers=API_TOKEN)
    assert (
        ok.status_code == 200 and ok.json()["displayId"] == "P-250304" and "evidenceDetails" not in ok.json()
    )
    full = await sim.get(
        "/api/v2/problems/-111_1741083600000V2",
        params={"fields": "+evidenceDetails,+recentComments"},
        headers=API_TOKEN,
    )
    assert full.json()["evidenceDetails"]["totalCount"] == 1 and "recentComments" in full.json()
    _assert_classic_error(
        await sim.get("/api/v2/problems/P-250304", headers=API_TOKEN), 404, "does not exist"
    )


async def test_entities_listing_fields_sort_and_paging(sim: httpx.AsyncClient) -> None:
    params = {
        "entitySelector": "type(SERVICE)",
        "fields": "+tags,+properties.serviceType,+fromRelationships",
        "sort": "-name",
        "pageSize": "2",
    }
    first = (await sim.get("/api/v2/entities", params=params, headers=API_TOKEN)).json()
    assert first["totalCount"] == 3  # Checkout-Legacy was last seen 10 days ago (default from=now-3d)
    assert [e["displayName"] for e in first["entities"]] == ["payment", "frontend"]
    frontend = first["entities"][1]
    assert (
        frontend["properties"] == {"serviceType": "WEB_SERVICE"}
        and "tags" in frontend
        and "fromRelationships" in frontend
    )
    assert "managementZones" not in frontend
    second = (
        await sim.get("/api/v2/entities", params={"nextPageKey": first["nextPageKey"]}, headers=API_TOKEN)
    ).json()
    assert [e["displayName"] for e in second["entities"]] == ["checkout"] and "nextPageKey" not in second
    # the key carries the fields: the second page has the same projection without resending them
    assert second["entities"][0]["properties"] == {"serviceType": "WEB_SERVICE"} or set(
        second["entities"][0]["properties"]
    ) == {"serviceType"}
    assert "tags" in second["entities"][0] and "fromRelationships" in second["entities"][0]
    beside = await sim.get(
        "/api/v2/entities", params={"nextPageKey": first["nextPageKey"], "fields": "+tags"}, headers=API_TOKEN
    )
    assert beside.status_code == 400 and "alone" in beside.text
    old = (
        await sim.get(
            "/api/v2/entities",
            params={"entitySelector": "type(SERVICE)", "from": "now-30d"},
            headers=API_TOKEN,
        )
    ).json()
    assert old["totalCount"] == 4
    bare = old["entities"][0]
    assert set(bare) == {"entityId", "type", "displayName"}


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({}, "entitySelector"),
        ({"entitySelector": "type(SERVICE"}, "entitySelector"),
        ({"entitySelector": "type(SERVICE)", "fields": "+secrets"}, "fields"),
        ({"entitySelector": "type(SERVICE)", "sort": "size"}, "sort"),
    ],
)
async def test_bad_entity_parameters(sim: httpx.AsyncClient, params: dict[str, str], path: str) -> None:
    response = await sim.get("/api/v2/entities", params=params, headers=API_TOKEN)
    assert response.status_code == 400
    assert response.json()["error"]["constraintViolations"][0]["path"] == path


async def test_get_entity(sim: httpx.AsyncClient) -> None:
    full = (await sim.get("/api/v2/entities/SERVICE-00000000000000C1", headers=API_TOKEN)).json()
    assert full["displayName"] == "checkout" and "tags" in full and "properties" in full
    narrow = (
        await sim.get(
            "/api/v2/entities/SERVICE-00000000000000C1", params={"fields": "+tags"}, headers=API_TOKEN
        )
    ).json()
    assert set(narrow) == {"entityId", "type", "displayName", "tags"}
    _assert_classic_error(
        await sim.get("/api/v2/entities/SERVICE-404", headers=API_TOKEN), 404, "does not exist"
    )


async def test_settings_objects(sim: httpx.AsyncClient) -> None:
    params = {"schemaIds": "builtin:anomaly-detection.metric-events", "pageSize": "1"}
    first = (await sim.get("/api/v2/settings/objects", params=params, headers=API_TOKEN)).json()
    assert first["totalCount"] == 2 and set(first["items"][0]) == {"objectId", "value"}
    second = (
        await sim.get(
            "/api/v2/settings/objects", params={"nextPageKey": first["nextPageKey"]}, headers=API_TOKEN
        )
    ).json()
    assert second["items"][0]["objectId"] == "obj-me-2"
    params = {
        "schemaIds": "builtin:anomaly-detection.metric-events,builtin:davis.anomaly-detectors",
        "fields": "objectId,schemaId,summary",
        "filter": "value.enabled = true",
    }
    body = (await sim.get("/api/v2/settings/objects", params=params, headers=API_TOKEN)).json()
    assert [i["objectId"] for i in body["items"]] == ["obj-me-1", "obj-ad-1"]
    assert set(body["items"][0]) == {"objectId", "schemaId", "summary"}
    one = await sim.get("/api/v2/settings/objects/obj-ad-1", headers=API_TOKEN)
    assert one.json()["value"]["title"] == "Checkout error logs"
    _assert_classic_error(await sim.get("/api/v2/settings/objects/none", headers=API_TOKEN), 404, "not found")
    _assert_classic_error(await sim.get("/api/v2/settings/objects", headers=API_TOKEN), 400, "schemaIds")
    bad_filter = {"schemaIds": "x", "filter": "value.enabled ~~ yes"}
    _assert_classic_error(
        await sim.get("/api/v2/settings/objects", params=bad_filter, headers=API_TOKEN), 400, "filter"
    )


async def test_api_token_lookup(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(token_scopes={"problems.read", "entities.read"}))
    response = await client.post(
        "/api/v2/apiTokens/lookup", json={"token": "dt0c01.SIMULATOR.TOKEN"}, headers=API_TOKEN
    )
    assert response.status_code == 200
    assert response.json()["scopes"] == ["entities.read", "problems.read"]
    assert response.json()["id"] == "dt0c01.SIMULATOR" and "TOKEN" not in response.json()["id"]
    _assert_classic_error(
        await client.post("/api/v2/apiTokens/lookup", json={"token": "dt0c01.X.Y"}, headers=API_TOKEN),
        404,
        "No API token",
    )
    _assert_classic_error(
        await client.post("/api/v2/apiTokens/lookup", content=b"{", headers=API_TOKEN), 400, "token"
    )
    _assert_classic_error(await client.post("/api/v2/apiTokens/lookup", json={"token": "x"}), 401, "Missing")


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "Missing authorization"),
        ({"Authorization": "Api-Token dt0c01.WRONG.TOKEN"}, "Authentication failed"),
        ({"Authorization": "Bearer not-issued"}, "not valid"),
        ({"Authorization": "Basic abc"}, "Api-Token"),
    ],
)
async def test_bad_credentials_are_401(
    sim: httpx.AsyncClient, headers: dict[str, str], fragment: str
) -> None:
    _assert_classic_error(await sim.get("/api/v2/problems", headers=headers), 401, fragment)


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/api/v2/problems", "problems.read"),
        ("/api/v2/entities?entitySelector=type(HOST)", "entities.read"),
        ("/api/v2/settings/objects?schemaIds=x", "settings.read"),
    ],
)
async def test_missing_token_scope_is_403_naming_it(
    sim_client_factory: ClientFactory, path: str, scope: str
) -> None:
    client = sim_client_factory(SimulatorOptions(token_scopes={"metrics.read"}))
    error = _assert_classic_error(await client.get(path, headers=API_TOKEN), 403, scope)
    assert "missing required scope" in error["message"]


async def test_platform_gateway_needs_bearer_and_platform_scopes(sim: httpx.AsyncClient) -> None:
    gateway = "/platform/classic/environment-api/v2"
    _assert_classic_error(await sim.get(f"{gateway}/problems", headers=API_TOKEN), 401, "Bearer")
    denied = await sim.get(f"{gateway}/problems", headers=await oauth_token(sim, "storage:logs:read"))
    _assert_classic_error(denied, 403, "environment-api:problems:read")
    headers = await oauth_token(
        sim, "environment-api:problems:read environment-api:entities:read settings:objects:read"
    )
    assert (await sim.get(f"{gateway}/problems", headers=headers)).json()["totalCount"] == 2
    entities = await sim.get(f"{gateway}/entities", params={"entitySelector": "type(HOST)"}, headers=headers)
    assert entities.json()["totalCount"] == 2
    settings = await sim.get(
        f"{gateway}/settings/objects",
        params={"schemaIds": "builtin:davis.anomaly-detectors"},
        headers=headers,
    )
    assert settings.json()["totalCount"] == 1
    # Newer tenants also accept a platform token on the classic paths, with platform scope names.
    assert (await sim.get("/api/v2/problems", headers=headers)).status_code == 200


async def test_unknown_paths_and_methods_answer_json(sim: httpx.AsyncClient) -> None:
    _assert_classic_error(await sim.get("/api/v2/nothing", headers=API_TOKEN), 404, "No such endpoint")
    _assert_classic_error(await sim.delete("/api/v2/problems", headers=API_TOKEN), 405, "not allowed")


async def test_without_oauth_there_is_no_platform(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(oauth_enabled=False))
    assert (await client.get("/e/abc/api/v2/problems", headers=API_TOKEN)).status_code == 200
    token = await client.post("/sso/oauth2/token", data={"grant_type": "client_credentials"})
    assert token.status_code == 404
    gone = await client.post("/platform/storage/query/v1/query:execute", json={"query": "fetch logs"})
    assert gone.status_code == 404 and "OAuth is disabled" in gone.json()["error"]["message"]
