"""The store's state machine and queue, identical on SQLite and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.webhook.payloads import body_hash, parse_notification
from dynatrace_agent.webhook.store import AlertStore, QueuePolicy, open_store


def _fresh_database(url: str) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    return _fresh_database(request.getfixturevalue("postgres_url"))


async def _open(database: str, **policy: Any) -> AlertStore:
    store = open_store(database, policy=QueuePolicy(**policy))
    await store.open()
    return store


@pytest.fixture
async def store(database: str) -> AsyncIterator[AlertStore]:
    s = await _open(database)
    yield s
    await s.close()


async def ingest(
    store: AlertStore, body: dict[str, Any], *, at: float = 1000.0, integration: str = "prod"
) -> Any:
    n = parse_notification(body)
    return await store.ingest(
        integration=integration, environment="prod", notification=n, body_hash=body_hash(body), received_at=at
    )


OPEN = {"pid": "-1_1V2", "problemId": "P-1", "state": "OPEN", "title": "t", "impactedEntityNames": "a"}


async def test_state_machine_and_history(store: AlertStore) -> None:
    created = await ingest(store, OPEN)
    assert (created.result, created.enqueued) == ("created", True)
    assert (await ingest(store, OPEN, at=1001)).result == "duplicate"
    updated = await ingest(store, {**OPEN, "impactedEntityNames": "b", "severity": "error"}, at=1002)
    assert (updated.result, updated.enqueued) == ("updated", False)
    resolved = await ingest(store, {**OPEN, "state": "RESOLVED"}, at=1003)
    assert resolved.result == "updated"
    reopened = await ingest(store, {**OPEN, "state": "OPEN", "title": "again"}, at=1004)
    assert (reopened.result, reopened.enqueued) == ("updated", True)  # cancelled run is queued again
    alert = await store.get_alert(created.alert_id)
    assert alert is not None
    assert (alert.state, alert.title, alert.severity, alert.reopen_count) == ("OPEN", "again", "ERROR", 1)
    assert (alert.first_seen, alert.last_seen, alert.resolved_at) == (1000.0, 1004.0, None)
    assert [e["name"] for e in alert.entities] == ["a", "b"]
    assert [n.state for n in alert.notifications] == ["OPEN", "OPEN", "RESOLVED", "OPEN"]
    assert (alert.notification_count, alert.duplicate_count) == (4, 1)
    assert alert.investigation_status == "queued"
    stats = await store.stats()
    assert (stats["alerts"], stats["notifications"], stats["investigations_queued"]) == (1, 4, 1)


async def test_queue_claim_lease_retry_and_report(store: AlertStore) -> None:
    a = await ingest(store, OPEN)
    b = await ingest(store, {**OPEN, "pid": "-2_2V2", "problemId": "P-2"}, at=1001)
    assert await store.claim(worker="w", now=999.0, lease_s=10) is None  # not due yet
    job = await store.claim(worker="w1", now=1005.0, lease_s=10)
    assert job is not None and (job.alert_id, job.attempts, job.problem_ref) == (a.alert_id, 1, "-1_1V2")
    job2 = await store.claim(worker="w2", now=1005.0, lease_s=10)
    assert job2 is not None and job2.alert_id == b.alert_id
    assert await store.claim(worker="w3", now=1006.0, lease_s=10) is None
    # w1 keeps its lease alive; w2 dies and its job is claimed again after expiry
    assert await store.renew(alert_id=a.alert_id, worker="w1", now=1012.0, lease_s=10)
    stolen = await store.claim(worker="w3", now=1016.0, lease_s=10)
    # w2's death is not the investigation's failure: no attempt used, one crash counted
    assert stolen is not None and (stolen.alert_id, stolen.attempts, stolen.crashes) == (b.alert_id, 1, 1)
    assert not await store.fail(alert_id=b.alert_id, worker="w2", now=1017.0, error="x", retry_at=None)
    assert await store.fail(alert_id=b.alert_id, worker="w3", now=1017.0, error="boom", retry_at=1030.0)
    assert await store.claim(worker="w3", now=1020.0, lease_s=10) is None  # backoff
    assert await store.complete(alert_id=a.alert_id, worker="w1", now=1018.0, report={"summary": "db"})
    retried = await store.claim(worker="w4", now=1031.0, lease_s=10)
    assert retried is not None and retried.attempts == 2
    assert await store.fail(alert_id=b.alert_id, worker="w4", now=1032.0, error="boom again", retry_at=None)
    done = await store.get_alert(a.alert_id)
    failed = await store.get_alert(b.alert_id)
    assert done is not None and failed is not None
    assert (done.investigation_status, done.report, done.report_at) == ("done", {"summary": "db"}, 1018.0)
    assert (failed.investigation_status, failed.investigation_error, failed.investigation_attempts) == (
        "failed",
        "boom again",
        2,
    )
    assert await store.claim(worker="w5", now=5000.0, lease_s=10) is None


async def test_a_job_whose_workers_keep_dying_fails_after_max_crashes(database: str) -> None:
    store = await _open(database, max_attempts=1, max_crashes=1)
    try:
        a = await ingest(store, OPEN)
        assert await store.claim(worker="w1", now=1000.0, lease_s=5) is not None
        again = await store.claim(worker="w2", now=1010.0, lease_s=5)  # one crash is forgiven
        assert again is not None and (again.attempts, again.crashes) == (1, 1)
        assert await store.claim(worker="w3", now=1020.0, lease_s=5) is None
        alert = await store.get_alert(a.alert_id)
        assert alert is not None and alert.investigation_status == "failed"
        assert alert.investigation_error is not None and "stopped 2 times" in alert.investigation_error
        assert alert.investigation_attempts == 0
    finally:
        await store.close()


async def test_the_first_finished_report_wins_and_later_writes_change_nothing(database: str) -> None:
    store = await _open(database)
    try:
        a = await ingest(store, OPEN)
        assert await store.claim(worker="slow", now=1000.0, lease_s=5) is not None
        # "slow" paused past its lease; "fast" took the job over
        assert await store.claim(worker="fast", now=1010.0, lease_s=5) is not None
        assert await store.complete(alert_id=a.alert_id, worker="slow", now=1011.0, report={"by": "slow"})
        assert not await store.complete(alert_id=a.alert_id, worker="fast", now=1012.0, report={"by": "fast"})
        again = {"by": "again"}
        assert not await store.complete(alert_id=a.alert_id, worker="slow", now=1013.0, report=again)
        alert = await store.get_alert(a.alert_id)
        assert alert is not None
        assert (alert.investigation_status, alert.report, alert.report_at) == ("done", {"by": "slow"}, 1011.0)
        assert alert.investigation_attempts == 1
    finally:
        await store.close()


async def test_state_survives_reopening_the_store(database: str) -> None:
    store = await _open(database)
    created = await ingest(store, OPEN)
    await store.close()
    again = await _open(database)
    try:
        assert (await ingest(again, OPEN)).result == "duplicate"
        job = await again.claim(worker="w", now=2000.0, lease_s=5)
        assert job is not None and job.alert_id == created.alert_id
    finally:
        await again.close()


async def test_concurrent_notifications_make_one_alert_and_one_job(database: str) -> None:
    stores = [await _open(database) for _ in range(2)]  # two service instances
    try:
        bodies = [{**OPEN, "title": f"t{i}"} for i in range(20)] + [OPEN] * 5
        results = await asyncio.gather(
            *(ingest(stores[i % 2], body, at=1000.0 + i) for i, body in enumerate(bodies))
        )
        assert len({r.alert_id for r in results}) == 1
        assert sum(r.result == "created" for r in results) == 1
        assert sum(r.enqueued for r in results) == 1
        assert sum(r.result == "duplicate" for r in results) == 4
        claims = await asyncio.gather(
            *(s.claim(worker=f"w{i}", now=5000.0, lease_s=30) for i, s in enumerate(stores))
        )
        assert sum(c is not None for c in claims) == 1
        alert = await stores[0].get_alert(results[0].alert_id)
        assert alert is not None and len(alert.notifications) == 21
    finally:
        for s in stores:
            await s.close()


async def test_a_database_made_by_the_previous_version_is_migrated(tmp_path: Path) -> None:
    import re
    import sqlite3

    from dynatrace_agent.webhook.store_sql import SCHEMA_SQLITE

    old = re.sub(r",\s*notes TEXT NOT NULL DEFAULT '\[\]',\s*report_summary TEXT", "", SCHEMA_SQLITE)
    old = re.sub(r",\s*crashes INTEGER NOT NULL DEFAULT 0", "", old)
    old = re.sub(
        r"CREATE TABLE IF NOT EXISTS sessions.*?;\s*CREATE INDEX IF NOT EXISTS sessions_expiry[^;]*;",
        "",
        old,
        flags=re.S,
    )
    assert "notes" not in old and "crashes" not in old and "sessions" not in old
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(old)
    store = await _open(str(path))
    try:
        a = await ingest(store, {**OPEN, "url": "javascript:x"})
        job = await store.claim(worker="w", now=2000.0, lease_s=5)
        assert job is not None
        assert await store.complete(alert_id=a.alert_id, worker="w", now=2001.0, report={}, summary={"x": 1})
        await store.create_session(id_hash="h", now=2001.0, expires_at=3000.0)
        assert await store.session_valid(id_hash="h", now=2002.0)
        alert = await store.get_alert(a.alert_id)
        assert alert is not None and alert.notes and alert.report_summary == {"x": 1}
    finally:
        await store.close()


async def test_sessions_and_release_on_both_stores(store: AlertStore) -> None:
    await store.create_session(id_hash="a" * 64, now=100.0, expires_at=200.0)
    await store.create_session(id_hash="b" * 64, now=100.0, expires_at=150.0)
    assert await store.session_valid(id_hash="a" * 64, now=160.0)
    assert not await store.session_valid(id_hash="b" * 64, now=160.0)  # expired
    assert not await store.session_valid(id_hash="c" * 64, now=160.0)  # never existed
    await store.delete_session(id_hash="a" * 64)
    assert not await store.session_valid(id_hash="a" * 64, now=160.0)  # revoked

    a = await ingest(store, OPEN)
    job = await store.claim(worker="w1", now=1000.0, lease_s=60)
    assert job is not None
    assert not await store.release(alert_id=a.alert_id, worker="other", now=1001.0)
    assert await store.release(alert_id=a.alert_id, worker="w1", now=1001.0)
    again = await store.claim(worker="w2", now=1001.0, lease_s=60)
    assert again is not None and (again.attempts, again.crashes) == (1, 0)
