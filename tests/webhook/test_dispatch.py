"""Investigation workers: retries with backoff, lease recovery, bounded concurrency, runners."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.webhook.dispatch import Dispatcher, InProcessRunner, RunnerError
from dynatrace_agent.webhook.payloads import body_hash, parse_notification
from dynatrace_agent.webhook.store import AlertStore, QueuePolicy, open_store
from tests.webhook import fake_graph
from tests.webhook.conftest import FakeClient, make_runner


async def _store(tmp_path: Path, **policy: Any) -> AlertStore:
    store = open_store(str(tmp_path / "q.sqlite3"), policy=QueuePolicy(**policy))
    await store.open()
    return store


async def _open_problem(store: AlertStore, pid: str) -> str:
    body = {"pid": pid, "state": "OPEN"}
    outcome = await store.ingest(
        integration="prod",
        environment="prod",
        notification=parse_notification(body),
        body_hash=body_hash(body),
        received_at=1.0,
    )
    return outcome.alert_id


async def _settle(store: AlertStore, alert_ids: list[str], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        alerts = [await store.get_alert(a) for a in alert_ids]
        if all(a is not None and a.investigation_status in ("done", "failed") for a in alerts):
            return
        assert loop.time() < deadline, [a.investigation_status for a in alerts if a]
        await asyncio.sleep(0.02)


async def test_retries_with_backoff_then_done_or_failed(tmp_path: Path) -> None:
    store = await _store(tmp_path, max_attempts=3)
    finished: list[tuple[str, str]] = []
    dispatcher = Dispatcher(
        store,
        make_runner(),
        concurrency=2,
        poll_interval_s=0.02,
        backoff_base_s=0.05,
        backoff_max_s=0.1,
        on_finished=lambda job, outcome: finished.append((job.problem_ref, outcome)),
    )
    ids = [await _open_problem(store, p) for p in ("OK-1", "FLAKY-1", "FAIL-1")]
    dispatcher.start()
    try:
        await _settle(store, ids)
    finally:
        await dispatcher.stop()
    ok, flaky, fail = [await store.get_alert(a) for a in ids]
    assert ok is not None and flaky is not None and fail is not None
    assert (ok.investigation_status, ok.investigation_attempts) == ("done", 1)
    assert (flaky.investigation_status, flaky.investigation_attempts) == ("done", 2)
    assert flaky.report is not None and flaky.report["problem"] == "FLAKY-1"
    assert (fail.investigation_status, fail.investigation_attempts) == ("failed", 3)
    assert fail.investigation_error is not None and "cannot investigate FAIL-1" in fail.investigation_error
    assert ("FLAKY-1", "retry") in finished and ("FAIL-1", "failed") in finished
    assert sum(r["problem"] == "FAIL-1" for r in fake_graph.RUNS) == 3
    assert FakeClient.closed >= 6
    await store.close()


async def test_a_crashed_workers_job_is_run_again_after_its_lease(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    alert_id = await _open_problem(store, "OK-2")
    # a worker of a process that died: claimed, never renewed, never finished
    assert await store.claim(worker="dead", now=time.time(), lease_s=0.2) is not None
    dispatcher = Dispatcher(store, make_runner(), concurrency=1, poll_interval_s=0.05, lease_s=5)
    dispatcher.start()
    try:
        await _settle(store, [alert_id])
    finally:
        await dispatcher.stop()
    alert = await store.get_alert(alert_id)
    # the crash is not the investigation's failure: it used no attempt, it is counted as a crash
    assert alert is not None
    assert (alert.investigation_status, alert.investigation_attempts, alert.investigation_crashes) == (
        "done",
        1,
        1,
    )
    await store.close()


class _SlowRunner:
    def __init__(self) -> None:
        self.active = 0
        self.peak = 0

    async def run(self, *, problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.05)
        self.active -= 1
        return {"problem": problem_ref}


async def test_concurrency_is_bounded(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    runner = _SlowRunner()
    ids = [await _open_problem(store, f"P-{i}") for i in range(6)]
    # (lease renewal is proven in test_lease_contract.py: renewal is never sooner than 0.05 s)
    dispatcher = Dispatcher(store, runner, concurrency=2, poll_interval_s=0.01, lease_s=0.03)
    dispatcher.start()
    try:
        await _settle(store, ids)
    finally:
        await dispatcher.stop()
    assert runner.peak == 2
    alerts = [await store.get_alert(a) for a in ids]
    assert all(a is not None and a.investigation_status == "done" for a in alerts)
    await store.close()


async def test_run_timeout_counts_as_a_failed_attempt(tmp_path: Path) -> None:
    store = await _store(tmp_path, max_attempts=1)
    alert_id = await _open_problem(store, "P-slow")
    dispatcher = Dispatcher(store, _SlowRunner(), concurrency=1, poll_interval_s=0.01, run_timeout_s=0.01)
    dispatcher.start()
    try:
        await _settle(store, [alert_id])
    finally:
        await dispatcher.stop()
    alert = await store.get_alert(alert_id)
    assert alert is not None and alert.investigation_status == "failed"
    assert alert.investigation_error == "timed out after 0 s"
    await store.close()


class _NoReport(fake_graph.FakeInvestigator):
    async def run(self, problem: str, **kwargs: Any) -> Any:
        return None


async def test_in_process_runner_needs_a_report() -> None:
    runner = InProcessRunner(_NoReport(), lambda env: FakeClient())
    with pytest.raises(RunnerError, match="without a report"):
        await runner.run(problem_ref="P-1", environment="prod", alert_id="a")


async def test_a_stopping_service_hands_its_running_job_back_without_using_anything(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    alert_id = await _open_problem(store, "SLOW-1")
    dispatcher = Dispatcher(store, make_runner(), concurrency=1, poll_interval_s=0.02, lease_s=30)
    dispatcher.start()
    try:
        deadline = asyncio.get_running_loop().time() + 5
        while dispatcher.running == 0:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
    finally:
        await dispatcher.stop()
    alert = await store.get_alert(alert_id)
    assert alert is not None
    assert (alert.investigation_status, alert.investigation_attempts, alert.investigation_crashes) == (
        "queued",
        0,
        0,
    )
    # claimable at once by the next instance, not only after the 30 s lease
    job = await store.claim(worker="next", now=time.time(), lease_s=5)
    assert job is not None and job.attempts == 1
    await store.close()


async def test_a_lost_lease_is_logged_and_the_run_still_may_finish(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await _store(tmp_path)
    alert_id = await _open_problem(store, "SLOW-2")
    dispatcher = Dispatcher(store, make_runner(), concurrency=1, poll_interval_s=0.02, lease_s=0.3)
    job = await store.claim(worker="mine", now=time.time(), lease_s=0.3)
    assert job is not None
    await store.claim(worker="thief", now=time.time() + 1, lease_s=60)  # took it over
    with caplog.at_level("WARNING", logger="dynatrace_agent.webhook"):
        assert await dispatcher.run_job(job, "mine") == "done"
    assert any("was taken over" in r.getMessage() for r in caplog.records)
    alert = await store.get_alert(alert_id)
    assert alert is not None and alert.investigation_status == "done" and alert.report is not None
    await store.close()
