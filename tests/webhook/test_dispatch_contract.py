"""What one dispatched job leads to, stated exactly: the summary and error an operator reads,
when a failure is retried and when it is final, and what the LangGraph-server runner asks of
the server.

The store and the LangGraph SDK are replaced by recorders here (the store's own behaviour has
its tests; the real server has the ``langgraph_server`` tests), so every call the dispatcher
makes, with its arguments, is visible.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import uuid
from typing import Any

import httpx
import pytest

from dynatrace_agent.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidArgumentError,
    MissingScopeError,
    NotFoundError,
    RateLimitedError,
)
from dynatrace_agent.webhook import dispatch
from dynatrace_agent.webhook.dispatch import (
    Dispatcher,
    InProcessRunner,
    LangGraphServerRunner,
    RunnerError,
    is_permanent,
    report_summary,
)
from dynatrace_agent.webhook.store import Job

REPORT = {
    "ranked_root_causes": [{"name": "db-1", "entity_id": "SERVICE-1"}, {"name": "other"}],
    "category": "database",
    "confidence": 0.75,
}


class RecordingStore:
    """The store calls a dispatcher makes, recorded; answers are configurable."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.renew_answers: list[Any] = []
        self.complete_answer = True
        self.fail_raises = False

    def named(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]

    async def complete(self, **kwargs: Any) -> bool:
        self.calls.append(("complete", kwargs))
        return self.complete_answer

    async def fail(self, **kwargs: Any) -> bool:
        self.calls.append(("fail", kwargs))
        if self.fail_raises:
            raise RuntimeError("store down")
        return True

    async def release(self, **kwargs: Any) -> bool:
        self.calls.append(("release", kwargs))
        return True

    async def renew(self, **kwargs: Any) -> bool:
        self.calls.append(("renew", kwargs))
        answer = self.renew_answers.pop(0) if self.renew_answers else True
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)

    async def claim(self, **kwargs: Any) -> Job | None:
        self.calls.append(("claim", kwargs))
        return None


class Runner:
    """Returns ``result`` (or raises it) after ``delay`` seconds; records its calls."""

    def __init__(self, result: Any = None, *, delay: float = 0.0, default_env: Any = "absent") -> None:
        self.result = REPORT if result is None else result
        self.delay = delay
        self.calls: list[dict[str, Any]] = []
        if default_env != "absent":
            self.default_environment = default_env

    async def run(self, *, problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
        self.calls.append({"problem_ref": problem_ref, "environment": environment, "alert_id": alert_id})
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.result, BaseException):
            raise self.result
        return dict(self.result)


def job(
    *, attempts: int = 1, max_attempts: int = 3, environment: str | None = "prod", crashes: int = 0
) -> Job:
    return Job("alert-1", "integ", environment, "P-7", attempts, max_attempts, crashes)


def dispatcher(store: RecordingStore, runner: Any, **kwargs: Any) -> Dispatcher:
    kwargs.setdefault("clock", lambda: 1000.0)
    return Dispatcher(store, runner, **kwargs)  # type: ignore[arg-type]


# --- the summary shown in the alerts list ----------------------------------------------------------


def test_report_summary_takes_the_top_candidate_category_and_confidence() -> None:
    assert report_summary(REPORT) == {"root_cause": "db-1", "category": "database", "confidence": 0.75}
    assert report_summary({**REPORT, "false_alarm": True})["false_alarm"] is True


def test_report_summary_falls_back_to_the_entity_id_and_cuts_long_names() -> None:
    assert report_summary({"ranked_root_causes": [{"entity_id": "HOST-1"}]}) == {"root_cause": "HOST-1"}
    assert report_summary({"ranked_root_causes": [{"name": "", "entity_id": "HOST-1"}]}) == {
        "root_cause": "HOST-1"
    }
    assert report_summary({"ranked_root_causes": [{"name": "n" * 300}]}) == {"root_cause": "n" * 200}


@pytest.mark.parametrize(
    "report",
    [
        {},
        {"ranked_root_causes": []},
        {"ranked_root_causes": "db"},
        {"ranked_root_causes": ["db"]},
        {"ranked_root_causes": [{"name": 5}]},
        {"category": 3, "confidence": True, "false_alarm": "yes"},
        {"confidence": "0.9"},
    ],
)
def test_report_summary_ignores_what_it_cannot_show(report: dict[str, Any]) -> None:
    assert report_summary(report) == {}


def test_report_summary_confidence_is_a_float() -> None:
    summary = report_summary({"confidence": 1})
    assert summary == {"confidence": 1.0} and isinstance(summary["confidence"], float)


# --- which failures are final ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        NotFoundError("no such problem"),
        AuthenticationError("token refused"),
        MissingScopeError("needs problems.read"),
        BadRequestError("bad"),
        ConfigurationError("no environment"),
        InvalidArgumentError("'??' names no problem"),
        RunnerError("x", permanent=True),
    ],
)
def test_failures_no_retry_can_fix_are_permanent(exc: BaseException) -> None:
    assert is_permanent(exc)


@pytest.mark.parametrize(
    "exc",
    [RunnerError("x"), RateLimitedError("slow down"), TimeoutError(), ValueError("boom"), OSError("net")],
)
def test_other_failures_are_worth_retrying(exc: BaseException) -> None:
    assert not is_permanent(exc)


def test_a_runner_error_keeps_its_permanence_across_processes() -> None:
    for permanent in (True, False):
        back = pickle.loads(pickle.dumps(RunnerError("gone", permanent=permanent)))
        assert (type(back), str(back), back.permanent) == (RunnerError, "gone", permanent)


# --- one job --------------------------------------------------------------------------------------


async def test_a_successful_run_stores_report_and_summary() -> None:
    store, runner = RecordingStore(), Runner()
    finished: list[tuple[Job, str]] = []
    d = dispatcher(store, runner, on_finished=lambda j, outcome: finished.append((j, outcome)))
    the_job = job()
    assert await d.run_job(the_job, "w/0") == "done"
    assert runner.calls == [{"problem_ref": "P-7", "environment": "prod", "alert_id": "alert-1"}]
    [complete] = store.named("complete")
    assert (complete["alert_id"], complete["worker"], complete["now"], complete["report"]) == (
        "alert-1",
        "w/0",
        1000.0,
        REPORT,
    )
    summary = complete["summary"]
    assert summary.pop("duration_s") == 0.0
    assert summary == {
        "root_cause": "db-1",
        "category": "database",
        "confidence": 0.75,
        "environment": "prod",
    }
    assert store.named("fail") == []
    assert finished == [(the_job, "done")]
    assert d.running == 0


async def test_an_async_finished_callback_is_awaited() -> None:
    seen: list[str] = []

    async def on_finished(j: Job, outcome: str) -> None:
        await asyncio.sleep(0)
        seen.append(outcome)

    d = dispatcher(RecordingStore(), Runner(RunnerError("no")), on_finished=on_finished)
    assert await d.run_job(job(), "w") == "retry"
    assert seen == ["retry"]


async def test_the_run_duration_is_reported_in_tenths_of_a_second() -> None:
    store = RecordingStore()
    await dispatcher(store, Runner(delay=0.25)).run_job(job(), "w")
    duration = store.named("complete")[0]["summary"]["duration_s"]
    assert 0.2 <= duration < 5 and round(duration, 1) == duration


async def test_the_job_counts_as_running_while_it_runs() -> None:
    store = RecordingStore()
    d = dispatcher(store, Runner(delay=0.2))
    task = asyncio.create_task(d.run_job(job(), "w"))
    await asyncio.sleep(0.05)
    assert d.running == 1
    await task
    assert d.running == 0


@pytest.mark.parametrize(
    ("default_env", "shown"),
    [
        ("absent", "default"),
        (lambda: "tenant-b", "tenant-b"),
        (lambda: "", "default"),
        (lambda: 5, "default"),
    ],
)
async def test_a_job_without_environment_runs_on_the_default_and_names_it(
    default_env: Any, shown: str
) -> None:
    store, runner = RecordingStore(), Runner(default_env=default_env)
    await dispatcher(store, runner).run_job(job(environment=None), "w")
    assert runner.calls[0]["environment"] == ""
    assert store.named("complete")[0]["summary"]["environment"] == shown


async def test_naming_the_default_environment_never_fails_a_finished_run() -> None:
    def broken() -> str:
        raise RuntimeError("settings unreadable")

    store = RecordingStore()
    assert await dispatcher(store, Runner(default_env=broken)).run_job(job(environment=None), "w") == "done"
    assert store.named("complete")[0]["summary"]["environment"] == "default"


async def test_a_report_already_stored_by_another_run_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = RecordingStore()
    store.complete_answer = False
    with caplog.at_level(logging.INFO, logger="dynatrace_agent.webhook"):
        assert await dispatcher(store, Runner()).run_job(job(), "w") == "done"
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("investigation of P-7 finished in ")
        and m.endswith("s: root cause db-1 (another run had already stored a report; kept that one)")
        for m in messages
    ), messages


async def test_start_and_finish_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dynatrace_agent.webhook"):
        await dispatcher(RecordingStore(), Runner({})).run_job(job(attempts=2, crashes=1), "w")
    messages = [r.getMessage() for r in caplog.records]
    assert "investigating P-7 (alert alert-1, attempt 2 of 3, after 1 stopped run(s))" in messages
    assert any(m.endswith("s: no root cause ranked") for m in messages), messages
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="dynatrace_agent.webhook"):
        await dispatcher(RecordingStore(), Runner({})).run_job(job(), "w")
    assert "investigating P-7 (alert alert-1, attempt 1 of 3)" in [r.getMessage() for r in caplog.records]


async def test_a_failed_attempt_is_retried_after_a_backoff() -> None:
    store = RecordingStore()
    d = dispatcher(store, Runner(RunnerError("the graph failed")), backoff_base_s=10, backoff_max_s=1000)
    assert await d.run_job(job(attempts=2, max_attempts=3), "w/1") == "retry"
    [fail] = store.named("fail")
    assert (fail["alert_id"], fail["worker"], fail["now"], fail["error"]) == (
        "alert-1",
        "w/1",
        1000.0,
        "the graph failed",
    )
    assert 1000 + 20 * 0.8 <= fail["retry_at"] <= 1000 + 20 * 1.2
    assert store.named("complete") == []


async def test_the_last_attempt_fails_for_good() -> None:
    store = RecordingStore()
    assert (
        await dispatcher(store, Runner(RunnerError("no"))).run_job(job(attempts=3, max_attempts=3), "w")
        == "failed"
    )
    assert store.named("fail")[0]["retry_at"] is None


async def test_a_permanent_failure_is_not_retried_and_says_so() -> None:
    store = RecordingStore()
    outcome = await dispatcher(store, Runner(NotFoundError("problem P-7 not found"))).run_job(
        job(attempts=1), "w"
    )
    assert outcome == "failed"
    [fail] = store.named("fail")
    assert fail["retry_at"] is None
    assert (
        fail["error"]
        == "NotFoundError: problem P-7 not found (not retried: another attempt cannot change this)"
    )


async def test_a_refused_problem_reference_fails_at_once() -> None:
    store = RecordingStore()
    refused = InvalidArgumentError("'#12' is not a problem reference: give a display id like P-2503111")
    outcome = await dispatcher(store, Runner(refused)).run_job(job(attempts=1, max_attempts=3), "w")
    assert outcome == "failed"
    [fail] = store.named("fail")
    assert fail["retry_at"] is None
    assert "not a problem reference" in fail["error"] and "not retried" in fail["error"]


async def test_other_exceptions_are_named_by_type() -> None:
    store = RecordingStore()
    await dispatcher(store, Runner(ValueError("boom"))).run_job(job(), "w")
    assert store.named("fail")[0]["error"] == "ValueError: boom"


async def test_a_run_past_its_timeout_is_a_failed_attempt() -> None:
    store = RecordingStore()
    d = dispatcher(store, Runner(delay=5), run_timeout_s=0.6)
    assert await d.run_job(job(), "w") == "retry"
    assert store.named("fail")[0]["error"] == "timed out after 1 s"


async def test_a_store_that_cannot_record_the_failure_does_not_break_the_worker() -> None:
    store = RecordingStore()
    store.fail_raises = True
    assert (
        await dispatcher(store, Runner(RunnerError("x"))).run_job(job(attempts=3, max_attempts=3), "w")
        == "failed"
    )


async def test_failures_are_logged_with_what_happens_next(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dynatrace_agent.webhook"):
        await dispatcher(
            RecordingStore(), Runner(RunnerError("flaky")), backoff_base_s=10, backoff_max_s=10
        ).run_job(job(attempts=1), "w")
        await dispatcher(RecordingStore(), Runner(RunnerError("dead"))).run_job(job(attempts=3), "w")
    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    retry = [m for level, m in records if level == "WARNING"]
    assert len(retry) == 1
    assert retry[0].startswith("investigation of P-7 attempt 1 failed, retrying in ")
    assert retry[0].endswith(" s: flaky")
    assert ("ERROR", "investigation of P-7 failed for good after attempt 3: dead") in records


async def test_shutdown_hands_the_job_back_and_stops() -> None:
    store = RecordingStore()
    d = dispatcher(store, Runner(delay=5))
    task = asyncio.create_task(d.run_job(job(), "w/3"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.named("release") == [{"alert_id": "alert-1", "worker": "w/3", "now": 1000.0}]
    assert store.named("fail") == [] and store.named("complete") == []
    assert d.running == 0


# --- backoff and lease renewal --------------------------------------------------------------------


@pytest.mark.parametrize(("attempts", "base"), [(0, 5.0), (1, 5.0), (2, 10.0), (3, 20.0), (10, 300.0)])
def test_backoff_doubles_per_attempt_up_to_the_cap_with_jitter(attempts: int, base: float) -> None:
    d = dispatcher(RecordingStore(), Runner(), backoff_base_s=5.0, backoff_max_s=300.0)
    delays = [d.backoff(attempts) for _ in range(200)]
    assert all(base * 0.8 <= x <= base * 1.2 for x in delays)
    assert max(delays) - min(delays) > base * 0.1  # jittered, so instances do not retry in step


async def test_the_lease_is_renewed_every_third_of_it_while_the_run_goes_on() -> None:
    store = RecordingStore()
    d = dispatcher(store, Runner(delay=0.55), lease_s=0.3)
    await d.run_job(job(), "w/2")
    renewals = store.named("renew")
    assert 3 <= len(renewals) <= 6
    assert renewals[0] == {"alert_id": "alert-1", "worker": "w/2", "now": 1000.0, "lease_s": 0.3}


async def test_renewal_survives_a_store_hiccup_and_stops_once_the_lease_is_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore()
    store.renew_answers = [RuntimeError("db busy"), False]
    d = dispatcher(store, Runner(delay=0.5), lease_s=0.15)
    with caplog.at_level(logging.WARNING, logger="dynatrace_agent.webhook"):
        assert await d.run_job(job(), "w") == "done"
    assert len(store.named("renew")) == 2  # retried after the error, then gave up on the lost lease
    messages = [r.getMessage() for r in caplog.records]
    assert "renewing the lease of P-7 failed: db busy" in messages
    assert any(m.startswith("the lease of P-7 was taken over") for m in messages)


async def test_renewal_never_beats_faster_than_every_50_ms() -> None:
    store = RecordingStore()
    await dispatcher(store, Runner(delay=0.3), lease_s=0.01).run_job(job(), "w")
    assert 2 <= len(store.named("renew")) <= 6


# --- the worker loop ------------------------------------------------------------------------------


class QueueStore(RecordingStore):
    """Hands out the given jobs, one per claim; a claim may raise."""

    def __init__(self, jobs: list[Any]) -> None:
        super().__init__()
        self.jobs = jobs

    async def claim(self, **kwargs: Any) -> Job | None:
        self.calls.append(("claim", kwargs))
        item = self.jobs.pop(0) if self.jobs else None
        if isinstance(item, Exception):
            raise item
        return item


async def test_workers_claim_with_their_own_name_and_the_lease() -> None:
    store = QueueStore([job()])
    d = dispatcher(store, Runner(), concurrency=1, lease_s=7.0, poll_interval_s=0.02)
    d.start()
    try:
        for _ in range(200):
            if store.named("complete"):
                break
            await asyncio.sleep(0.01)
    finally:
        await d.stop()
    claim = store.named("claim")[0]
    assert claim == {"worker": f"{d.worker_id}/0", "now": 1000.0, "lease_s": 7.0}
    assert store.named("complete")[0]["worker"] == f"{d.worker_id}/0"


async def test_a_store_error_while_claiming_is_logged_and_polling_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = QueueStore([RuntimeError("database is locked"), job()])
    d = dispatcher(store, Runner(), concurrency=1, poll_interval_s=0.02)
    with caplog.at_level(logging.WARNING, logger="dynatrace_agent.webhook"):
        d.start()
        try:
            for _ in range(300):
                if store.named("complete"):
                    break
                await asyncio.sleep(0.01)
        finally:
            await d.stop()
    assert store.named("complete")
    assert "claiming an investigation failed: database is locked" in [r.getMessage() for r in caplog.records]


async def test_wake_starts_an_idle_worker_before_its_next_poll() -> None:
    store = QueueStore([])
    d = dispatcher(store, Runner(), concurrency=1, poll_interval_s=30)
    d.start()
    try:
        await asyncio.sleep(0.05)
        store.jobs.append(job())
        d.wake()
        for _ in range(200):
            if store.named("complete"):
                break
            await asyncio.sleep(0.01)
        assert store.named("complete"), "the woken worker did not claim the queued job"
    finally:
        await d.stop()


async def test_concurrency_starts_that_many_workers_and_stop_ends_them() -> None:
    d = dispatcher(QueueStore([]), Runner(), concurrency=3, poll_interval_s=0.02)
    d.start()
    names = sorted(t.get_name() for t in d._tasks)
    assert names == ["investigation-worker-0", "investigation-worker-1", "investigation-worker-2"]
    tasks = list(d._tasks)
    await d.stop()
    assert all(t.done() for t in tasks)


def test_worker_ids_differ_per_dispatcher() -> None:
    a = dispatcher(RecordingStore(), Runner())
    b = dispatcher(RecordingStore(), Runner())
    assert a.worker_id != b.worker_id
    assert a.worker_id.count(":") == 2


# --- the in-process runner ------------------------------------------------------------------------


class Closable:
    closed = 0

    async def aclose(self) -> None:
        type(self).closed += 1


class Investigator:
    """Records each run; returns ``result`` or raises it."""

    def __init__(self, result: Any) -> None:
        self.result = result
        self.seen: list[tuple[str, Any, Any]] = []

    async def run(self, problem: str, *, client: Any, environment: str | None = None, **_: Any) -> Any:
        self.seen.append((problem, client, environment))
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


async def test_in_process_runner_gives_the_investigator_a_client_and_closes_it() -> None:
    environments: list[Any] = []

    def factory(env: str | None) -> Closable:
        environments.append(env)
        return Closable()

    Closable.closed = 0
    investigator = Investigator({"ok": True})
    runner = InProcessRunner(investigator, factory)  # type: ignore[arg-type]
    assert await runner.run(problem_ref="P-1", environment="", alert_id="a") == {"ok": True}
    assert await runner.run(problem_ref="P-2", environment="prod", alert_id="b") == {"ok": True}
    assert environments == [None, "prod"]
    assert [(p, e) for p, _, e in investigator.seen] == [("P-1", None), ("P-2", "prod")]
    assert all(isinstance(c, Closable) for _, c, _ in investigator.seen)
    assert Closable.closed == 2


async def test_in_process_runner_closes_the_client_when_the_investigation_fails() -> None:
    Closable.closed = 0
    runner = InProcessRunner(Investigator(RuntimeError("graph broke")), lambda env: Closable())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="graph broke"):
        await runner.run(problem_ref="P-1", environment="prod", alert_id="a")
    assert Closable.closed == 1


async def test_a_client_that_fails_to_close_does_not_fail_the_run() -> None:
    class Broken:
        async def aclose(self) -> None:
            raise OSError("already closed")

    runner = InProcessRunner(Investigator({"ok": 1}), lambda env: Broken())  # type: ignore[arg-type]
    assert await runner.run(problem_ref="P", environment="e", alert_id="a") == {"ok": 1}


@pytest.mark.parametrize("result", [None, "text", ["report"]])
async def test_in_process_runner_without_a_report_is_an_error(result: Any) -> None:
    runner = InProcessRunner(Investigator(result), lambda env: object())  # type: ignore[arg-type]
    with pytest.raises(RunnerError) as err:
        await runner.run(problem_ref="P", environment="e", alert_id="a")
    assert str(err.value) == "the investigation finished without a report"


def test_in_process_runner_asks_its_factory_for_the_default_environment() -> None:
    class Factory:
        def __call__(self, env: str | None) -> Any:
            return object()

        def default_environment(self) -> str:
            return "tenant-a"

    investigator: Any = Investigator({})
    assert InProcessRunner(investigator, Factory()).default_environment() == "tenant-a"
    assert InProcessRunner(investigator, lambda env: object()).default_environment() is None


# --- the LangGraph server runner ------------------------------------------------------------------


def _response(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", "http://lg.test/threads"))


class FakeSdk:
    """Stands in for ``langgraph_sdk``'s client: threads and runs, with recorded calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.state_values: list[Any] = [{}, {"report": {"done": 1}}]
        self.create_raises: BaseException | None = None
        self.listed: list[dict[str, Any]] = []
        self.final_status = "success"
        self.closed = False
        self.threads = self
        self.runs = _Runs(self)

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(("threads.create", args, kwargs))
        return {}

    async def get_state(self, *args: Any) -> Any:
        self.calls.append(("threads.get_state", args, {}))
        values = self.state_values.pop(0)
        return {"values": values} if values is not None else None

    async def aclose(self) -> None:
        self.closed = True


class _Runs:
    def __init__(self, sdk: FakeSdk) -> None:
        self.sdk = sdk

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        self.sdk.calls.append(("runs.create", args, kwargs))
        if self.sdk.create_raises is not None:
            raise self.sdk.create_raises
        return {"run_id": "run-1"}

    async def list(self, *args: Any, **kwargs: Any) -> Any:
        self.sdk.calls.append(("runs.list", args, kwargs))
        return self.sdk.listed

    async def join(self, *args: Any) -> Any:
        self.sdk.calls.append(("runs.join", args, {}))
        return {}

    async def get(self, *args: Any) -> Any:
        self.sdk.calls.append(("runs.get", args, {}))
        return {"status": self.sdk.final_status}


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> FakeSdk:
    import langgraph_sdk

    fake = FakeSdk()
    seen: dict[str, Any] = {}

    def get_client(**kwargs: Any) -> FakeSdk:
        seen.update(kwargs)
        fake.client_args = seen  # type: ignore[attr-defined]
        return fake

    monkeypatch.setattr(langgraph_sdk, "get_client", get_client)
    return fake


ALERT = str(uuid.uuid5(uuid.NAMESPACE_URL, "prod:-1_1V2"))


async def test_server_runner_runs_the_graph_on_the_problems_thread(sdk: FakeSdk) -> None:
    runner = LangGraphServerRunner("http://lg.test", "investigation", api_key="k", headers={"x": "1"})
    assert await runner.run(problem_ref="P-1", environment="", alert_id=ALERT) == {"done": 1}
    assert sdk.client_args == {"url": "http://lg.test", "api_key": "k", "headers": {"x": "1"}}  # type: ignore[attr-defined]
    names = [c[0] for c in sdk.calls]
    assert names == [
        "threads.create",
        "threads.get_state",
        "runs.create",
        "runs.join",
        "runs.get",
        "threads.get_state",
    ]
    assert sdk.calls[0][2] == {
        "thread_id": ALERT,
        "if_exists": "do_nothing",
        "metadata": {"problem": "P-1", "alert_id": ALERT},
    }
    assert sdk.calls[2][1] == (ALERT, "investigation")
    assert sdk.calls[2][2] == {
        "input": {"problem": "P-1"},
        "context": {"environment": None},
        "multitask_strategy": "reject",
        "metadata": {"alert_id": ALERT},
    }
    assert sdk.calls[3][1] == (ALERT, "run-1") and sdk.calls[4][1] == (ALERT, "run-1")
    await runner.aclose()
    assert sdk.closed


async def test_server_runner_passes_the_environment_and_strategy(sdk: FakeSdk) -> None:
    runner = LangGraphServerRunner("http://lg.test", "g2", "enqueue")
    await runner.run(problem_ref="P-1", environment="prod", alert_id=ALERT)
    create = next(c for c in sdk.calls if c[0] == "runs.create")
    assert create[1] == (ALERT, "g2")
    assert create[2]["context"] == {"environment": "prod"}
    assert create[2]["multitask_strategy"] == "enqueue"


async def test_a_thread_that_already_holds_a_report_is_not_run_again(sdk: FakeSdk) -> None:
    sdk.state_values = [{"report": {"earlier": True}}]
    runner = LangGraphServerRunner("http://lg.test")
    assert await runner.run(problem_ref="P-1", environment="", alert_id=ALERT) == {"earlier": True}
    assert [c[0] for c in sdk.calls] == ["threads.create", "threads.get_state"]


async def test_a_rejected_run_waits_for_the_one_in_flight(sdk: FakeSdk) -> None:
    from langgraph_sdk.errors import ConflictError

    sdk.create_raises = ConflictError("busy", response=_response(409), body=None)
    sdk.listed = [{"run_id": "old", "status": "success"}, {"run_id": "live", "status": "running"}]
    runner = LangGraphServerRunner("http://lg.test")
    assert await runner.run(problem_ref="P-1", environment="", alert_id=ALERT) == {"done": 1}
    listed = next(c for c in sdk.calls if c[0] == "runs.list")
    assert listed[1] == (ALERT,) and listed[2] == {"limit": 10}
    assert next(c for c in sdk.calls if c[0] == "runs.join")[1] == (ALERT, "live")
    sdk.calls.clear()
    sdk.state_values = [{}, {"report": {"done": 2}}]
    sdk.listed = [{"run_id": "queued", "status": "pending"}]
    assert await runner.run(problem_ref="P-1", environment="", alert_id=ALERT) == {"done": 2}
    assert next(c for c in sdk.calls if c[0] == "runs.join")[1] == (ALERT, "queued")


async def test_a_rejected_run_with_none_in_flight_is_an_error(sdk: FakeSdk) -> None:
    from langgraph_sdk.errors import ConflictError

    sdk.create_raises = ConflictError("busy", response=_response(409), body=None)
    sdk.listed = [{"run_id": "old", "status": "error"}]
    with pytest.raises(RunnerError) as err:
        await LangGraphServerRunner("http://lg.test").run(problem_ref="P-1", environment="", alert_id=ALERT)
    assert str(err.value) == "the LangGraph server rejected the run but shows none in flight"


async def test_an_unsuccessful_server_run_is_an_error(sdk: FakeSdk) -> None:
    sdk.final_status = "error"
    with pytest.raises(RunnerError) as err:
        await LangGraphServerRunner("http://lg.test").run(problem_ref="P-1", environment="", alert_id=ALERT)
    assert str(err.value) == "the LangGraph server run ended with status 'error'"


async def test_server_api_and_network_errors_say_where(sdk: FakeSdk) -> None:
    from langgraph_sdk.errors import APIError

    sdk.create_raises = APIError("forbidden", _response(403), body=None)
    with pytest.raises(RunnerError) as api:
        await LangGraphServerRunner("http://lg.test").run(problem_ref="P-1", environment="", alert_id=ALERT)
    assert str(api.value) == "the LangGraph server at http://lg.test failed: APIError: forbidden"
    sdk.state_values = [{}]
    sdk.create_raises = httpx.ConnectError("refused")
    with pytest.raises(RunnerError) as net:
        await LangGraphServerRunner("http://lg.test").run(problem_ref="P-1", environment="", alert_id=ALERT)
    assert str(net.value) == "cannot reach the LangGraph server at http://lg.test: ConnectError: refused"


async def test_a_finished_thread_without_a_report_is_an_error(sdk: FakeSdk) -> None:
    sdk.state_values = [None, None]
    with pytest.raises(RunnerError) as err:
        await LangGraphServerRunner("http://lg.test").run(problem_ref="P-1", environment="", alert_id=ALERT)
    assert str(err.value) == "the investigation graph finished without a 'report' in its output state"


async def test_a_report_model_in_the_thread_state_is_dumped_as_json(sdk: FakeSdk) -> None:
    class Model:
        def model_dump(self, *, mode: str) -> Any:
            return {"dumped": mode}

    sdk.state_values = [{}, {"report": Model()}]
    runner = LangGraphServerRunner("http://lg.test")
    assert await runner.run(problem_ref="P-1", environment="", alert_id=ALERT) == {"dumped": "json"}
    assert [c[1] for c in sdk.calls if c[0] == "threads.get_state"] == [(ALERT,), (ALERT,)]


def test_server_runner_thread_ids() -> None:
    assert LangGraphServerRunner.thread_id(ALERT.upper()) == ALERT
    assert LangGraphServerRunner.thread_id("not-a-uuid") == str(uuid.uuid5(uuid.NAMESPACE_URL, "not-a-uuid"))


def test_server_runner_strategy_must_be_known() -> None:
    with pytest.raises(ConfigurationError) as err:
        LangGraphServerRunner("http://lg.test", multitask_strategy="interrupt")
    assert str(err.value) == "multitask_strategy must be 'reject' or 'enqueue'"


async def test_closing_an_unused_server_runner_is_fine() -> None:
    await LangGraphServerRunner("http://lg.test").aclose()


# --- clients from the agent settings --------------------------------------------------------------

TOKEN = "dt0c01.PUBLICPART.SUPERSECRETAPITOKENVALUE"


@pytest.fixture
def two_environments(tmp_path: Any) -> Any:
    from dynatrace_agent.settings import load_settings

    config = tmp_path / "dt.toml"
    config.write_text(
        'default = "prod"\n'
        f'[environments.prod]\nurl = "https://abc12345.live.dynatrace.com"\napi_token = "{TOKEN}"\n'
        f'[environments.staging]\nurl = "https://stg12345.live.dynatrace.com"\napi_token = "{TOKEN}"\n',
        encoding="utf-8",
    )
    return load_settings(config_path=str(config), env={})


async def test_settings_clients_are_built_for_the_named_or_default_environment(two_environments: Any) -> None:
    factory = dispatch.SettingsClientFactory(two_environments)
    staging, default, blank = factory("staging"), factory(None), factory("")
    try:
        assert staging.settings.name == "staging"
        assert default.settings.name == "prod"
        assert blank.settings.name == "prod"
    finally:
        for client in (staging, default, blank):
            await client.aclose()
    with pytest.raises(ConfigurationError, match='unknown environment "nope"'):
        factory("nope")


def test_the_settings_factory_does_not_carry_the_services_own_secrets(two_environments: Any) -> None:
    with_service = two_environments.model_copy(update={"webhook": "service secrets"})
    factory = dispatch.SettingsClientFactory(with_service)
    assert factory.settings.webhook is None
    assert with_service.webhook == "service secrets"
    assert factory.settings.default_environment == "prod"


def test_the_settings_default_environment_is_named(two_environments: Any) -> None:
    factory = dispatch.SettingsClientFactory(two_environments)
    assert factory.default_environment() == "prod"
    assert InProcessRunner(Investigator({}), factory).default_environment() == "prod"  # type: ignore[arg-type]


def test_dispatcher_defaults_are_the_documented_ones() -> None:
    d = Dispatcher(RecordingStore(), Runner())  # type: ignore[arg-type]
    assert (d.concurrency, d.lease_s, d.run_timeout_s, d.poll_interval_s) == (2, 15.0, 900.0, 1.0)
    assert (d.backoff_base_s, d.backoff_max_s, d.running) == (5.0, 300.0, 0)
    assert len(d.worker_id.rsplit(":", 1)[1]) == 8


async def test_the_retry_log_says_how_long_until_the_next_attempt(caplog: pytest.LogCaptureFixture) -> None:
    d = dispatcher(RecordingStore(), Runner(RunnerError("flaky")), backoff_base_s=10, backoff_max_s=10)
    with caplog.at_level(logging.WARNING, logger="dynatrace_agent.webhook"):
        await d.run_job(job(attempts=1), "w")
    [message] = [r.getMessage() for r in caplog.records]
    seconds = int(message.split("retrying in ", 1)[1].split(" s:", 1)[0])
    assert 8 <= seconds <= 12


async def test_shutdown_and_lost_leases_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = RecordingStore()
    store.renew_answers = [False]
    with caplog.at_level(logging.INFO, logger="dynatrace_agent.webhook"):
        await dispatcher(store, Runner(delay=0.2), lease_s=0.15).run_job(job(), "w")
        task = asyncio.create_task(dispatcher(RecordingStore(), Runner(delay=5)).run_job(job(), "w"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "the lease of P-7 was taken over (this worker paused past it); "
        "the first run to finish stores the report" in messages
    )
    assert "investigation of P-7 interrupted by shutdown; queued again" in messages
