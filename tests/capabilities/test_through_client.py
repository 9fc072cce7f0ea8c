"""Capabilities end to end: the real ``DynatraceClient`` over HTTP against the simulator.

Nothing here is faked below the HTTP transport: arguments become request parameters or DQL,
the simulator answers like a tenant (paging, RUNNING queries, 403s, 503 bursts), and the
client's paging, polling, retries and error mapping run for real. Every request is recorded,
so each test can say what was sent as well as what came back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from dynatrace_agent import capabilities as caps
from dynatrace_agent.case import IncidentCase, load_case
from dynatrace_agent.client import DynatraceClient, RetryPolicy
from dynatrace_agent.errors import InvalidArgumentError, MissingScopeError, NotFoundError
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from dynatrace_agent.simulator.options import ALL_OAUTH_SCOPES, ALL_TOKEN_SCOPES

CASE_DIR = Path(__file__).parents[1] / "simulator" / "fixtures" / "small_case"
CHECKOUT = "SERVICE-00000000000000C1"


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the simulator and keeps them, so a test can see what was sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def to(self, suffix: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(suffix)]

    def grail_queries(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.to("/query:execute")]


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _client(
    case: IncidentCase | None = None, options: SimulatorOptions | None = None, sleeps: Sleeps | None = None
) -> tuple[DynatraceClient, Recorder]:
    options = options or SimulatorOptions()
    recorder = Recorder(simulator_transport(case or load_case(CASE_DIR), options))
    retry = RetryPolicy(sleep=sleeps or Sleeps(), rand=lambda: 0.0)
    return DynatraceClient(simulator_settings(options), transport=recorder, retry=retry), recorder


# --- classic API: arguments reach the tenant and decide the answer -------------------------------


async def test_get_problem_returns_the_problem_asked_for() -> None:
    client, sent = _client()
    async with client:
        open_one = await caps.get_problem(client, "P-250304")
        closed_one = await caps.get_problem(client, "P-250303")
        by_problem_id = await caps.get_problem(client, "-333_1740800000000V2")
    assert open_one.records[0].display_id == "P-250304"
    assert open_one.records[0].title == "Failure rate increase on checkout"
    assert closed_one.records[0].display_id == "P-250303"
    assert closed_one.records[0].title == "Response time degradation on payment"
    assert by_problem_id.records[0].display_id == "P-250301"
    assert "problemdetail;pid=-111_1741083600000V2" in open_one.summary()
    assert "payment" in closed_one.summary(400).lower()
    assert any("P-250303" in str(r.url) for r in sent.requests)


async def test_an_unknown_problem_is_a_clear_not_found() -> None:
    client, _ = _client()
    async with client:
        with pytest.raises(NotFoundError) as info:
            await caps.get_problem(client, "P-999999")
    assert "P-999999" in str(info.value)


async def test_a_malformed_problem_reference_is_refused_before_any_request() -> None:
    client, sent = _client()
    async with client:
        with pytest.raises(InvalidArgumentError, match="not a problem reference"):
            await caps.get_problem(client, "P-1/../../x")
    assert sent.requests == []


async def test_list_problems_filters_by_status_and_caps_the_count() -> None:
    client, sent = _client()
    async with client:
        opened = await caps.list_problems(client, status="open", timeframe="now-7d")
        closed = await caps.list_problems(client, status="closed", timeframe="now-7d")
        capped = await caps.list_problems(client, timeframe="now-7d", max_problems=2)
    assert [p.display_id for p in opened.records] == ["P-250304"]
    assert sorted(p.display_id for p in closed.records) == ["P-250301", "P-250303"]
    assert len(capped.records) == 2 and capped.truncated
    newest_first = [p.display_id for p in capped.records]
    assert newest_first == ["P-250304", "P-250303"]
    first = sent.to("/api/v2/problems")[0]
    assert first.url.params["problemSelector"] == 'status("open")'
    assert first.url.params["from"] == "now-7d"
    assert first.headers["Authorization"].startswith("Api-Token ")
    assert opened.summary(300).startswith("1 problem")


async def test_list_entities_sends_the_selector_and_the_tenant_applies_it() -> None:
    client, sent = _client()
    async with client:
        services = await caps.list_entities(client, entity_type="SERVICE")
        check = await caps.list_entities(client, entity_type="SERVICE", name_starts_with="check")
        hosts = await caps.list_entities(client, entity_type="HOST")
        since_a_month = await caps.list_entities(
            client, entity_type="SERVICE", name_starts_with="check", timeframe="now-30d"
        )
    # Checkout-Legacy was last seen two weeks before the case: outside the default 3 days.
    assert {e.display_name for e in services.records} == {"frontend", "checkout", "payment"}
    assert {e.display_name for e in check.records} == {"checkout"}
    # entityName.startsWith is case-insensitive in Dynatrace: "Checkout-Legacy" matches too.
    assert {e.display_name for e in since_a_month.records} == {"checkout", "Checkout-Legacy"}
    assert {e.entity_id for e in hosts.records} == {"HOST-0000000000000001", "HOST-0000000000000002"}
    selectors = [r.url.params["entitySelector"] for r in sent.to("/api/v2/entities")]
    assert selectors[1] == 'type("SERVICE"),entityName.startsWith("check")'


def _case_with_services(tmp_path: Path, count: int) -> IncidentCase:
    root = tmp_path / "case"
    shutil.copytree(CASE_DIR, root)
    path = root / "tenant" / "entities.json"
    entities = json.loads(path.read_text())
    for i in range(count):
        entities.append(
            {
                "entityId": f"SERVICE-{0xA000000000000000 + i:016X}",
                "type": "SERVICE",
                "displayName": f"svc-{i:03d}",
                "firstSeenTms": 1738492800000,
                "lastSeenTms": 1741084740000,
            }
        )
    path.write_text(json.dumps(entities))
    return load_case(root)


async def test_list_entities_follows_next_page_keys_across_pages(tmp_path: Path) -> None:
    client, sent = _client(_case_with_services(tmp_path, 230))
    async with client:
        result = await caps.list_entities(client, entity_type="SERVICE", max_entities=1000)
    ids = [e.entity_id for e in result.records]
    assert len(ids) == 233 and len(set(ids)) == 233 and not result.truncated
    pages = sent.to("/api/v2/entities")
    assert len(pages) == 3  # 100 + 100 + 33
    assert "nextPageKey" not in pages[0].url.params
    assert all("nextPageKey" in p.url.params for p in pages[1:])
    # With a page key the selector is not sent again (the API refuses both at once).
    assert all("entitySelector" not in p.url.params for p in pages[1:])


async def test_list_entities_stops_paging_at_its_limit(tmp_path: Path) -> None:
    client, sent = _client(_case_with_services(tmp_path, 230))
    async with client:
        result = await caps.list_entities(client, entity_type="SERVICE", max_entities=150)
    assert len(result.records) == 150 and result.truncated
    assert len(sent.to("/api/v2/entities")) == 2


async def test_list_slos_applies_the_name_filter_on_the_tenant() -> None:
    client, sent = _client()
    async with client:
        checkout = await caps.list_slos(client, name_contains="checkout")
        everything = await caps.list_slos(client)
    assert sorted(s.name for s in checkout.records) == ["Checkout availability", "Checkout latency"]
    assert len(everything.records) == 5
    filters = [r.url.params.get("filter") for r in sent.requests if "slo" in r.url.path]
    assert any(f and "'checkout'" in f for f in filters)  # the filter went to the tenant


async def test_alerting_rules_come_from_settings_and_honour_enabled_only() -> None:
    client, _ = _client()
    async with client:
        enabled = await caps.list_alerting_rules(client, enabled_only=True)
        every = await caps.list_alerting_rules(client)
    assert "obj-me-1" in {r.object_id for r in enabled.records}
    assert "obj-me-2" not in {r.object_id for r in enabled.records}
    assert "obj-me-2" in {r.object_id for r in every.records}


# --- Grail: DQL sent, polling, scopes --------------------------------------------------------------


async def test_query_logs_sends_the_level_filter_and_reads_the_matching_records() -> None:
    client, sent = _client()
    async with client:
        result = await caps.query_logs(client, levels=["ERROR"], timeframe_start="2025-03-04T10:00:00Z")
    assert result.total == 15
    assert result.records and all(r.loglevel == "ERROR" for r in result.records)
    assert {r.service for r in result.records} == {CHECKOUT}
    assert "PaymentGatewayException" in result.summary(600)
    queries = sent.grail_queries()
    assert queries and all('"ERROR"' in q["query"] for q in queries)
    assert all(q["query"].startswith("fetch logs") for q in queries)
    token_requests = [r for r in sent.requests if r.url.path.endswith("/token")]
    assert len(token_requests) == 1  # one OAuth token, reused for every query


async def test_a_running_grail_query_is_polled_until_it_succeeds() -> None:
    client, sent = _client(options=SimulatorOptions(query_running_ms=300))
    client.grail._request_timeout_ms = 50  # answer RUNNING quickly so the poll loop shows
    async with client:
        result = await caps.execute_dql(
            client, 'fetch logs | filter loglevel == "ERROR" | summarize n = count()'
        )
    assert result.raw == [{"n": "15"}]
    polls = sent.to("/query:poll")
    assert polls, "the query answered RUNNING, so the client must poll"
    token = polls[0].url.params["request-token"]
    assert token and all(p.url.params["request-token"] == token for p in polls)
    assert sent.requests.index(sent.to("/query:execute")[0]) < sent.requests.index(polls[0])


async def test_a_missing_storage_scope_names_the_scope() -> None:
    options = SimulatorOptions(oauth_scopes=set(ALL_OAUTH_SCOPES) - {"storage:logs:read"})
    client, _ = _client(options=options)
    async with client:
        with pytest.raises(MissingScopeError) as info:
            await caps.query_logs(client, levels=["ERROR"], timeframe_start="2025-03-04T10:00:00Z")
    assert "storage:logs:read" in str(info.value)


async def test_a_missing_api_token_scope_names_the_scope() -> None:
    client, _ = _client(options=SimulatorOptions(token_scopes=set(ALL_TOKEN_SCOPES) - {"problems.read"}))
    async with client:
        with pytest.raises(MissingScopeError) as info:
            await caps.list_problems(client, timeframe="now-7d")
    assert "problems.read" in str(info.value)


async def test_a_burst_of_503s_is_retried_and_the_answer_is_complete() -> None:
    sleeps = Sleeps()
    client, sent = _client(options=SimulatorOptions(error_burst=(1, 2)), sleeps=sleeps)
    async with client:
        result = await caps.list_entities(client, entity_type="SERVICE")
    assert {e.display_name for e in result.records} == {"frontend", "checkout", "payment"}
    assert len(sent.to("/api/v2/entities")) == 3  # two 503s, then the answer
    assert sleeps.calls == [0.5, 1.0]


async def test_rate_limits_are_waited_out_as_the_tenant_asks() -> None:
    sleeps = Sleeps()
    client, _ = _client(options=SimulatorOptions(rate_limit_every=2, retry_after_s=3), sleeps=sleeps)
    async with client:
        opened = await caps.list_problems(client, status="open", timeframe="now-7d")
        problem = await caps.get_problem(client, "P-250304")
    assert [p.display_id for p in opened.records] == ["P-250304"]
    assert problem.records[0].display_id == "P-250304"
    assert sleeps.calls and all(s == 3.0 for s in sleeps.calls)


async def test_query_spans_with_failed_only_returns_the_failed_checkout_spans() -> None:
    client, sent = _client()
    async with client:
        failed = await caps.query_spans(
            client, service="checkout", failed_only=True, timeframe_start="2025-03-04T10:00:00Z"
        )
        everything = await caps.query_spans(client, timeframe_start="2025-03-04T10:00:00Z")
    assert failed.records and all(s.failed for s in failed.records)
    assert {s.service for s in failed.records} == {CHECKOUT}
    # Whole-window figures: 20 checkout spans in the window, 3 of them failed.
    assert (everything.total, everything.aggregates["overall"]["failed"]) == (20, 3)
    assert (failed.total, failed.aggregates["overall"]["count"]) == (3, 3)
    assert all("fetch spans" in q["query"] for q in sent.grail_queries())
    assert any('service.name == "checkout"' in q["query"] for q in sent.grail_queries())


async def test_query_metrics_reads_the_series_of_the_entity_asked_for() -> None:
    client, sent = _client()
    async with client:
        result = await caps.query_metrics(
            client,
            ["dt.service.response.time"],
            entity_ids=[CHECKOUT],
            timeframe_start="2025-03-04T10:00:00Z",
            timeframe_end="2025-03-04T10:40:00Z",
        )
    assert result.raw, "the checkout series exists in the case"
    series = result.raw[0]
    assert series["dt.entity.service"] == CHECKOUT
    values = next(v for k, v in series.items() if k.startswith("avg(") and isinstance(v, list))
    assert max(v for v in values if v is not None) >= 880_000  # the spike is in the answer
    assert f'"{CHECKOUT}"' in sent.grail_queries()[0]["query"]


async def test_change_events_around_an_entity_include_its_deployment_only() -> None:
    client, _ = _client()
    async with client:
        checkout = await caps.query_change_events(
            client, entity_ids=[CHECKOUT], anchor="2025-03-04T10:40:00Z"
        )
        everywhere = await caps.query_change_events(client, anchor="2025-03-04T10:40:00Z")
    assert [e.event_id for e in checkout.records] == ["evt-deploy-1"]
    assert {e.event_id for e in everywhere.records} == {"evt-deploy-1", "evt-config-2"}
    assert "Deploy checkout 2.14.0" in checkout.summary(400)
