"""Running investigations for queued alerts: runners and the worker pool that drives them.

The HTTP handler only stores and queues; a :class:`Dispatcher` in the same process claims
jobs from the store's queue (with a lease, so a crashed worker's job is picked up again),
runs them through a :class:`JobRunner` with bounded concurrency, and stores the
report or retries with exponential backoff. Two :class:`JobRunner` kinds exist:

* :class:`InProcessRunner` runs an :class:`~dynatrace_agent.investigator.Investigator` (the
  graph layer's ``InvestigationRunner``, handed in by ``serve``) with a client for the alert's
  environment;
* :class:`LangGraphServerRunner` runs the graph on a LangGraph server through
  ``langgraph-sdk`` (one thread per problem, deterministic UUID), the way to spread
  investigations over more machines than one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from dynatrace_agent.errors import ConfigurationError, DynatraceAgentError
from dynatrace_agent.investigator import Investigator
from dynatrace_agent.webhook.store import AlertStore, Job

if TYPE_CHECKING:
    from dynatrace_agent.settings import AgentSettings

__all__ = [
    "ClientFactory",
    "Dispatcher",
    "InProcessRunner",
    "JobRunner",
    "LangGraphServerRunner",
    "RunnerError",
    "SettingsClientFactory",
]

log = logging.getLogger("dynatrace_agent.webhook")

#: Builds a Dynatrace client for an environment name (None: the default environment).
ClientFactory = Callable[[str | None], Any]


class RunnerError(DynatraceAgentError):
    """An investigation run failed; the message says why (no secrets).

    ``permanent`` marks a failure that another attempt cannot fix (an unknown problem id, a
    refused credential, a configuration error): the job fails at once instead of retrying.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent

    def __reduce__(self) -> tuple[Any, ...]:
        # keep ``permanent`` when the error crosses from an investigation worker process
        return (type(self), (str(self),), {"permanent": self.permanent})


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying cannot help: the problem does not exist, access or settings are wrong.

    A refused argument (``InvalidArgumentError``, e.g. a problem reference that names no problem)
    is refused the same way on every attempt, so it is final too.
    """
    from dynatrace_agent.errors import (
        AuthenticationError,
        BadRequestError,
        InvalidArgumentError,
        MissingScopeError,
        NotFoundError,
    )

    if isinstance(exc, RunnerError):
        return exc.permanent
    return isinstance(
        exc,
        NotFoundError
        | AuthenticationError
        | MissingScopeError
        | BadRequestError
        | ConfigurationError
        | InvalidArgumentError,
    )


class JobRunner(Protocol):
    """Runs one queued investigation and returns the report as JSON (contracts §7)."""

    async def run(self, *, problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
        """Investigate ``problem_ref`` in ``environment`` and return the report's JSON."""


class SettingsClientFactory:
    """Clients of the environments in the settings the service started with (read once, at start-up).

    A class holding the settings rather than a closure, so it can be sent to an investigation
    worker process; the settings travel without the service's own secrets (``webhook``).
    """

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings.model_copy(update={"webhook": None})

    def __call__(self, environment: str | None) -> Any:
        """A client for ``environment`` (the settings' default when ``None``)."""
        from dynatrace_agent.client import DynatraceClient

        return DynatraceClient(self.settings.environment(environment or None))

    def default_environment(self) -> str | None:
        """The name of the environment used when an integration names none."""
        return self.settings.default_environment


def report_summary(report: dict[str, Any]) -> dict[str, Any]:
    """What the Alerts list shows of a report: top root cause, category, confidence."""
    summary: dict[str, Any] = {}
    ranked = report.get("ranked_root_causes")
    if isinstance(ranked, list) and ranked and isinstance(ranked[0], dict):
        top = ranked[0]
        name = top.get("name") or top.get("entity_id")
        if isinstance(name, str) and name:
            summary["root_cause"] = name[:200]
    if isinstance(report.get("category"), str):
        summary["category"] = report["category"]
    if isinstance(report.get("confidence"), int | float) and not isinstance(report.get("confidence"), bool):
        summary["confidence"] = float(report["confidence"])
    if report.get("false_alarm") is True:
        summary["false_alarm"] = True
    return summary


def _report_from(result: Any) -> dict[str, Any]:
    if isinstance(result, dict):
        report = result.get("report")
        if isinstance(report, dict):
            return report
        if report is not None and hasattr(report, "model_dump"):
            dumped = report.model_dump(mode="json")
            if isinstance(dumped, dict):
                return dumped
    raise RunnerError("the investigation graph finished without a 'report' in its output state")


class InProcessRunner:
    """Runs investigations in this process: an investigator, and a client per alert's environment."""

    def __init__(self, investigator: Investigator, client_factory: ClientFactory) -> None:
        self.investigator = investigator
        self.client_factory = client_factory

    def default_environment(self) -> str | None:
        """The environment a run without one uses, when the client factory can tell."""
        named = getattr(self.client_factory, "default_environment", None)
        return named() if callable(named) else None

    async def run(self, *, problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
        """Run the investigation here with a client for ``environment``; return the report's JSON."""
        client = self.client_factory(environment or None)
        try:
            report = await self.investigator.run(problem_ref, client=client, environment=environment or None)
        finally:
            closer = getattr(client, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()
        if not isinstance(report, dict):
            raise RunnerError("the investigation finished without a report")
        return report


class LangGraphServerRunner:
    """Runs the graph on a LangGraph server: one thread per problem, idempotent across retries.

    The thread id is the alert id (``uuid5(NAMESPACE_URL, "integration:problem")``); the
    thread is created with ``if_exists="do_nothing"`` and a thread that already holds a
    report is not run again, so a retried or redelivered job never runs the graph twice
    after a success. ``multitask_strategy="reject"`` makes the server refuse a second run
    while one is in flight; the runner then waits for that run instead.
    """

    def __init__(
        self,
        url: str,
        graph_id: str = "investigation",
        multitask_strategy: str = "reject",
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if multitask_strategy not in ("reject", "enqueue"):
            raise ConfigurationError("multitask_strategy must be 'reject' or 'enqueue'")
        self.url = url
        self.graph_id = graph_id
        self.multitask_strategy = multitask_strategy
        self._api_key = api_key
        self._headers = headers
        self._client: Any = None

    def _sdk(self) -> Any:
        if self._client is None:
            try:
                from langgraph_sdk import get_client
            except ImportError:
                raise ConfigurationError(
                    "the LangGraph server runner needs langgraph-sdk: pip install 'dynatrace-agent[server]'"
                ) from None
            self._client = get_client(url=self.url, api_key=self._api_key, headers=self._headers)
        return self._client

    @staticmethod
    def thread_id(alert_id: str) -> str:
        """The LangGraph thread of an alert: its UUID, or one derived from its id."""
        try:
            return str(uuid.UUID(alert_id))
        except ValueError:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, alert_id))

    async def run(self, *, problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
        """Run the graph on the LangGraph server in the alert's thread; return the report's JSON."""
        from langgraph_sdk.errors import APIError, ConflictError

        client = self._sdk()
        tid = self.thread_id(alert_id)
        try:
            await client.threads.create(
                thread_id=tid, if_exists="do_nothing", metadata={"problem": problem_ref, "alert_id": alert_id}
            )
            state = await client.threads.get_state(tid)
            values = state.get("values") if isinstance(state, dict) else None
            if isinstance(values, dict) and isinstance(values.get("report"), dict):
                return dict(values["report"])  # a previous attempt finished: do not run again
            try:
                run = await client.runs.create(
                    tid,
                    self.graph_id,
                    input={"problem": problem_ref},
                    context={"environment": environment or None},
                    multitask_strategy=self.multitask_strategy,
                    metadata={"alert_id": alert_id},
                )
                run_id = run["run_id"]
            except ConflictError:
                inflight = [
                    r for r in await client.runs.list(tid, limit=10) if r["status"] in ("pending", "running")
                ]
                if not inflight:
                    raise RunnerError(
                        "the LangGraph server rejected the run but shows none in flight"
                    ) from None
                run_id = inflight[0]["run_id"]
            await client.runs.join(tid, run_id)
            finished = await client.runs.get(tid, run_id)
            if finished.get("status") != "success":
                raise RunnerError(f"the LangGraph server run ended with status {finished.get('status')!r}")
            state = await client.threads.get_state(tid)
        except APIError as exc:
            raise RunnerError(
                f"the LangGraph server at {self.url} failed: {type(exc).__name__}: {exc}"
            ) from None
        except (httpx.HTTPError, OSError) as exc:
            raise RunnerError(
                f"cannot reach the LangGraph server at {self.url}: {type(exc).__name__}: {exc}"
            ) from None
        return _report_from(state.get("values") if isinstance(state, dict) else None)

    async def aclose(self) -> None:
        """Close the SDK client, if one was opened."""
        if self._client is not None:
            await self._client.aclose()


class Dispatcher:
    """Claims queued investigations from the store and runs them, ``concurrency`` at a time.

    Every job is leased for a short time (15 s by default) and the lease is renewed every
    third of it while the run goes on, so a killed worker's job is picked up again within
    seconds, without using one of its attempts (the store counts it as a crash). The report is
    written once: a second run of the same job cannot overwrite it. Failures are retried with
    exponential backoff (``backoff_base_s * 2**(attempt-1)``, capped, with jitter) up to the
    job's ``max_attempts``; failures no retry can fix (unknown problem, refused credentials)
    fail at once. Each start and finish is logged.
    """

    def __init__(
        self,
        store: AlertStore,
        runner: JobRunner,
        *,
        concurrency: int = 2,
        lease_s: float = 15.0,
        run_timeout_s: float = 900.0,
        backoff_base_s: float = 5.0,
        backoff_max_s: float = 300.0,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        on_finished: Callable[[Job, str], Awaitable[None] | None] | None = None,
    ) -> None:
        self.store = store
        self.runner = runner
        self.concurrency = concurrency
        self.lease_s = lease_s
        self.run_timeout_s = run_timeout_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.on_finished = on_finished
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.running = 0

    def wake(self) -> None:
        """Tell idle workers a job was queued (instead of waiting for the next poll)."""
        self._wake.set()

    def start(self) -> None:
        """Start ``concurrency`` workers that claim and run queued investigations."""
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._worker(i), name=f"investigation-worker-{i}")
            for i in range(self.concurrency)
        ]

    async def stop(self) -> None:
        """Stop the workers and wait for them; claimed jobs are released by their workers."""
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    def backoff(self, attempts: int) -> float:
        """Seconds before retry ``attempts``: doubling from the base up to the cap, ±20 % jitter."""
        delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempts - 1))
        return float(delay * random.uniform(0.8, 1.2))

    async def _worker(self, index: int) -> None:
        worker = f"{self.worker_id}/{index}"
        while not self._stopping:
            try:
                job = await self.store.claim(worker=worker, now=self.clock(), lease_s=self.lease_s)
            except Exception as exc:  # store down: log and keep polling
                log.warning("claiming an investigation failed: %s", exc)
                job = None
            if job is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
                continue
            await self.run_job(job, worker)

    def _environment_name(self, job: Job) -> str:
        if job.environment:
            return job.environment
        named = getattr(self.runner, "default_environment", None)
        try:
            name = named() if callable(named) else None
        except Exception:  # naming is cosmetic; never fail a finished run over it
            name = None
        return name if isinstance(name, str) and name else "default"

    async def run_job(self, job: Job, worker: str) -> str:
        """Run one claimed job to its next state; returns 'done', 'retry' or 'failed'."""
        self.running += 1
        renew = asyncio.create_task(self._renew(job, worker))
        outcome = "failed"
        started = time.monotonic()
        log.info(
            "investigating %s (alert %s, attempt %d of %d%s)",
            job.problem_ref,
            job.alert_id,
            job.attempts,
            job.max_attempts,
            f", after {job.crashes} stopped run(s)" if job.crashes else "",
        )
        try:
            report = await asyncio.wait_for(
                self.runner.run(
                    problem_ref=job.problem_ref, environment=job.environment or "", alert_id=job.alert_id
                ),
                self.run_timeout_s,
            )
            renew.cancel()
            duration = time.monotonic() - started
            summary = {
                **report_summary(report),
                "environment": self._environment_name(job),
                "duration_s": round(duration, 1),
            }
            wrote = await self.store.complete(
                alert_id=job.alert_id, worker=worker, now=self.clock(), report=report, summary=summary
            )
            outcome = "done"
            log.info(
                "investigation of %s finished in %.1f s: %s%s",
                job.problem_ref,
                duration,
                f"root cause {summary['root_cause']}"
                if summary.get("root_cause")
                else "no root cause ranked",
                "" if wrote else " (another run had already stored a report; kept that one)",
            )
        except asyncio.CancelledError:
            # The service is stopping: hand the job back now (no attempt, no crash counted)
            # rather than leave it to its lease.
            renew.cancel()
            with contextlib.suppress(Exception):
                await self.store.release(alert_id=job.alert_id, worker=worker, now=self.clock())
            log.info("investigation of %s interrupted by shutdown; queued again", job.problem_ref)
            raise
        except Exception as exc:
            renew.cancel()
            permanent = is_permanent(exc)
            message = (
                f"timed out after {self.run_timeout_s:.0f} s"
                if isinstance(exc, TimeoutError)
                else str(exc)
                if isinstance(exc, RunnerError)  # already says what failed
                else f"{type(exc).__name__}: {exc}"
            )
            if permanent:
                message += " (not retried: another attempt cannot change this)"
            retry_at = (
                self.clock() + self.backoff(job.attempts)
                if job.attempts < job.max_attempts and not permanent
                else None
            )
            outcome = "retry" if retry_at is not None else "failed"
            if retry_at is not None:
                log.warning(
                    "investigation of %s attempt %d failed, retrying in %.0f s: %s",
                    job.problem_ref,
                    job.attempts,
                    retry_at - self.clock(),
                    message,
                )
            else:
                log.error(
                    "investigation of %s failed for good after attempt %d: %s",
                    job.problem_ref,
                    job.attempts,
                    message,
                )
            with contextlib.suppress(Exception):
                await self.store.fail(
                    alert_id=job.alert_id, worker=worker, now=self.clock(), error=message, retry_at=retry_at
                )
        finally:
            renew.cancel()
            self.running -= 1
        if self.on_finished is not None:
            result = self.on_finished(job, outcome)
            if inspect.isawaitable(result):
                await result
        return outcome

    async def _renew(self, job: Job, worker: str) -> None:
        """Heartbeat: renew the lease every third of it, so only a stopped worker's lease expires."""
        interval = max(0.05, self.lease_s / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                held = await self.store.renew(
                    alert_id=job.alert_id, worker=worker, now=self.clock(), lease_s=self.lease_s
                )
            except Exception as exc:  # store briefly unavailable: try again at the next beat
                log.warning("renewing the lease of %s failed: %s", job.problem_ref, exc)
                continue
            if not held:
                log.warning(
                    "the lease of %s was taken over (this worker paused past it); "
                    "the first run to finish stores the report",
                    job.problem_ref,
                )
                return
