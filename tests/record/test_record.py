"""The recorder writes a loadable, redacted case from the simulator through the real client."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from dynatrace_agent.case import load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.record import parse_before, record_case
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport

FIXTURE = Path(__file__).parents[1] / "simulator" / "fixtures" / "small_case"


async def test_record_from_simulator_round_trips_through_the_loader(tmp_path: Path) -> None:
    source = load_case(FIXTURE)
    options = SimulatorOptions()
    out = tmp_path / "case"
    async with DynatraceClient(
        simulator_settings(options), transport=simulator_transport(source, options)
    ) as client:
        summary = await record_case(client, source.problem, out, before=timedelta(minutes=60), now=source.now)
    recorded = load_case(out)
    assert recorded.problem == source.problem
    assert recorded.expected is None
    assert {e["entityId"] for e in recorded.entities} >= {
        s["entityId"]["id"] for s in source.problems[0].get("affectedEntities", [])
    }
    assert summary.counts["logs"] == len(recorded.tables.get("logs", []))
    assert len(recorded.tables.get("logs", [])) > 0
    assert recorded.metrics, "metric series are recorded"
    assert all(isinstance(s.get("duration"), int) for s in recorded.tables.get("spans", []))
    meta = json.loads((out / "case.json").read_text())
    assert meta["format"] == "dynatrace-agent/incident-case@1"


async def test_record_without_oauth_notes_what_was_not_recorded(tmp_path: Path) -> None:
    source = load_case(FIXTURE)
    options = SimulatorOptions(oauth_enabled=False)
    async with DynatraceClient(
        simulator_settings(options), transport=simulator_transport(source, options)
    ) as client:
        summary = await record_case(client, source.problem, tmp_path / "c", now=source.now)
    assert "logs" in summary.unavailable
    assert "oauth:none" in load_case(tmp_path / "c").tags


async def test_record_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep me")
    source = load_case(FIXTURE)
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(source)) as client:
        with pytest.raises(ConfigurationError, match="not empty"):
            await record_case(client, source.problem, tmp_path, now=source.now)
    assert (tmp_path / "x").read_text() == "keep me"


def test_parse_before() -> None:
    assert parse_before("90m") == timedelta(minutes=90)
    assert parse_before("2h") == timedelta(hours=2)
    with pytest.raises(ConfigurationError, match="60m"):
        parse_before("soon")
