"""Investigations in worker processes: results, errors, a killed worker, and a flat intake."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.webhook.dispatch import RunnerError
from dynatrace_agent.webhook.process_runner import ProcessPoolRunner, RunnerSpec
from tests.webhook.conftest import make_config, notify, running_app
from tests.webhook.fake_graph import FakeClientFactory, FakeInvestigator
from tests.webhook.test_intake import wait_for

SPEC = RunnerSpec(FakeInvestigator(), FakeClientFactory())


async def test_runs_in_another_process_and_errors_come_back_clear() -> None:
    runner = ProcessPoolRunner(SPEC, processes=1)
    try:
        report = await runner.run(problem_ref="P-1", environment="prod", alert_id="a")
        assert report["problem"] == "P-1" and report["environment"] == "prod"
        assert report["pid"] != os.getpid()
        with pytest.raises(RunnerError, match="RuntimeError: cannot investigate FAIL-1") as failed:
            await runner.run(problem_ref="FAIL-1", environment="", alert_id="b")
        assert failed.value.permanent is False
        with pytest.raises(RunnerError, match="NotFoundError") as missing:
            await runner.run(problem_ref="MISSING-1", environment="", alert_id="c")
        assert missing.value.permanent is True
        with pytest.raises(RunnerError, match="worker process stopped"):
            await runner.run(problem_ref="DIE-1", environment="", alert_id="d")
        again = await runner.run(problem_ref="P-2", environment="", alert_id="e")  # a fresh pool
        assert again["problem"] == "P-2"
        assert runner.default_environment() == "fake-default"
    finally:
        await runner.aclose()


async def test_the_service_investigates_through_worker_processes(tmp_path: Path) -> None:
    runner = ProcessPoolRunner(SPEC, processes=1)
    async with running_app(make_config(tmp_path), runner=runner) as (_, client):
        body: dict[str, Any] = {"pid": "RANKED-1", "state": "OPEN", "title": "x"}
        alert_id = (await notify(client, body)).json()["alert_id"]

        async def done() -> bool:
            return bool(
                (await client.get(f"/api/alerts/{alert_id}")).json()["investigation_status"] == "done"
            )

        await wait_for(done, timeout=60)
        detail = (await client.get(f"/api/alerts/{alert_id}")).json()
        assert detail["report"]["pid"] != os.getpid()
        assert detail["root_cause"] == "payment" and detail["root_cause_source"] == "investigation"
