"""Leases: a job that runs longer than its lease stays with its worker while the worker lives.

The dispatcher renews a running job's lease (every third of it), so another worker, in this
process or another, never claims a job that is still running; only a dead worker's lease runs
out. The lease here is long enough for renewal to happen (renewal is never sooner than
0.05 s) and the run takes several leases.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dynatrace_agent.webhook.dispatch import Dispatcher
from dynatrace_agent.webhook.payloads import body_hash, parse_notification
from dynatrace_agent.webhook.store import AlertStore, QueuePolicy, open_store

LEASE_S = 0.3
RUN_S = 1.0  # more than three leases


class _LongRunner:
    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []

    async def run(self, *, problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
        self.runs.append((problem_ref, alert_id))
        await asyncio.sleep(RUN_S)
        return {"problem": problem_ref}


async def test_a_running_job_is_not_taken_by_another_worker_after_its_lease(tmp_path: Path) -> None:
    store: AlertStore = open_store(str(tmp_path / "q.sqlite3"), policy=QueuePolicy(max_attempts=3))
    await store.open()
    body = {"pid": "LONG-1", "state": "OPEN"}
    outcome = await store.ingest(
        integration="prod",
        environment="prod",
        notification=parse_notification(body),
        body_hash=body_hash(body),
        received_at=1.0,
    )
    runner = _LongRunner()
    first = Dispatcher(store, runner, concurrency=1, poll_interval_s=0.02, lease_s=LEASE_S)
    second = Dispatcher(store, runner, concurrency=1, poll_interval_s=0.02, lease_s=LEASE_S)
    first.start()
    try:
        while not runner.runs:
            await asyncio.sleep(0.01)
        second.start()  # an idle worker polling every 20 ms while the lease is renewed
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:
            alert = await store.get_alert(outcome.alert_id)
            assert alert is not None
            if alert.investigation_status in ("done", "failed"):
                break
            assert loop.time() < deadline, alert.investigation_status
            await asyncio.sleep(0.02)
    finally:
        await first.stop()
        await second.stop()
    assert runner.runs == [("LONG-1", outcome.alert_id)]
    assert (alert.investigation_status, alert.investigation_attempts) == ("done", 1)
    assert alert.report == {"problem": "LONG-1"}
    await store.close()
