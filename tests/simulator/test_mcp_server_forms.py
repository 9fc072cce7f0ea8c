"""What Dynatrace's MCP server (2.1.2) sends, the simulator accepts as a real tenant would.

Found by running the unmodified server against the simulator (tests/conformance/test_mcp_server.py);
each test pins one of those forms at the HTTP level so it fails fast without Node.
"""

from __future__ import annotations

import httpx
import pytest

from dynatrace_agent.simulator import SimulatorOptions
from dynatrace_agent.simulator.dql_engine import required_scopes

from .conftest import ClientFactory, oauth_token

EXECUTE = "/platform/storage/query/v1/query:execute"
CHECKOUT = "SERVICE-00000000000000C1"
#: Every entity table dynatrace-mcp-server 2.1.2 searches (find_entity_by_name, extendedSearch).
SERVER_ENTITY_TYPES = (
    "application",
    "aws_application_load_balancer",
    "aws_availability_zone",
    "aws_lambda_function",
    "aws_network_load_balancer",
    "azure_vm",
    "cloud_application",
    "cloud_application_instance",
    "cloud_application_namespace",
    "container_group",
    "container_group_instance",
    "custom_application",
    "custom_device",
    "custom_device_group",
    "disk",
    "docker_container_group_instance",
    "ec2_instance",
    "environment",
    "gcp_zone",
    "geolocation",
    "host",
    "host_group",
    "kubernetes_cluster",
    "kubernetes_node",
    "kubernetes_service",
    "mobile_application",
    "network_interface",
    "openstack_vm",
    "os",
    "process_group",
    "process_group_instance",
    "relational_database_service",
    "service",
    "service_instance",
    "synthetic_location",
    "synthetic_test",
)


async def _run(sim: httpx.AsyncClient, query: str, scopes: str) -> httpx.Response:
    return await sim.post(EXECUTE, json={"query": query}, headers=await oauth_token(sim, scopes))


async def test_entity_and_smartscape_queries_need_no_bucket_permission(sim: httpx.AsyncClient) -> None:
    # find_entity_by_name asks SSO only for storage:entities:read and storage:smartscape:read.
    entities = await _run(sim, 'fetch dt.entity.service | search "*check*"', "storage:entities:read")
    assert entities.status_code == 200, entities.text
    assert entities.json()["result"]["records"]
    nodes = await _run(sim, 'smartscapeNodes "*" | search "*check*"', "storage:smartscape:read")
    assert nodes.status_code == 200, nodes.text
    # Record data in buckets still needs the bucket permission, also inside an append.
    mixed = await _run(
        sim, "fetch dt.entity.service | append [ fetch logs ]", "storage:entities:read storage:logs:read"
    )
    assert mixed.status_code == 403
    assert mixed.json()["error"]["details"]["missingScopes"] == ["storage:buckets:read"]


def test_required_scopes_per_data_object() -> None:
    assert required_scopes(["dt.entity.service"]) == ["storage:entities:read"]
    assert required_scopes(["smartscape"]) == ["storage:smartscape:read"]
    assert required_scopes(["user.events"]) == ["storage:buckets:read", "storage:user.events:read"]
    assert required_scopes(["security.events"]) == ["storage:buckets:read", "storage:security.events:read"]


@pytest.mark.parametrize(
    ("wanted", "found"),
    [
        (f'id == toSmartscapeId("{CHECKOUT}")', [CHECKOUT]),
        (f'id == "{CHECKOUT}"', [CHECKOUT]),  # the raw string form the server documents too
        ('id == toSmartscapeId("not an id")', []),
    ],
)
async def test_to_smartscape_id(sim: httpx.AsyncClient, wanted: str, found: list[str]) -> None:
    response = await _run(sim, f'smartscapeNodes "SERVICE" | filter {wanted}', "storage:smartscape:read")
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()["result"]["records"]] == found


@pytest.mark.parametrize(
    ("table", "scope"),
    [("user.events", "storage:user.events:read"), ("security.events", "storage:security.events:read")],
)
async def test_user_and_security_events_are_data_objects_with_their_own_scope(
    sim: httpx.AsyncClient, table: str, scope: str
) -> None:
    refused = await _run(sim, f"fetch {table}", "storage:buckets:read")
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["missingScopes"] == [scope]
    empty = await _run(
        sim, f"fetch {table}, from: now()-24h | filter isNotNull(error.id)", f"storage:buckets:read {scope}"
    )
    assert empty.status_code == 200, empty.text
    assert empty.json()["result"]["records"] == []  # the case has none: empty, as on a tenant without RUM


@pytest.mark.parametrize("etype", SERVER_ENTITY_TYPES)
async def test_entity_types_the_server_searches_exist(sim: httpx.AsyncClient, etype: str) -> None:
    response = await _run(sim, f"fetch dt.entity.{etype}", "storage:entities:read")
    assert response.status_code == 200, response.text  # a data object, empty when the case has none


async def test_an_unknown_entity_type_is_not_a_data_object(sim: httpx.AsyncClient) -> None:
    unknown = await _run(sim, "fetch dt.entity.no_such_type", "storage:entities:read")
    assert (
        unknown.status_code == 400
        and unknown.json()["error"]["details"]["errorType"] == "UNKNOWN_DATA_OBJECT"
    )


async def test_sso_discovery_redirects_to_the_token_endpoints_origin(
    sim: httpx.AsyncClient, sim_client_factory: ClientFactory
) -> None:
    # The MCP server: HEAD with redirect "manual", then the Location's origin is the SSO base.
    own = await sim.head("/platform/oauth2/authorization/dynatrace-sso")
    assert own.status_code == 302
    assert own.headers["location"].startswith("http://simulator.test/oauth2/authorize?")
    fronted = sim_client_factory(SimulatorOptions(sso_origin="https://sso.dynatrace.com"))
    found = await fronted.get("/platform/oauth2/authorization/dynatrace-sso")
    assert found.status_code == 302
    assert found.headers["location"].startswith("https://sso.dynatrace.com/oauth2/authorize?")
    managed = sim_client_factory(SimulatorOptions(oauth_enabled=False))
    assert (await managed.head("/platform/oauth2/authorization/dynatrace-sso")).status_code == 404
