"""The alert store's promises, one per test: what is kept, what a later notification changes,
and how the investigation queue hands out, extends, retries and finishes jobs.

The alerts page, the API and the dispatcher read these values back; a store that forgets a
field, counts a redelivery as news, keeps a lease one second too long or loses the error of a
failed run shows operators the wrong thing without any test of the happy path noticing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.webhook.payloads import body_hash, parse_notification
from dynatrace_agent.webhook.store import AlertStore, QueuePolicy, open_store

FULL = {
    "pid": "-1_1V2",
    "problemId": "P-1",
    "state": "OPEN",
    "title": "Slow checkout",
    "severity": "performance",
    "impact": "service",
    "url": "https://abc.live.dynatrace.com/#problems/1",
    "tags": ["env:prod", "team:web"],
    "ImpactedEntities": [{"entity": "SERVICE-00000000000000A1", "name": "checkout", "type": "SERVICE"}],
    "rootCause": "db-1",
    "startTime": 1718000000000,
}


async def _open(path: Path, **policy: Any) -> AlertStore:
    store = open_store(str(path), policy=QueuePolicy(**policy))
    await store.open()
    return store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[AlertStore]:
    s = await _open(tmp_path / "store.sqlite3")
    yield s
    await s.close()


async def ingest(
    store: AlertStore, body: dict[str, Any], *, at: float = 1000.0, integration: str = "prod"
) -> Any:
    return await store.ingest(
        integration=integration,
        environment="env-a",
        notification=parse_notification(body),
        body_hash=body_hash(body),
        received_at=at,
    )


async def alert_of(store: AlertStore, alert_id: str) -> Any:
    alert = await store.get_alert(alert_id)
    assert alert is not None
    return alert


# --- what the first notification stores ----------------------------------------------------------


async def test_the_first_notification_stores_every_field(store: AlertStore) -> None:
    out = await ingest(store, FULL, at=1000.5)
    assert (out.result, out.enqueued) == ("created", True)
    a = await alert_of(store, out.alert_id)
    assert (a.id, a.integration, a.environment) == (out.alert_id, "prod", "env-a")
    assert (a.problem_ref, a.problem_id, a.display_id, a.state) == ("-1_1V2", "-1_1V2", "P-1", "OPEN")
    assert (a.title, a.severity, a.impact, a.root_cause) == (
        "Slow checkout",
        "PERFORMANCE",
        "SERVICE",
        "db-1",
    )
    assert a.url == "https://abc.live.dynatrace.com/#problems/1"
    assert a.tags == ["env:prod", "team:web"]
    assert a.entities == [{"id": "SERVICE-00000000000000A1", "name": "checkout", "type": "SERVICE"}]
    assert (a.first_seen, a.last_seen, a.resolved_at, a.problem_start_ms) == (
        1000.5,
        1000.5,
        None,
        1718000000000,
    )
    assert (a.notification_count, a.duplicate_count, a.reopen_count) == (1, 0, 0)
    assert (a.investigation_status, a.investigation_attempts, a.investigation_error) == ("queued", 0, None)
    assert (a.investigation_crashes, a.report, a.report_at, a.report_summary, a.notes) == (
        0,
        None,
        None,
        None,
        [],
    )
    [record] = a.notifications
    assert (record.received_at, record.state, record.raw_state) == (1000.5, "OPEN", "OPEN")
    assert (record.body_hash, record.body) == (body_hash(FULL), FULL)


async def test_the_queued_job_carries_what_the_investigation_needs(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.sqlite3", max_attempts=5)
    try:
        out = await ingest(store, FULL)
        job = await store.claim(worker="w", now=1000.0, lease_s=30)
        assert job is not None
        assert (job.alert_id, job.integration, job.environment) == (out.alert_id, "prod", "env-a")
        assert (job.problem_ref, job.attempts, job.max_attempts, job.crashes) == ("-1_1V2", 1, 5, 0)
    finally:
        await store.close()


async def test_a_problem_known_only_by_display_id_is_investigated_by_it(store: AlertStore) -> None:
    out = await ingest(store, {"problemId": "P-42", "state": "OPEN"})
    job = await store.claim(worker="w", now=1000.0, lease_s=30)
    assert job is not None and job.problem_ref == "P-42"
    a = await alert_of(store, out.alert_id)
    assert (a.problem_ref, a.problem_id, a.display_id) == ("P-42", None, "P-42")


async def test_a_dropped_url_leaves_its_note(store: AlertStore) -> None:
    out = await ingest(store, {**FULL, "url": "javascript:x"})
    a = await alert_of(store, out.alert_id)
    assert a.url is None
    assert len(a.notes) == 1 and "dropped" in a.notes[0]


async def test_integrations_keep_separate_alerts_for_one_problem(store: AlertStore) -> None:
    a = await ingest(store, FULL, integration="prod")
    b = await ingest(store, FULL, integration="staging")
    assert a.alert_id != b.alert_id
    assert (a.result, b.result) == ("created", "created")


# --- later notifications --------------------------------------------------------------------------


async def test_a_redelivery_is_counted_and_changes_nothing_else(store: AlertStore) -> None:
    out = await ingest(store, FULL, at=1000.0)
    again = await ingest(store, FULL, at=1005.0)
    assert (again.alert_id, again.result, again.enqueued) == (out.alert_id, "duplicate", False)
    await ingest(store, FULL, at=1006.0)
    a = await alert_of(store, out.alert_id)
    assert (a.duplicate_count, a.notification_count, a.last_seen) == (2, 1, 1000.0)
    assert len(a.notifications) == 1


async def test_missing_fields_in_an_update_keep_the_stored_values(store: AlertStore) -> None:
    out = await ingest(store, FULL, at=1000.0)
    update = {"pid": "-1_1V2", "state": "OPEN", "startTime": 1718000099000}
    assert (await ingest(store, update, at=1010.0)).result == "updated"
    a = await alert_of(store, out.alert_id)
    assert (a.title, a.severity, a.impact, a.url, a.root_cause) == (
        "Slow checkout",
        "PERFORMANCE",
        "SERVICE",
        "https://abc.live.dynatrace.com/#problems/1",
        "db-1",
    )
    assert a.problem_start_ms == 1718000000000  # the first start is the problem's start
    assert (a.first_seen, a.last_seen, a.notification_count) == (1000.0, 1010.0, 2)
    assert a.display_id == "P-1"


async def test_new_values_in_an_update_replace_the_stored_ones(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    changed = {
        **FULL,
        "title": "Checkout down",
        "severity": "availability",
        "impact": "application",
        "url": "https://abc.live.dynatrace.com/#problems/2",
        "rootCause": "db-2",
    }
    await ingest(store, changed, at=1001.0)
    a = await alert_of(store, out.alert_id)
    assert (a.title, a.severity, a.impact, a.url, a.root_cause) == (
        "Checkout down",
        "AVAILABILITY",
        "APPLICATION",
        "https://abc.live.dynatrace.com/#problems/2",
        "db-2",
    )


async def test_ids_missing_at_first_are_filled_in_later(store: AlertStore) -> None:
    first = await ingest(store, {"pid": "-9_9V2", "state": "OPEN"})
    await ingest(
        store, {"pid": "-9_9V2", "displayId": "P-9", "state": "OPEN", "startTime": 1718000000000}, at=1001
    )
    a = await alert_of(store, first.alert_id)
    assert (a.display_id, a.problem_start_ms) == ("P-9", 1718000000000)


async def test_tags_and_entities_accumulate_in_order_without_repeats(store: AlertStore) -> None:
    out = await ingest(store, {**FULL, "tags": ["a", "b"], "ImpactedEntityNames": "x"})
    await ingest(
        store, {**FULL, "tags": ["b", "c"], "ImpactedEntities": None, "ImpactedEntityNames": "x, y"}, at=1001
    )
    a = await alert_of(store, out.alert_id)
    assert a.tags == ["a", "b", "c"]
    assert a.entities == [
        {"id": "SERVICE-00000000000000A1", "name": "checkout", "type": "SERVICE"},
        {"id": None, "name": "x", "type": None},
        {"id": None, "name": "y", "type": None},
    ]


async def test_accumulated_tags_are_bounded_to_200(store: AlertStore) -> None:
    out = await ingest(store, {**FULL, "tags": [f"a{i}" for i in range(150)]})
    await ingest(store, {**FULL, "tags": [f"b{i}" for i in range(150)]}, at=1001)
    a = await alert_of(store, out.alert_id)
    assert len(a.tags) == 200
    assert a.tags[:150] == [f"a{i}" for i in range(150)]
    assert a.tags[150:] == [f"b{i}" for i in range(50)]


async def test_notes_keep_the_latest_twenty(store: AlertStore) -> None:
    out = await ingest(store, {**FULL, "url": "javascript:0"})
    for i in range(1, 25):
        await ingest(store, {**FULL, "url": f"javascript:{i}"}, at=1000.0 + i)
    a = await alert_of(store, out.alert_id)
    assert len(a.notes) == 20
    assert "'javascript:24'" in a.notes[-1]
    assert "'javascript:5'" in a.notes[0]


async def test_resolved_closes_the_alert_and_cancels_a_queued_run(store: AlertStore) -> None:
    out = await ingest(store, FULL, at=1000.0)
    resolved = await ingest(store, {**FULL, "state": "RESOLVED"}, at=1010.0)
    assert (resolved.result, resolved.enqueued) == ("updated", False)
    a = await alert_of(store, out.alert_id)
    assert (a.state, a.resolved_at, a.last_seen) == ("RESOLVED", 1010.0, 1010.0)
    assert a.investigation_status == "cancelled"
    assert a.investigation_error == "problem resolved before the investigation started"
    assert await store.claim(worker="w", now=2000.0, lease_s=30) is None
    assert (await store.stats())["investigations_cancelled"] == 1


async def test_resolved_does_not_cancel_a_running_investigation(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    assert await store.claim(worker="w", now=1000.0, lease_s=30) is not None
    await ingest(store, {**FULL, "state": "RESOLVED"}, at=1005.0)
    a = await alert_of(store, out.alert_id)
    assert (a.state, a.investigation_status) == ("RESOLVED", "running")


async def test_without_cancel_on_resolve_the_queued_run_stays(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.sqlite3", cancel_on_resolve=False)
    try:
        out = await ingest(store, FULL)
        await ingest(store, {**FULL, "state": "RESOLVED"}, at=1005.0)
        a = await alert_of(store, out.alert_id)
        assert (a.state, a.investigation_status) == ("RESOLVED", "queued")
    finally:
        await store.close()


async def test_reopening_counts_clears_resolved_at_and_requeues(store: AlertStore) -> None:
    out = await ingest(store, FULL, at=1000.0)
    await ingest(store, {**FULL, "state": "RESOLVED"}, at=1010.0)
    reopened = await ingest(store, {**FULL, "state": "OPEN", "title": "again"}, at=1020.0)
    assert (reopened.result, reopened.enqueued) == ("updated", True)
    a = await alert_of(store, out.alert_id)
    assert (a.state, a.resolved_at, a.reopen_count, a.investigation_status) == ("OPEN", None, 1, "queued")
    assert a.investigation_error is None
    job = await store.claim(worker="w", now=1020.0, lease_s=30)
    assert job is not None and job.alert_id == out.alert_id
    await ingest(store, {**FULL, "state": "RESOLVED", "title": "x"}, at=1030.0)
    await ingest(store, {**FULL, "state": "OPEN", "title": "y"}, at=1040.0)
    assert (await alert_of(store, out.alert_id)).reopen_count == 2


async def test_reopening_after_a_finished_run_does_not_run_it_again(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    await store.claim(worker="w", now=1000.0, lease_s=30)
    assert await store.complete(alert_id=out.alert_id, worker="w", now=1001.0, report={"r": 1})
    await ingest(store, {**FULL, "state": "RESOLVED"}, at=1010.0)
    reopened = await ingest(store, {**FULL, "state": "OPEN", "title": "again"}, at=1020.0)
    assert reopened.enqueued is False
    assert (await alert_of(store, out.alert_id)).investigation_status == "done"


async def test_a_problem_first_seen_resolved_is_not_investigated_by_a_late_open(store: AlertStore) -> None:
    first = await ingest(store, {**FULL, "state": "RESOLVED"}, at=1000.0)
    assert (first.result, first.enqueued) == ("created", False)
    late = await ingest(store, FULL, at=1001.0)
    assert (late.result, late.enqueued) == ("updated", False)
    a = await alert_of(store, first.alert_id)
    assert (a.state, a.resolved_at, a.reopen_count, a.investigation_status) == ("RESOLVED", 1000.0, 0, None)
    # having never been open, a second RESOLVED then OPEN is still not a re-open
    await ingest(store, {**FULL, "state": "OPEN", "title": "late again"}, at=1002.0)
    assert (await alert_of(store, first.alert_id)).state == "RESOLVED"


async def test_a_late_open_is_investigated_when_resolving_does_not_cancel(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.sqlite3", cancel_on_resolve=False)
    try:
        first = await ingest(store, {**FULL, "state": "RESOLVED"})
        late = await ingest(store, FULL, at=1001.0)
        assert late.enqueued is True
        a = await alert_of(store, first.alert_id)
        assert (a.state, a.reopen_count, a.investigation_status) == ("RESOLVED", 0, "queued")
        job = await store.claim(worker="w", now=1001.0, lease_s=30)
        assert job is not None and (job.environment, job.problem_ref) == ("env-a", "-1_1V2")
    finally:
        await store.close()


async def test_repeated_opens_queue_only_one_run(store: AlertStore) -> None:
    await ingest(store, FULL)
    second = await ingest(store, {**FULL, "title": "t2"}, at=1001.0)
    assert second.enqueued is False
    assert (await store.stats())["investigations_queued"] == 1


# --- the queue ------------------------------------------------------------------------------------


async def test_jobs_are_claimed_oldest_due_first_and_only_when_due(store: AlertStore) -> None:
    late = await ingest(store, {**FULL, "pid": "-2_2V2"}, at=1002.0)
    early = await ingest(store, {**FULL, "pid": "-3_3V2"}, at=1001.0)
    assert await store.claim(worker="w", now=1000.9, lease_s=30) is None
    first = await store.claim(worker="w", now=1001.0, lease_s=30)  # due at exactly its time
    assert first is not None and first.alert_id == early.alert_id
    assert await store.claim(worker="w", now=1001.5, lease_s=30) is None
    second = await store.claim(worker="w", now=1002.0, lease_s=30)
    assert second is not None and second.alert_id == late.alert_id


async def test_a_lease_is_held_until_it_has_passed(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    assert await store.claim(worker="a", now=1000.0, lease_s=10) is not None
    assert await store.claim(worker="b", now=1010.0, lease_s=10) is None  # expires at 1010, not before
    taken = await store.claim(worker="b", now=1010.5, lease_s=10)
    assert taken is not None and (taken.alert_id, taken.attempts, taken.crashes) == (out.alert_id, 1, 1)
    a = await alert_of(store, out.alert_id)
    assert (a.investigation_status, a.investigation_crashes) == ("running", 1)


async def test_renewing_extends_the_lease_from_now_for_its_owner_only(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    await store.claim(worker="a", now=1000.0, lease_s=10)
    assert not await store.renew(alert_id=out.alert_id, worker="b", now=1005.0, lease_s=10)
    assert await store.renew(alert_id=out.alert_id, worker="a", now=1008.0, lease_s=10)
    assert await store.claim(worker="b", now=1017.9, lease_s=10) is None
    assert await store.claim(worker="b", now=1018.1, lease_s=10) is not None
    assert not await store.renew(alert_id=out.alert_id, worker="a", now=1019.0, lease_s=10)


async def test_a_finished_job_cannot_be_renewed(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    await store.claim(worker="a", now=1000.0, lease_s=10)
    assert await store.complete(alert_id=out.alert_id, worker="a", now=1001.0, report={})
    assert not await store.renew(alert_id=out.alert_id, worker="a", now=1002.0, lease_s=10)
    assert not await store.renew(alert_id="no-such-alert", worker="a", now=1002.0, lease_s=10)


async def test_crashes_up_to_the_limit_are_forgiven_then_the_job_fails_saying_why(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.sqlite3", max_crashes=2)
    try:
        out = await ingest(store, FULL)
        now = 1000.0
        assert await store.claim(worker="w0", now=now, lease_s=1) is not None
        for crash in (1, 2):
            now += 5
            job = await store.claim(worker=f"w{crash}", now=now, lease_s=1)
            assert job is not None and (job.crashes, job.attempts) == (crash, 1)
        assert await store.claim(worker="w3", now=now + 5, lease_s=1) is None
        a = await alert_of(store, out.alert_id)
        assert (a.investigation_status, a.investigation_crashes, a.investigation_attempts) == ("failed", 3, 0)
        assert a.investigation_error == (
            "the worker running it stopped 3 times before finishing (killed or crashed); not started again"
        )
    finally:
        await store.close()


async def test_a_job_failed_for_crashing_lets_the_next_job_be_claimed(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.sqlite3", max_crashes=0)
    try:
        crashing = await ingest(store, FULL, at=1000.0)
        other = await ingest(store, {**FULL, "pid": "-2_2V2"}, at=1001.0)
        first = await store.claim(worker="a", now=1001.0, lease_s=1)
        assert first is not None and first.alert_id == crashing.alert_id
        job = await store.claim(worker="b", now=1005.0, lease_s=1)
        assert job is not None and job.alert_id == other.alert_id
        assert (await alert_of(store, crashing.alert_id)).investigation_status == "failed"
    finally:
        await store.close()


async def test_completing_stores_report_and_summary_once(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    await store.claim(worker="w", now=1000.0, lease_s=10)
    assert await store.fail(alert_id=out.alert_id, worker="w", now=1001.0, error="e", retry_at=1002.0)
    await store.claim(worker="w", now=1002.0, lease_s=10)
    assert await store.complete(
        alert_id=out.alert_id, worker="w", now=1003.0, report={"k": "v"}, summary={"category": "db"}
    )
    a = await alert_of(store, out.alert_id)
    assert (a.report, a.report_at, a.report_summary) == ({"k": "v"}, 1003.0, {"category": "db"})
    assert (a.investigation_status, a.investigation_attempts, a.investigation_error) == ("done", 2, None)
    assert (await store.stats())["investigations_done"] == 1


async def test_an_empty_summary_is_no_summary(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    await store.claim(worker="w", now=1000.0, lease_s=10)
    assert await store.complete(alert_id=out.alert_id, worker="w", now=1001.0, report={"r": 1}, summary={})
    assert (await alert_of(store, out.alert_id)).report_summary is None


async def test_a_queued_job_can_be_completed_but_a_failed_one_cannot(store: AlertStore) -> None:
    queued = await ingest(store, FULL)
    assert await store.complete(alert_id=queued.alert_id, worker="any", now=1001.0, report={"r": 1})
    failed = await ingest(store, {**FULL, "pid": "-2_2V2"})
    await store.claim(worker="w", now=1001.0, lease_s=10)
    assert await store.fail(alert_id=failed.alert_id, worker="w", now=1002.0, error="no", retry_at=None)
    assert not await store.complete(alert_id=failed.alert_id, worker="w", now=1003.0, report={"r": 2})
    assert (await alert_of(store, failed.alert_id)).report is None


async def test_a_failed_attempt_is_retried_at_its_time_or_fails_for_good(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    await store.claim(worker="w", now=1000.0, lease_s=10)
    assert await store.fail(alert_id=out.alert_id, worker="w", now=1001.0, error="x" * 3000, retry_at=1050.0)
    a = await alert_of(store, out.alert_id)
    assert (a.investigation_status, a.investigation_attempts) == ("queued", 1)
    assert a.investigation_error == "x" * 2000
    assert await store.claim(worker="w", now=1049.9, lease_s=10) is None
    job = await store.claim(worker="w2", now=1050.0, lease_s=10)
    assert job is not None and job.attempts == 2
    assert not await store.fail(alert_id=out.alert_id, worker="w", now=1051.0, error="stale", retry_at=None)
    assert await store.fail(alert_id=out.alert_id, worker="w2", now=1052.0, error="final", retry_at=None)
    a = await alert_of(store, out.alert_id)
    assert (a.investigation_status, a.investigation_attempts, a.investigation_error) == ("failed", 2, "final")
    assert await store.claim(worker="w3", now=9999.0, lease_s=10) is None
    assert (await store.stats())["investigations_failed"] == 1


async def test_a_released_job_is_queued_again_at_once_without_using_an_attempt(store: AlertStore) -> None:
    out = await ingest(store, FULL)
    await store.claim(worker="w", now=1000.0, lease_s=600)
    assert await store.release(alert_id=out.alert_id, worker="w", now=1001.0)
    assert not await store.release(alert_id=out.alert_id, worker="w", now=1001.5)  # no longer running
    a = await alert_of(store, out.alert_id)
    assert (a.investigation_status, a.investigation_attempts) == ("queued", 0)
    job = await store.claim(worker="w2", now=1001.0, lease_s=600)
    assert job is not None and (job.attempts, job.crashes) == (1, 0)


# --- sessions -------------------------------------------------------------------------------------


async def test_a_session_is_valid_until_and_including_its_expiry(store: AlertStore) -> None:
    await store.create_session(id_hash="h", now=100.0, expires_at=200.0)
    assert await store.session_valid(id_hash="h", now=200.0)
    assert not await store.session_valid(id_hash="h", now=200.1)


async def test_creating_a_session_keeps_the_other_live_ones(store: AlertStore) -> None:
    await store.create_session(id_hash="a", now=100.0, expires_at=300.0)
    await store.create_session(id_hash="b", now=200.0, expires_at=400.0)
    assert await store.session_valid(id_hash="a", now=250.0)
    await store.delete_session(id_hash="b")
    assert await store.session_valid(id_hash="a", now=250.0)


# --- reading --------------------------------------------------------------------------------------


async def test_alerts_are_listed_newest_first_up_to_the_limit(store: AlertStore) -> None:
    ids = [(await ingest(store, {**FULL, "pid": f"-{i}_1V2"}, at=1000.0 + i)).alert_id for i in range(4)]
    listed = await store.list_alerts(limit=3)
    assert [a.id for a in listed] == ids[::-1][:3]
    assert listed[0].investigation_status == "queued"
    assert listed[0].notifications == [] and listed[0].report is None
    assert len(await store.list_alerts()) == 4


async def test_alerts_seen_at_the_same_time_are_listed_by_id(store: AlertStore) -> None:
    ids = [(await ingest(store, {**FULL, "pid": f"-{i}_1V2"}, at=1000.0)).alert_id for i in range(5)]
    assert [a.id for a in await store.list_alerts(limit=10)] == sorted(ids)


async def test_an_unknown_alert_is_none(store: AlertStore) -> None:
    assert await store.get_alert("no-such-alert") is None


async def test_stats_count_alerts_notifications_and_jobs_by_status(store: AlertStore) -> None:
    assert await store.stats() == {"alerts": 0, "notifications": 0}
    await ingest(store, FULL)
    await ingest(store, {**FULL, "title": "t2"}, at=1001.0)
    b = await ingest(store, {**FULL, "pid": "-2_2V2"})
    await ingest(store, {**FULL, "pid": "-3_3V2", "state": "RESOLVED"})
    await store.claim(worker="w", now=1000.0, lease_s=10)
    assert await store.stats() == {
        "alerts": 3,
        "notifications": 4,
        "investigations_queued": 1,
        "investigations_running": 1,
    }
    assert b.enqueued


async def test_unreadable_stored_json_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = await _open(path)
    out = await ingest(store, FULL)
    await store.complete(alert_id=out.alert_id, worker="w", now=1001.0, report={"r": 1}, summary={"s": 1})
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE alerts SET tags = '{', entities = '{\"not\": \"a list\"}', notes = '',"
            " report = '[1]', report_summary = 'oops' WHERE id = ?",
            (out.alert_id,),
        )
        conn.execute("UPDATE notifications SET body = 'nope' WHERE alert_id = ?", (out.alert_id,))
    store = await _open(path)
    try:
        a = await alert_of(store, out.alert_id)
        assert (a.tags, a.entities, a.notes, a.report, a.report_summary) == ([], [], [], None, None)
        assert a.notifications[0].body == {}
        [listed] = await store.list_alerts()
        assert listed.tags == []
    finally:
        await store.close()


async def test_each_stored_notification_has_its_own_id(store: AlertStore) -> None:
    out = await ingest(store, FULL, at=1000.0)
    await ingest(store, {**FULL, "title": "second"}, at=1000.0)
    records = (await alert_of(store, out.alert_id)).notifications
    assert len({r.id for r in records}) == 2
    assert [r.body.get("title") for r in records] == ["Slow checkout", "second"]


async def test_ping_answers_while_open_and_refuses_once_closed(tmp_path: Path) -> None:
    from dynatrace_agent.webhook.store import StoreUnavailableError

    store = await _open(tmp_path / "s.sqlite3")
    await store.ping()
    await store.close()
    with pytest.raises(StoreUnavailableError):
        await store.ping()


async def test_the_history_keeps_both_the_alert_state_and_the_word_sent(store: AlertStore) -> None:
    body = {"event.id": "-4_1V2", "event.status": "ACTIVE"}
    out = await ingest(store, body)
    await ingest(store, {**body, "event.status": "CLOSED"}, at=1001.0)
    records = (await alert_of(store, out.alert_id)).notifications
    assert [(r.state, r.raw_state) for r in records] == [("OPEN", "ACTIVE"), ("RESOLVED", "CLOSED")]
