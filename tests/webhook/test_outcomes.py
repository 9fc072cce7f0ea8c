"""What an operator sees of a finished investigation: API fields, list page, server log, retries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from dynatrace_agent.settings import Integration
from dynatrace_agent.webhook.dispatch import InProcessRunner
from tests.webhook import fake_graph
from tests.webhook.conftest import SECRET, make_config, notify, running_app
from tests.webhook.test_intake import wait_for


def _runner() -> InProcessRunner:
    return InProcessRunner(fake_graph.FakeInvestigator(), fake_graph.FakeClientFactory())


async def _settled(client: httpx.AsyncClient, alert_id: str) -> dict[str, Any]:
    async def finished() -> bool:
        status = (await client.get(f"/api/alerts/{alert_id}")).json()["investigation_status"]
        return status in ("done", "failed")

    await wait_for(finished)
    listing = (await client.get("/api/alerts")).json()["alerts"]
    found: dict[str, Any] = next(a for a in listing if a["id"] == alert_id)
    return found


async def test_the_list_shows_the_reports_root_cause_and_environment(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # an integration without an environment: the run used the default one, and the API says which
    config = make_config(tmp_path, integrations=(Integration(name="prod", webhook_secret=SecretStr(SECRET)),))
    caplog.set_level(logging.INFO, logger="dynatrace_agent.webhook")
    async with running_app(config, runner=_runner()) as (_, client):
        alert_id = (await notify(client, {"pid": "RANKED-7", "state": "OPEN", "title": "t"})).json()[
            "alert_id"
        ]
        listed = await _settled(client, alert_id)
        assert listed["investigation_status"] == "done" and listed["has_report"] is True
        assert (listed["root_cause"], listed["root_cause_source"]) == ("payment", "investigation")
        assert listed["environment"] == "fake-default"
        assert listed["investigation"]["confidence"] == 0.8
        page = (await client.get("/alerts")).text
        assert "root cause:</span> payment (80%)" in page
    finished = [r.getMessage() for r in caplog.records if "finished in" in r.getMessage()]
    assert finished and "RANKED-7" in finished[0] and "root cause payment" in finished[0]


async def test_dynatraces_own_root_cause_is_kept(tmp_path: Path) -> None:
    async with running_app(make_config(tmp_path), runner=_runner()) as (_, client):
        body = {"pid": "RANKED-8", "state": "OPEN", "rootCauseEntityName": "db-main"}
        alert_id = (await notify(client, body)).json()["alert_id"]
        listed = await _settled(client, alert_id)
        assert (listed["root_cause"], listed["root_cause_source"]) == ("db-main", "dynatrace")
        assert listed["investigation"]["root_cause"] == "payment"
        assert listed["environment"] == "prod"


async def test_an_unknown_problem_fails_once_without_retries(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dynatrace_agent.webhook")
    async with running_app(make_config(tmp_path), runner=_runner()) as (_, client):
        alert_id = (await notify(client, {"pid": "MISSING-1", "state": "OPEN"})).json()["alert_id"]
        listed = await _settled(client, alert_id)
        assert listed["investigation_status"] == "failed"
        assert listed["investigation_attempts"] == 1
        assert "not retried" in listed["investigation_error"]
        assert "NotFoundError" in (await client.get("/alerts")).text
    assert [r["problem"] for r in fake_graph.RUNS] == ["MISSING-1"]
    assert any("failed for good" in r.getMessage() for r in caplog.records)
