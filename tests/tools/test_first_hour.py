"""What a new user hit in the first hour with the entity, metric and problem tools (issue 13)."""

from __future__ import annotations

import re

from langchain_core.tools import BaseTool

from dynatrace_agent.summarise.metrics import change_point
from tests.tools.conftest import CHECKOUT, PAYMENT, STOREFRONT, call

WINDOW = {"timeframe_start": "2025-03-11T13:50:00Z", "timeframe_end": "2025-03-11T15:20:00Z"}


async def test_list_entities_finds_a_name_across_types(tools: dict[str, BaseTool]) -> None:
    message = await call(tools["dynatrace_list_entities"], {"name": "payment"})
    text = str(message.content)
    assert not text.startswith("Error"), text
    assert PAYMENT in text and "1 entities (SERVICE 1)" in text


async def test_list_entities_without_type_name_or_ids_says_what_to_give(tools: dict[str, BaseTool]) -> None:
    text = str((await call(tools["dynatrace_list_entities"], {})).content)
    assert "a name or ids" in text


async def test_service_list_keeps_the_incident_services_and_says_what_each_is(
    tools: dict[str, BaseTool],
) -> None:
    text = str((await call(tools["dynatrace_list_entities"], {"entity_type": "SERVICE"})).content)
    table = text.split("Topology:")[0]
    for service in (CHECKOUT, PAYMENT, STOREFRONT):
        assert service in table
    assert "more entities" not in text  # all 14 services fit the default budget
    payment_row = next(line for line in table.splitlines() if PAYMENT in line)
    assert "WEB_SERVICE" in payment_row and "Java" in payment_row
    assert "ns payments" in payment_row and "workload payment" in payment_row
    rows = [line for line in table.splitlines() if line.startswith("| SERVICE-")]
    database_at = next(i for i, line in enumerate(rows) if "DATABASE_SERVICE" in line)
    assert all(CHECKOUT not in line for line in rows[database_at:])  # application services first


async def test_metric_table_names_entities_and_finds_the_rolled_back_rise(tools: dict[str, BaseTool]) -> None:
    args = {
        "metric_keys": ["dt.service.request.failure_count"],
        "by": ["dt.entity.service"],
        "aggregation": "sum",
        **WINDOW,
    }
    text = str((await call(tools["dynatrace_query_metrics"], args)).content)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if "SERVICE-" in line}
    payment = rows[f"payment ({PAYMENT})"]
    assert re.search(r"→2\.\d+ at 2025-03-11 14:2\d:00Z, back at 14:4\d", payment), payment
    shipping = next(line for key, line in rows.items() if key.startswith("shipping"))
    assert shipping.rstrip().endswith("| – |"), shipping  # one late failure is not a level shift


def test_change_point_ignores_a_lone_outlier_at_the_edge() -> None:
    assert change_point([0.0] * 57 + [1.0, 0.0, 0.0]) is None
    rise = change_point([0.0] * 20 + [3.0, 2.0, 4.0, 3.0, 2.0, 3.0] + [0.0] * 20)
    assert rise is not None and rise.index == 20 and rise.end_index == 26
    step = change_point([10.0] * 10 + [50.0] * 10)
    assert step is not None and step.index == 10 and step.end_index is None


async def test_problem_list_never_cuts_an_entity_id(tools: dict[str, BaseTool]) -> None:
    text = str(
        (await call(tools["dynatrace_list_problems"], {"timeframe_start": "2025-03-11T12:00:00Z"})).content
    )
    row = next(line for line in text.splitlines() if line.startswith("| P-"))
    ids = re.findall(r"SERVICE-[0-9A-F]+", row)
    assert ids and all(len(i) == len("SERVICE-") + 16 for i in ids), row
    assert PAYMENT in row


async def test_log_patterns_say_when_they_began_with_a_trace_and_a_pod(tools: dict[str, BaseTool]) -> None:
    window = {"timeframe_start": "2025-03-11T14:00:00Z", "timeframe_end": "2025-03-11T14:50:00Z"}
    text = str((await call(tools["dynatrace_query_logs"], window)).content)
    psp = next(line for line in text.splitlines() if "PSP returned" in line and line.startswith("- "))
    # payment 2.8.0 rolled out at 14:19: its errors must be seen from then, not from the newest records only
    began = re.search(r"\((14:\d\d:\d\d)–(14:\d\d:\d\d)Z\)", psp)
    assert began and "14:19:00" <= began.group(1) < "14:25:00", psp
    assert re.search(r"\[trace [0-9a-f]{32}, pod payment-[\w-]+\]", psp), psp
    payment = next(line for line in text.splitlines() if line.startswith(f"- payment ({PAYMENT})"))
    assert re.search(r"errors \d\d:\d\d:\d\d–\d\d:\d\d:\d\dZ", payment), payment
    assert "times on 2025-03-11" in text


async def test_traces_count_every_span_per_endpoint_and_list_slow_traces_only_when_asked(
    tools: dict[str, BaseTool],
) -> None:
    window = {"timeframe_start": "2025-03-11T14:00:00Z", "timeframe_end": "2025-03-11T14:50:00Z"}
    message = await call(tools["dynatrace_query_traces"], window)
    text = str(message.content)
    assert "Slowest traces" not in text
    summarize = [q for q in message.artifact["queries"] if "by:{dt.entity.service, endpoint}" in q]
    assert summarize and "limit 500" not in " ".join(message.artifact["queries"])  # no slow sample
    failing = text.split("Top failing endpoints:")[1].splitlines()[3]
    assert failing.startswith(f"| payment ({PAYMENT}) POST /api/payments/authorize | 5 | 45 |"), failing
    asked = str((await call(tools["dynatrace_query_traces"], {**window, "slowest_traces": True})).content)
    assert "Slowest traces" in asked


async def test_change_events_name_the_changed_entity_and_say_why(tools: dict[str, BaseTool]) -> None:
    args = {"timeframe_start": "2025-03-11T13:00:00Z", "timeframe_end": "2025-03-11T15:00:00Z"}
    text = str((await call(tools["dynatrace_query_events"], args)).content)
    deploy = next(line for line in text.splitlines() if "Deploy payment 2.8.0" in line)
    assert (
        f"payment ({PAYMENT})" in deploy and "PSP API 2024-10 migration" in deploy and "by argocd" in deploy
    )
