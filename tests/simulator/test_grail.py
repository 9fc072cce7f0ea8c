"""Grail query API over HTTP: execute/poll/cancel, table scopes, DQL errors, limits, metadata."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from dynatrace_agent.simulator import SimulatorOptions

from .conftest import ClientFactory, oauth_token

EXECUTE = "/platform/storage/query/v1/query:execute"
POLL = "/platform/storage/query/v1/query:poll"
CANCEL = "/platform/storage/query/v1/query:cancel"
ALL_TABLES = (
    "storage:buckets:read storage:logs:read storage:spans:read storage:events:read "
    "storage:metrics:read storage:entities:read"
)
ERRORS_BY_SERVICE = 'fetch logs | filter loglevel == "ERROR" | summarize errors = count(), by:{service.name}'


async def _headers(client: httpx.AsyncClient, scopes: str = ALL_TABLES) -> dict[str, str]:
    return await oauth_token(client, scopes)


async def test_execute_finishes_at_once_with_result_and_metadata(sim: httpx.AsyncClient) -> None:
    response = await sim.post(
        EXECUTE, json={"query": ERRORS_BY_SERVICE, "timezone": "Europe/Vienna"}, headers=await _headers(sim)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "SUCCEEDED" and body["progress"] == 100 and "requestToken" not in body
    result = body["result"]
    assert result["records"] == [{"service.name": "checkout", "errors": "15"}]
    assert result["types"][0]["mappings"]["errors"]["type"] == "long"
    grail = result["metadata"]["grail"]
    assert (
        grail["query"] == ERRORS_BY_SERVICE
        and grail["dqlVersion"] == "V1_0"
        and grail["timezone"] == "Europe/Vienna"
    )
    assert grail["scannedRecords"] == 60 and grail["scannedBytes"] > 0 and grail["sampled"] is False
    # The default timeframe is the two hours before the case's clock, not the wall clock.
    assert grail["analysisTimeframe"]["end"].startswith("2025-03-04T10:40:00")
    assert {"queryId", "canonicalQuery", "locale", "executionTimeMilliseconds", "notifications"} <= set(grail)


async def test_timeseries_carries_metric_metadata(sim: httpx.AsyncClient) -> None:
    query = "timeseries rt = avg(dt.service.response.time), by:{dt.entity.service}, interval:5m, from:now-1h"
    body = (await sim.post(EXECUTE, json={"query": query}, headers=await _headers(sim))).json()
    assert body["state"] == "SUCCEEDED"
    assert body["result"]["records"][0]["dt.entity.service"] == "SERVICE-00000000000000C1"
    assert body["result"]["metadata"]["metrics"]


async def test_max_result_records_and_bytes(sim: httpx.AsyncClient) -> None:
    headers = await _headers(sim)
    limited = (
        await sim.post(EXECUTE, json={"query": "fetch logs", "maxResultRecords": 5}, headers=headers)
    ).json()
    assert len(limited["result"]["records"]) == 5
    notes = limited["result"]["metadata"]["grail"]["notifications"]
    assert notes and notes[0]["severity"] == "WARN"
    small = (
        await sim.post(EXECUTE, json={"query": "fetch logs", "maxResultBytes": 800}, headers=headers)
    ).json()
    records = small["result"]["records"]
    assert 0 < len(records) < 10
    assert small["result"]["types"][-1]["indexRange"][1] == len(records) - 1
    assert any(
        n["notificationType"] == "RESULT_TRUNCATED"
        for n in small["result"]["metadata"]["grail"]["notifications"]
    )


async def test_default_timeframe_from_the_request(sim: httpx.AsyncClient) -> None:
    body = {
        "query": "fetch logs | summarize n = count()",
        "defaultTimeframeStart": "2025-03-04T10:20:00Z",
        "defaultTimeframeEnd": "2025-03-04T10:25:00Z",
    }
    result = (await sim.post(EXECUTE, json=body, headers=await _headers(sim))).json()["result"]
    assert result["records"] == [{"n": "10"}]
    bad = await sim.post(EXECUTE, json={**body, "defaultTimeframeEnd": "later"}, headers=await _headers(sim))
    assert bad.status_code == 400 and "defaultTimeframe" in bad.json()["error"]["message"]


async def test_running_query_poll_then_result(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(query_running_ms=200))
    headers = await _headers(client)
    started = await client.post(EXECUTE, json={"query": ERRORS_BY_SERVICE}, headers=headers)
    assert started.status_code == 202
    body = started.json()
    assert body["state"] == "RUNNING" and body["ttlSeconds"] > 0 and 0 <= body["progress"] < 100
    token = body["requestToken"]
    early = await client.get(POLL, params={"request-token": token}, headers=headers)
    assert early.status_code == 200 and early.json()["state"] == "RUNNING" and "result" not in early.json()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    done = await client.get(
        POLL, params={"request-token": token, "request-timeout-milliseconds": "5000"}, headers=headers
    )
    assert loop.time() - t0 < 2.0  # waited for the result, not for the full timeout
    assert done.json()["state"] == "SUCCEEDED" and done.json()["result"]["records"][0]["errors"] == "15"
    # The result stays fetchable until its TTL; cancel of a finished query returns it.
    after = await client.post(CANCEL, params={"request-token": token}, headers=headers)
    assert after.status_code == 200 and after.json()["result"]["records"]
    assert (await client.get(POLL, params={"request-token": token}, headers=headers)).status_code == 410


async def test_execute_can_wait_for_a_running_query(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(query_running_ms=100))
    body = {"query": ERRORS_BY_SERVICE, "requestTimeoutMilliseconds": 3000}
    response = await client.post(EXECUTE, json=body, headers=await _headers(client))
    assert response.status_code == 200 and response.json()["state"] == "SUCCEEDED"


async def test_cancel_running_query_then_poll_is_gone(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(query_running_ms=10_000))
    headers = await _headers(client)
    token = (await client.post(EXECUTE, json={"query": "fetch logs"}, headers=headers)).json()["requestToken"]
    cancelled = await client.post(CANCEL, params={"request-token": token}, headers=headers)
    assert cancelled.status_code == 202 and cancelled.content == b""
    gone = await client.get(POLL, params={"request-token": token}, headers=headers)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == 410


async def test_expired_and_unknown_tokens_are_410(sim_client_factory: ClientFactory) -> None:
    client = sim_client_factory(SimulatorOptions(query_running_ms=1, result_ttl_s=0))
    headers = await _headers(client)
    token = (await client.post(EXECUTE, json={"query": "fetch logs"}, headers=headers)).json()["requestToken"]
    await asyncio.sleep(0.02)
    assert (await client.get(POLL, params={"request-token": token}, headers=headers)).status_code == 410
    assert (
        await client.get(POLL, params={"request-token": "never-issued"}, headers=headers)
    ).status_code == 410
    assert (
        await client.post(CANCEL, params={"request-token": "never-issued"}, headers=headers)
    ).status_code == 410
    missing = await client.get(POLL, headers=headers)
    assert missing.status_code == 400 and "request-token" in missing.json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "scopes", "missing"),
    [
        ("fetch logs", "storage:buckets:read", ["storage:logs:read"]),
        ("fetch spans", "storage:buckets:read storage:logs:read", ["storage:spans:read"]),
        ("fetch logs", "storage:logs:read", ["storage:buckets:read"]),
        ("fetch dt.entity.service", "storage:buckets:read", ["storage:entities:read"]),
        ("timeseries avg(dt.service.response.time)", "storage:buckets:read", ["storage:metrics:read"]),
    ],
)
async def test_table_scopes(sim: httpx.AsyncClient, query: str, scopes: str, missing: list[str]) -> None:
    response = await sim.post(EXECUTE, json={"query": query}, headers=await oauth_token(sim, scopes))
    assert response.status_code == 403
    details: dict[str, Any] = response.json()["error"]["details"]
    assert details["errorType"] == "NOT_AUTHORIZED_FOR_TABLE" and details["missingScopes"] == missing


@pytest.mark.parametrize(
    ("query", "error_type"),
    [
        ("fetch logs | filter loglevel ==", "PARSE_ERROR_UNEXPECTED_TOKEN"),
        ("fetch logs\n| frobnicate", None),
        ("fetch nosuchtable", None),
    ],
)
async def test_dql_errors_are_400_with_position(
    sim: httpx.AsyncClient, query: str, error_type: str | None
) -> None:
    response = await sim.post(EXECUTE, json={"query": query}, headers=await _headers(sim))
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert details["exceptionType"] == "DQL-SYNTAX-ERROR" and details["queryString"] == query
    assert details["errorType"] and (error_type is None or details["errorType"] == error_type)
    start = details["syntaxErrorPosition"]["start"]
    assert {"line", "column", "index"} <= set(start)
    if "\n" in query:
        assert start["line"] == 2


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"query": ""}',
        b'{"query": 3}',
        b'{"query": "fetch logs", "maxResultRecords": "many"}',
        b'{"query": "fetch logs", "maxResultRecords": -1}',
    ],
)
async def test_malformed_execute_bodies_are_400(sim: httpx.AsyncClient, body: bytes) -> None:
    headers = {**await _headers(sim), "content-type": "application/json"}
    response = await sim.post(EXECUTE, content=body, headers=headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == 400


async def test_grail_needs_a_bearer_token(sim: httpx.AsyncClient) -> None:
    response = await sim.post(
        EXECUTE, json={"query": "fetch logs"}, headers={"Authorization": "Api-Token dt0c01.SIMULATOR.TOKEN"}
    )
    assert response.status_code == 401
    assert response.headers["dynatrace-response-source"] == "API Gateway"
