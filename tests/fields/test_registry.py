"""Every field the project's DQL reads is in the field registry, with where it was confirmed.

The queries are captured on their way to the simulator while every Grail capability runs with
each of its filters and the investigation graph runs the demo incident end to end, so a field
added anywhere (capabilities, graph nodes) without registering it fails here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import httpx
import pytest

from dynatrace_agent import capabilities as caps
from dynatrace_agent.capabilities.logs import LogRecord
from dynatrace_agent.capabilities.sessions import UserSession
from dynatrace_agent.capabilities.traces import Span
from dynatrace_agent.case import demo_case_path, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.fields import GRAIL_FIELDS, field_source, unregistered
from dynatrace_agent.simulator import simulator_settings, simulator_transport
from tests.fields.collect import fields_read

CASE = load_case(demo_case_path())
CLASSIC_USQL = {
    "dt.entity.application",
    "application.name",
    "userExperienceScore",
    "userId",
    "totalErrorCount",
}


class _Spy(httpx.AsyncBaseTransport):
    """Passes requests to the simulator and keeps every DQL query sent."""

    def __init__(self) -> None:
        self.inner = simulator_transport(CASE)
        self.queries: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query:execute"):
            self.queries.append(json.loads(request.content)["query"])
        return await self.inner.handle_async_request(request)


def _service(name: str) -> str:
    return next(
        e["entityId"] for e in CASE.entities if e.get("type") == "SERVICE" and e["displayName"] == name
    )


async def _every_query() -> list[str]:
    spy = _Spy()
    checkout = _service("checkout")
    async with DynatraceClient(simulator_settings(), transport=spy) as client:
        await caps.query_logs(
            client,
            service="checkout",
            host="h",
            entity_ids=[checkout],
            levels=["ERROR"],
            text="x",
            baseline_start="now-3h",
        )
        await caps.query_spans(
            client,
            service=checkout,
            endpoint="GET /",
            failed_only=True,
            min_duration_ms=5,
            timeframe_start="now-2h",
        )
        await caps.query_spans(client, trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
        await caps.query_metrics(
            client,
            ["dt.service.request.response_time", "builtin:service.errors.total.rate"],
            entity_ids=[checkout],
        )
        await caps.query_change_events(client, entity_ids=[checkout])
        await caps.query_business_events(client)
        await caps.query_user_sessions(
            client, application="www.shop.example", frustrated_only=True, with_errors=True, user="u"
        )
        from graphs.investigation.run import investigate

        await investigate(CASE.problem, client=client)
    return spy.queries


async def test_generated_dql_reads_only_registered_fields() -> None:
    queries = await _every_query()
    read: dict[str, set[str]] = defaultdict(set)
    for query in queries:
        table, fields = fields_read(query)
        read[table] |= fields
    assert {"logs", "spans", "events", "user.sessions", "timeseries"} <= set(read)
    outside = {table: unregistered(table, fields) for table, fields in read.items()}
    assert not any(outside.values()), f"register these fields (with their source) first: {outside}"
    assert not read["user.sessions"] & CLASSIC_USQL


def test_the_collector_sees_what_a_query_reads() -> None:
    table, fields = fields_read(
        'fetch logs | filter loglevel == "ERROR" | fieldsAdd n = stringLength(content) '
        "| summarize c = count(), by:{dt.entity.service} | filter c > n"
    )
    assert table == "logs" and fields == {"loglevel", "content", "dt.entity.service"}
    assert unregistered("logs", {"content", "userId"}) == ["userId"]
    assert unregistered("user.sessions", CLASSIC_USQL) == sorted(CLASSIC_USQL)


@pytest.mark.parametrize(
    ("model", "table"), [(Span, "spans"), (LogRecord, "logs"), (UserSession, "user.sessions")]
)
def test_typed_records_read_registered_fields(model: Any, table: str) -> None:
    aliases = {f.alias for f in model.model_fields.values() if f.alias}
    assert aliases and unregistered(table, aliases) == []


def test_every_registered_field_names_its_source() -> None:
    for table, fields in GRAIL_FIELDS.items():
        for name in fields:
            assert field_source(table, name), (table, name)
