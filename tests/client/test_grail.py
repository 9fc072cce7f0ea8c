"""Grail: execute body, polling until final, cancel at the deadline, scan budget, availability."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from dynatrace_agent.client import DynatraceClient, QueryResult
from dynatrace_agent.errors import (
    CapabilityUnavailableError,
    DQLSyntaxError,
    QueryResultGoneError,
    QueryTimeoutError,
    ScanBudgetExceededError,
    ServerError,
)

from .conftest import QUERY, SSO, make_settings, token_response


def result(records: list[dict[str, Any]], scanned_bytes: int | str = 0, **grail: Any) -> dict[str, Any]:
    metadata = {"grail": {"scannedBytes": scanned_bytes, "scannedRecords": "10", **grail}}
    types = [{"indexRange": [0, len(records)], "mappings": {"a": {"type": "long"}}}]
    return {"records": records, "types": types, "metadata": metadata}


@pytest.fixture(autouse=True)
def sso(router: respx.MockRouter) -> respx.Route:
    return router.post(SSO).mock(return_value=token_response())


async def test_immediate_result_and_request_body(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    execute = router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(
            200,
            json={
                "state": "SUCCEEDED",
                "result": result(
                    [{"a": "1"}, None],  # type: ignore[list-item]
                    scanned_bytes="2048",
                    sampled=True,
                    analysisTimeframe={"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"},
                    notifications=[
                        {"severity": "WARN", "notificationType": "RESULT_TRUNCATED", "message": "cut"}
                    ],
                ),
            },
        )
    )
    async with make_client() as client:
        res = await client.grail.query(
            "fetch logs",
            scopes=["storage:logs:read"],
            timeframe_start="2026-01-01T00:00:00Z",
            timeframe_end="2026-01-01T01:00:00Z",
            max_result_records=50,
            max_result_bytes=100_000,
            scan_limit_gb=2.5,
        )
    body = json.loads(execute.calls.last.request.content)
    assert body["query"] == "fetch logs"
    assert body["maxResultRecords"] == 50 and body["maxResultBytes"] == 100_000
    # Grail takes a Long: 2.5 GB is rounded up to 3, never sent as a double
    assert body["defaultScanLimitGbytes"] == 3 and isinstance(body["defaultScanLimitGbytes"], int)
    assert body["defaultTimeframeStart"] == "2026-01-01T00:00:00Z"
    assert body["defaultTimeframeEnd"] == "2026-01-01T01:00:00Z"
    assert 1 <= body["requestTimeoutMilliseconds"] <= 5000
    assert execute.calls.last.request.headers["dt-client-context"] == "dynatrace-agent"
    assert isinstance(res, QueryResult)
    assert res.records == [{"a": "1"}]  # null records dropped
    assert res.types[0]["mappings"]["a"]["type"] == "long"
    assert (res.scanned_bytes, res.scanned_records, res.sampled) == (2048, 10, True)
    assert res.record_limit_reached and not res.scan_limit_reached
    assert res.analysis_timeframe == ("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")


async def test_record_limit_reached_from_the_count_alone(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(200, json={"state": "SUCCEEDED", "result": result([{"a": 1}, {"a": 2}])})
    )
    async with make_client() as client:
        full = await client.grail.query("fetch logs", scopes=[], max_result_records=2)
        partial = await client.grail.query("fetch logs", scopes=[], max_result_records=3)
    assert full.record_limit_reached and not partial.record_limit_reached


async def test_202_is_polled_with_a_request_timeout_until_succeeded(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(202, json={"state": "RUNNING", "requestToken": "REQ-1", "ttlSeconds": 60})
    )
    poll = router.get(f"{QUERY}/query:poll").mock(
        side_effect=[
            httpx.Response(200, json={"state": "RUNNING", "progress": 50}),
            httpx.Response(200, json={"state": "SUCCEEDED", "result": result([{"a": 1}])}),
        ]
    )
    async with make_client() as client:
        res = await client.grail.query("fetch logs", scopes=["storage:logs:read"])
        assert client.api_calls == 4  # token, execute, two polls
    assert res.records == [{"a": 1}]
    params = poll.calls.last.request.url.params
    assert params["request-token"] == "REQ-1"
    assert 1 <= int(params["request-timeout-milliseconds"]) <= 5000


async def test_deadline_cancels_the_query(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(202, json={"state": "NOT_STARTED", "requestToken": "REQ-2"})
    )
    poll = router.get(f"{QUERY}/query:poll").mock(return_value=httpx.Response(200, json={"state": "RUNNING"}))
    cancel = router.post(f"{QUERY}/query:cancel").mock(return_value=httpx.Response(202))
    async with make_client() as client:
        with pytest.raises(QueryTimeoutError, match=r"0\.2 s and was cancelled"):
            await client.grail.query("fetch logs", scopes=["storage:logs:read"], deadline_s=0.2)
    assert cancel.call_count == 1
    assert cancel.calls.last.request.url.params["request-token"] == "REQ-2"
    assert 1 <= poll.call_count < 20  # paced, not spinning


async def test_cancel_returning_the_finished_result_is_used(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(202, json={"state": "RUNNING", "requestToken": "REQ-3"})
    )
    router.post(f"{QUERY}/query:cancel").mock(
        return_value=httpx.Response(200, json={"state": "SUCCEEDED", "result": result([{"late": True}])})
    )
    async with make_client() as client:
        res = await client.grail.query("fetch logs", scopes=[], deadline_s=0.0)
    assert res.records == [{"late": True}]


@pytest.mark.parametrize(
    ("state", "error"),
    [("FAILED", ServerError), ("RESULT_GONE", QueryResultGoneError), ("CANCELLED", QueryTimeoutError)],
)
async def test_final_failure_states(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient], state: str, error: type[Exception]
) -> None:
    router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(202, json={"state": "RUNNING", "requestToken": "R"})
    )
    router.get(f"{QUERY}/query:poll").mock(return_value=httpx.Response(200, json={"state": state}))
    async with make_client() as client:
        with pytest.raises(error):
            await client.grail.query("fetch logs", scopes=[])


async def test_expired_request_token_on_poll(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(202, json={"state": "RUNNING", "requestToken": "R"})
    )
    router.get(f"{QUERY}/query:poll").mock(return_value=httpx.Response(410, text="token expired"))
    async with make_client() as client:
        with pytest.raises(QueryResultGoneError, match="run the query again"):
            await client.grail.query("fetch logs", scopes=[])


async def test_syntax_error_carries_line_and_column(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    envelope = {
        "error": {
            "code": 400,
            "message": "Unknown command",
            "details": {
                "errorType": "COMMAND_NAME_MISSING",
                "errorMessage": "Unknown command 'fetchh'.",
                "syntaxErrorPosition": {"start": {"line": 1, "column": 1, "index": 0}},
            },
        }
    }
    router.post(f"{QUERY}/query:execute").mock(return_value=httpx.Response(400, json=envelope))
    async with make_client() as client:
        with pytest.raises(DQLSyntaxError) as info:
            await client.grail.query("fetchh logs", scopes=[])
    assert (info.value.line, info.value.column) == (1, 1)
    assert "fetchh" in str(info.value)


async def test_scan_budget_caps_then_refuses(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    execute = router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(
            200, json={"state": "SUCCEEDED", "result": result([], scanned_bytes=600_000_000)}
        )
    )
    async with make_client(grail_scan_budget_gb=1.0) as client:
        assert client.grail.scan_budget_remaining_gb == 1.0
        await client.grail.query("fetch logs", scopes=[], scan_limit_gb=5)
        assert json.loads(execute.calls[0].request.content)["defaultScanLimitGbytes"] == 1.0
        assert client.grail.scan_budget_remaining_gb == pytest.approx(0.4)
        await client.grail.query("fetch logs", scopes=[])
        assert json.loads(execute.calls[1].request.content)["defaultScanLimitGbytes"] == 1
        assert client.grail.scan_budget_remaining_gb == 0.0
        calls = client.api_calls
        with pytest.raises(ScanBudgetExceededError, match="1 GB"):
            await client.grail.query("fetch logs", scopes=[])
        assert client.api_calls == calls  # nothing sent


async def test_without_budget_no_scan_limit_is_sent(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    execute = router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(200, json={"state": "SUCCEEDED", "result": result([])})
    )
    async with make_client() as client:
        await client.grail.query("fetch logs", scopes=[])
        assert client.grail.scan_budget_remaining_gb is None
    assert "defaultScanLimitGbytes" not in json.loads(execute.calls.last.request.content)


async def test_no_oauth_means_grail_is_unavailable_naming_the_capability(
    make_client: Callable[..., DynatraceClient],
) -> None:
    settings = make_settings(oauth_client_id=None, oauth_client_secret=None)
    async with make_client(settings) as client:
        with pytest.raises(CapabilityUnavailableError) as info:
            await client.grail.query("fetch logs", scopes=["storage:logs:read"])
        assert client.api_calls == 0
    assert info.value.capability == "logs"
    assert "DT_OAUTH_CLIENT_ID" in str(info.value)


async def test_managed_without_platform_is_unavailable(make_client: Callable[..., DynatraceClient]) -> None:
    settings = make_settings(environment_url="https://dt.example.com/e/abc")
    async with make_client(settings) as client:
        with pytest.raises(CapabilityUnavailableError, match="DT_PLATFORM_URL") as info:
            await client.grail.query("fetch spans", scopes=["storage:spans:read"])
    assert info.value.capability == "traces"


async def test_loopback_serves_both_planes_and_the_token_endpoint(router: respx.MockRouter) -> None:
    base = "http://127.0.0.1:8400"
    sso = router.post(f"{base}/sso/oauth2/token").mock(return_value=token_response())
    execute = router.post(f"{base}/platform/storage/query/v1/query:execute").mock(
        return_value=httpx.Response(200, json={"state": "SUCCEEDED", "result": result([])})
    )
    settings = make_settings(environment_url=base)
    async with DynatraceClient(settings, transport=httpx.MockTransport(router.async_handler)) as client:
        await client.grail.query("fetch logs", scopes=[])
    assert sso.call_count == 1 and execute.call_count == 1


async def test_empty_query_is_refused(make_client: Callable[..., DynatraceClient]) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match="empty"):
            await client.grail.query("  ", scopes=[])


async def test_metric_queries_ask_for_units(
    router: respx.MockRouter, make_client: Callable[..., DynatraceClient]
) -> None:
    """Grail sends metric units only with ``enrich=metric-metadata``; record queries do not ask."""
    execute = router.post(f"{QUERY}/query:execute").mock(
        return_value=httpx.Response(200, json={"state": "SUCCEEDED", "result": result([])})
    )
    async with make_client() as client:
        await client.grail.query("timeseries avg(dt.host.cpu.usage)", scopes=["storage:metrics:read"])
        await client.grail.query("fetch logs", scopes=["storage:logs:read"])
    assert execute.calls[0].request.url.params.get("enrich") == "metric-metadata"
    assert "enrich" not in execute.calls[1].request.url.params
