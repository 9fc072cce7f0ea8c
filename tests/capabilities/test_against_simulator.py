"""Every capability runs through the real client against the in-process simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent import capabilities as caps
from dynatrace_agent.summarise import count_tokens

CASE = Path(__file__).parents[1] / "simulator" / "fixtures" / "small_case"


@pytest.mark.skipif(not (CASE / "case.json").exists(), reason="simulator fixture case not present")
async def test_all_capabilities_on_small_case() -> None:
    from dynatrace_agent.case import load_case
    from dynatrace_agent.client import DynatraceClient
    from dynatrace_agent.simulator import simulator_settings, simulator_transport

    case = load_case(CASE)
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(case)) as client:
        results: list[Any] = [
            await caps.list_problems(client, timeframe="now-7d"),
            await caps.get_problem(client, case.problem),
            await caps.list_entities(client, entity_type="SERVICE"),
            await caps.list_alerting_rules(client),
            await caps.list_slos(client),
            await caps.query_logs(
                client, levels=["ERROR"], timeframe_start="now-2h", baseline_start="now-4h"
            ),
            await caps.query_spans(client, timeframe_start="now-2h"),
            await caps.query_metrics(client, ["dt.service.response.time"], by=["dt.entity.service"]),
            await caps.query_change_events(client, anchor="2025-03-04T10:40:00Z"),
            await caps.query_business_events(client),
            await caps.query_user_sessions(client, frustrated_only=True),
            await caps.execute_dql(client, "fetch logs | summarize count(), by:{loglevel}"),
        ]
    for result in results:
        assert count_tokens(result.summary(300)) <= 300
    problems, problem, entities, rules, slos, logs, spans, _metrics, events, *_rest = results
    assert any(p.display_id == case.problem for p in problems.records)
    assert problem.records[0].display_id == case.problem
    assert {e.display_name for e in entities.records} >= {"checkout"}
    assert rules.records and slos.records
    assert logs.total and logs.total > 0 and "ERROR" in logs.summary()
    assert spans.total and "Where failures originate" in spans.summary()
    assert "evt-deploy-1" in events.summary()
