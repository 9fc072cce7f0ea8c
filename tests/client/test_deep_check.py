"""``test-connection --deep``: one small query per capability, expected fields missing or empty."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dynatrace_agent.capabilities.probe import deep_check
from dynatrace_agent.case import demo_case_path, load_case
from dynatrace_agent.cli import main
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport

CASE = load_case(demo_case_path())


def test_deep_check_on_the_simulator_finds_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test-connection", "--simulator", "--deep", "--json"]) == 0
    deep = {c["capability"]: c for c in json.loads(capsys.readouterr().out)["deep"]}
    assert set(deep) == {"logs", "traces", "events", "business_events", "user_sessions", "metrics", "slos"}
    for check in deep.values():
        assert check["records"] > 0 and not check["missing"] and not check["empty"] and not check["error"]
    assert main(["test-connection", "--simulator", "--deep"]) == 0
    text = capsys.readouterr().out
    assert "Deep check (expected fields per capability)" in text and "all 9 expected fields present" in text


async def test_deep_check_names_missing_and_empty_fields_without_values() -> None:
    """A tenant whose sessions use classic names and whose logs lack trace ids is told so."""
    sessions = [
        {"start_time": r["start_time"], "userId": "jane", "userExperienceScore": "FRUSTRATED"}
        for r in CASE.tables["user.sessions"][:30]
    ]
    logs = [{**r, "trace_id": None} for r in CASE.tables["logs"]]
    case = dataclasses.replace(
        CASE, tables={**CASE.tables, "user.sessions": sessions, "logs": logs, "bizevents": []}
    )
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(case)) as client:
        checks = {c.capability: c for c in await deep_check(client)}
    assert (
        "frontend.name" in checks["user_sessions"].missing
        and "dt.rum.session.id" in checks["user_sessions"].missing
    )
    assert checks["logs"].empty == ["trace_id"] and not checks["logs"].ok
    assert checks["business_events"].records == 0 and "no bizevents records" in (
        checks["business_events"].note or ""
    )
    assert "jane" not in json.dumps([c.to_dict() for c in checks.values()])  # names and counts only


async def test_deep_check_reports_a_refused_scope() -> None:
    options = SimulatorOptions(oauth_scopes={"storage:buckets:read", "storage:logs:read"})
    async with DynatraceClient(simulator_settings(), transport=simulator_transport(CASE, options)) as client:
        checks = {c.capability: c for c in await deep_check(client)}
    assert checks["logs"].ok and checks["traces"].error and "storage:spans:read" in checks["traces"].error
