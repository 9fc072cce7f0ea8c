"""Investigations in worker processes, so they never slow the intake's event loop.

An investigation is CPU work in Python (parsing, summarising, counting tokens) between its
API calls. Run on the intake's event loop, or on a thread of the same process, it competes
for the loop and the GIL, and intake latency climbs while investigations run. The
:class:`ProcessPoolRunner` runs each investigation in a pool of ``processes`` worker
processes (started with ``spawn``: no inherited locks or sockets); the service's own loop
only awaits the result, renews leases and writes the report.

What a worker needs is described by a picklable :class:`RunnerSpec` (the investigator and
the client factory, both plain objects whose classes pickle by reference), since closures
and clients cannot cross a process boundary. A worker that dies
(killed, out of memory) breaks the pool: the run fails with a clear :class:`RunnerError`
(retried like any failure) and the next run gets a fresh pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from dynatrace_agent.investigator import Investigator
from dynatrace_agent.webhook.dispatch import ClientFactory, InProcessRunner, RunnerError, is_permanent

__all__ = ["ProcessPoolRunner", "RunnerSpec"]


@dataclass(frozen=True)
class RunnerSpec:
    """How a worker process builds its :class:`InProcessRunner`: both parts must pickle."""

    investigator: Investigator
    client_factory: ClientFactory

    def build(self) -> InProcessRunner:
        """The runner a worker process uses (built once per worker)."""
        return InProcessRunner(self.investigator, self.client_factory)


# -- in the worker process ------------------------------------------------------------------

_worker: dict[str, Any] = {}


#: Investigation workers run at lower CPU priority: on a busy machine the intake (and the
#: Alerts page) get the CPU first, and investigations take what is left.
WORKER_NICENESS = 10


def _init_worker(spec: RunnerSpec) -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICENESS)
    _worker["runner"] = spec.build()
    _worker["loop"] = asyncio.new_event_loop()


def _run_in_worker(problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
    runner: InProcessRunner = _worker["runner"]
    loop: asyncio.AbstractEventLoop = _worker["loop"]
    try:
        return loop.run_until_complete(
            runner.run(problem_ref=problem_ref, environment=environment, alert_id=alert_id)
        )
    except Exception as exc:
        # Only a message and a flag cross back: exception classes with keyword-only
        # arguments do not survive pickling, and tracebacks may hold request details.
        raise RunnerError(f"{type(exc).__name__}: {exc}", permanent=is_permanent(exc)) from None


def _default_environment(spec: RunnerSpec) -> str | None:
    return spec.build().default_environment()


# -- in the service ---------------------------------------------------------------------------


class ProcessPoolRunner:
    """A ``JobRunner`` that runs each investigation in a worker process."""

    def __init__(self, spec: RunnerSpec, *, processes: int = 2) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.spec = spec
        self.processes = processes
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._default_env: str | None = None
        self._default_env_known = False

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.spec,),
            )
        return self._pool

    async def run(self, *, problem_ref: str, environment: str, alert_id: str) -> dict[str, Any]:
        """Run the investigation in a worker process: a stuck or crashing run cannot stop the service."""
        loop = asyncio.get_running_loop()
        try:
            report: dict[str, Any] = await loop.run_in_executor(
                self._executor(), _run_in_worker, problem_ref, environment, alert_id
            )
        except BrokenProcessPool:
            self._discard_pool()
            raise RunnerError(
                "the investigation worker process stopped (killed or out of memory) before finishing"
            ) from None
        return report

    def default_environment(self) -> str | None:
        """The default environment's name, computed once (in this process: it only reads settings)."""
        if not self._default_env_known:
            try:
                self._default_env = _default_environment(self.spec)
            except Exception:
                self._default_env = None
            self._default_env_known = True
        return self._default_env

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        """Stop the workers now: a run cut short here is picked up again when its lease expires."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # no public way to stop a busy worker
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            await asyncio.to_thread(process.join, 10)
