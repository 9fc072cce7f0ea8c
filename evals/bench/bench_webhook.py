"""Benchmark and crash test of the webhook intake.

``python -m evals.bench.bench_webhook throughput`` starts the service under uvicorn on
loopback (SQLite store, ``synchronous=FULL``: every acknowledged notification is fsynced)
and drives it with ``wrk`` and a Lua script POSTing varied notifications (new problems,
updates, redeliveries, resolutions); it reports sustained requests/s and the p99 latency.

``python -m evals.bench.bench_webhook intake`` measures intake latency while real
investigations run: the same wrk load at 8 connections (1) with no investigations (the
baseline), (2) with the real investigation graph against the in-process simulator in worker
processes (what ``serve`` does), alternating with (1) for ``--rounds`` rounds, and (3) once
with the same investigations on the intake's own event loop (how it was before). It prints
the median p50/p99 of each, the ratio of each p99 to the baseline's, and how many
investigations finished during each window.

``python -m evals.bench.bench_webhook crash`` loads the service, kills it with SIGKILL
mid-load, restarts it on the same store and checks that every acknowledged notification is
stored and that every OPEN problem ends with exactly one finished report. The stand-in
graph logs each run's start and end, so runs cut short by the kill are counted: ``reruns``
is runs started beyond one per problem, and no problem may have used an attempt for it.

``throughput`` and ``crash`` use a small stand-in graph (``graph`` below, ~20 ms per run),
so they measure intake and queueing, not an investigation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from dynatrace_agent.client import DynatraceClient
from graphs.investigation.run import InvestigationRunner, Progress

SECRET = "bench-secret-0123456789abcdefghij"


# -- the stand-in investigation graph ----------------------------------------------------


@dataclass
class BenchContext:
    client: Any = None
    environment: str | None = None


class BenchState(TypedDict, total=False):
    problem: str
    report: dict[str, Any]


def _log_run(event: str, problem: str) -> None:
    log = os.environ.get("DT_BENCH_RUN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{event} {problem}\n")
            fh.flush()


async def _investigate(state: BenchState, runtime: Runtime[BenchContext]) -> dict[str, Any]:
    _log_run("start", state["problem"])
    await asyncio.sleep(float(os.environ.get("DT_BENCH_RUN_S", "0.02")))
    _log_run("end", state["problem"])
    return {"report": {"problem": state["problem"], "markdown": f"# {state['problem']}\n\nbench report"}}


_builder = StateGraph(BenchState, context_schema=BenchContext)
_builder.add_node("investigate", _investigate)
_builder.add_edge(START, "investigate")
_builder.add_edge("investigate", END)
graph = _builder.compile()


class StandIn:
    """Runs the stand-in graph as the webhook's local runner runs an investigation (picklable)."""

    async def investigate(self, problem: str, **kwargs: Any) -> Any:
        raise NotImplementedError("the webhook runs investigations as JSON (run)")

    async def run(
        self, problem: str, *, client: Any, environment: str | None = None, on_progress: Any = None
    ) -> dict[str, Any]:
        result = await graph.ainvoke({"problem": problem}, context=BenchContext(client, environment))
        report: dict[str, Any] = result["report"]
        return report


@dataclass(frozen=True)
class DemoProblemRunner(InvestigationRunner):
    """The real investigation runner, always asked about the simulator's demo problem.

    The load creates thousands of problems the simulator does not know; each of their
    investigations runs the full graph on the demo incident instead, so the CPU and I/O of
    every run are those of a real investigation.
    """

    async def run(
        self,
        problem: str,
        *,
        client: DynatraceClient,
        environment: str | None = None,
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        from dynatrace_agent.commands.serve import _demo_problem

        _log_run("start", problem)
        report = await super().run(
            _demo_problem(), client=client, environment=environment, on_progress=on_progress
        )
        _log_run("end", problem)
        return report


# -- the service under test ---------------------------------------------------------------


def _serve(db: str, port: int, lease_s: float, mode: str = "standin") -> None:
    import uvicorn
    from pydantic import SecretStr

    from dynatrace_agent.commands.serve import DemoClientFactory
    from dynatrace_agent.settings import Integration, WebhookConfig
    from dynatrace_agent.webhook.app import create_app
    from dynatrace_agent.webhook.dispatch import InProcessRunner, JobRunner
    from dynatrace_agent.webhook.process_runner import ProcessPoolRunner, RunnerSpec
    from dynatrace_agent.webhook.store import QueuePolicy
    from dynatrace_agent.webhook.store_sqlite import SQLiteStore
    from dynatrace_agent.webhook.timeouts import header_timeout_protocol

    config = WebhookConfig(
        integrations=(Integration(name="bench", webhook_secret=SecretStr(SECRET)),),
        database=db,
        lease_s=lease_s,
        poll_interval_s=0.2,
        cancel_on_resolve=False,
        concurrency=4 if mode == "standin" else 2,
    )
    runner: JobRunner
    if mode == "real":  # what serve does: worker processes
        spec = RunnerSpec(DemoProblemRunner(), DemoClientFactory())
        runner = ProcessPoolRunner(spec, processes=config.investigation_processes)
    elif mode == "real-inloop":  # the same investigations on the intake's event loop
        runner = InProcessRunner(DemoProblemRunner(), DemoClientFactory())
    else:
        runner = InProcessRunner(StandIn(), lambda env: None)
    store = SQLiteStore(
        db,
        policy=QueuePolicy(max_attempts=config.max_attempts, cancel_on_resolve=config.cancel_on_resolve),
        synchronous=os.environ.get("DT_BENCH_SYNCHRONOUS", "FULL"),
    )
    app = create_app(config, runner=runner, store=store, start_workers=mode != "none")
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        access_log=False,
        log_level="warning",
        http=header_timeout_protocol(config.header_timeout_s),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    db: str,
    port: int,
    *,
    lease_s: float = 15.0,
    run_log: str | None = None,
    mode: str = "standin",
    run_s: float = 0.02,
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LANGSMITH_TRACING": "false", "DT_BENCH_RUN_S": str(run_s)}
    if run_log:
        env["DT_BENCH_RUN_LOG"] = run_log
    proc = subprocess.Popen(
        [sys.executable, "-m", "evals.bench.bench_webhook", "_serve", db, str(port), str(lease_s), mode],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            raise RuntimeError("the service exited during start-up")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the service did not start within 30 s")


# -- throughput with wrk ---------------------------------------------------------------------

_LUA = r"""
local counter = 0
local states = {"OPEN", "OPEN", "OPEN", "OPEN", "RESOLVED"}
request = function()
  counter = counter + 1
  local problem = math.random(1, %(problems)d)
  local state = states[math.random(1, #states)]
  local variant = math.random(1, 4)
  local body
  if variant == 1 then
    body = string.format('{"State":"%%s","PID":"-%%d_1718000000000V2","ProblemID":"%%d","ProblemTitle":"Failure rate increase %%d","ProblemSeverity":"ERROR","ProblemImpact":"SERVICE","ImpactedEntities":[{"type":"SERVICE","name":"svc-%%d","entity":"SERVICE-%%016X"}],"Tags":"env:prod, team:t%%d"}', state, problem, problem, counter %% 7, problem %% 50, problem %% 50, problem %% 9)
  elseif variant == 2 then
    local status = "ACTIVE"
    if state == "RESOLVED" then status = "CLOSED" end
    body = string.format('{"event.id":"-%%d_1718000000000V2","display_id":"P-%%d","event.status":"%%s","event.name":"Slowdown","event.category":"SLOWDOWN","affected_entity_ids":["SERVICE-%%016X"]}', problem, problem, status, problem %% 50)
  else
    body = string.format('{"problemId":"P-%%d","pid":"-%%d_1718000000000V2","state":"%%s","title":"Problem %%d","severity":"PERFORMANCE","impactedEntityNames":"svc-%%d","tags":"app:a%%d"}', problem, problem, state, problem, problem %% 50, problem %% 5)
  end
  return wrk.format("POST", "/webhooks/dynatrace/%(secret)s", {["Content-Type"] = "application/json"}, body)
end
"""  # noqa: E501


def _latency_ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _wrk(port: int, script: Path, duration_s: int, connections: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian package 'wrk')")
    out = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{connections}",
            f"-d{duration_s}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _latency_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99_ms": _latency_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def throughput(duration_s: int = 10, connections: int = 32, problems: int = 2000) -> dict[str, Any]:
    """Sustained req/s and p99 of the intake under wrk; the store fsyncs every commit."""
    work = Path(tempfile.mkdtemp(prefix="dt-bench-"))
    port = _free_port()
    script = work / "notify.lua"
    script.write_text(_LUA % {"problems": problems, "secret": SECRET})
    proc = _start(str(work / "alerts.sqlite3"), port)
    try:
        figures = _wrk(port, script, duration_s, connections)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    with sqlite3.connect(work / "alerts.sqlite3") as conn:
        stored = conn.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
        dups = conn.execute("SELECT COALESCE(SUM(duplicate_count), 0) FROM alerts").fetchone()[0]
        alerts = conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    shutil.rmtree(work, ignore_errors=True)
    return {
        **figures,
        "alerts": alerts,
        "notifications_stored": stored,
        "duplicates": dups,
        "connections": connections,
        "duration_s": duration_s,
        "synchronous": "FULL",
    }


def _intake_under(mode: str, duration_s: int, connections: int, problems: int) -> dict[str, Any]:
    """wrk against a service whose workers run ``mode`` (none, real, real-inloop)."""
    import httpx

    work = Path(tempfile.mkdtemp(prefix="dt-bench-intake-"))
    port = _free_port()
    script = work / "notify.lua"
    script.write_text(_LUA % {"problems": problems, "secret": SECRET})
    run_log = work / "runs.log"
    db = str(work / "alerts.sqlite3")
    proc = _start(db, port, run_log=str(run_log), mode=mode)
    try:
        if mode != "none":  # warm up: the first investigation starts the worker processes
            body = {"pid": "-0_warmup", "state": "OPEN", "title": "warm-up"}
            httpx.post(f"http://127.0.0.1:{port}/webhooks/dynatrace/{SECRET}", json=body, timeout=10)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and "end" not in (
                run_log.read_text() if run_log.exists() else ""
            ):
                time.sleep(0.2)
        before = _runs(run_log)
        figures = _wrk(port, script, duration_s, connections)
        after = _runs(run_log)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    shutil.rmtree(work, ignore_errors=True)
    return {
        "mode": mode,
        **figures,
        "investigations_finished_during_load": after["end"] - before["end"],
        "investigations_started_during_load": after["start"] - before["start"],
    }


def _runs(run_log: Path) -> dict[str, int]:
    counts = {"start": 0, "end": 0}
    if run_log.exists():
        for line in run_log.read_text().splitlines():
            event = line.split(" ", 1)[0]
            if event in counts:
                counts[event] += 1
    return counts


def intake(
    duration_s: int = 10, connections: int = 8, problems: int = 2000, rounds: int = 2
) -> dict[str, Any]:
    """Intake latency with no investigations, with real ones in worker processes, and on the loop.

    The baseline and the worker-process modes alternate for ``rounds`` rounds (a shared
    machine's load drifts; alternating lets both see the same drift) and each reports its
    median p99; the on-the-loop mode, orders of magnitude slower, runs once.
    """
    runs: dict[str, list[dict[str, Any]]] = {"none": [], "real": []}
    for _ in range(max(1, rounds)):
        for mode in ("none", "real"):
            runs[mode].append(_intake_under(mode, duration_s, connections, problems))
    inloop = _intake_under("real-inloop", duration_s, connections, problems)
    summary: dict[str, Any] = {}
    for mode, results in runs.items():
        summary[mode] = {
            "p99_ms_median": round(statistics.median(r["p99_ms"] for r in results), 1),
            "p99_ms_each": [r["p99_ms"] for r in results],
            "p50_ms_median": round(statistics.median(r["p50_ms"] for r in results), 1),
            "requests_per_s_median": statistics.median(r["requests_per_s"] for r in results),
            "non_2xx": sum(r["non_2xx"] for r in results),
            "investigations_finished_during_load": [
                r["investigations_finished_during_load"] for r in results
            ],
        }
    summary["real-inloop"] = {
        "p99_ms_median": inloop["p99_ms"],
        "p50_ms_median": inloop["p50_ms"],
        "requests_per_s_median": inloop["requests_per_s"],
        "non_2xx": inloop["non_2xx"],
        "investigations_finished_during_load": [inloop["investigations_finished_during_load"]],
    }
    base = summary["none"]["p99_ms_median"]
    for result in summary.values():
        result["p99_vs_baseline"] = round(result["p99_ms_median"] / base, 2) if base else None
    return {
        "connections": connections,
        "duration_s": duration_s,
        "rounds": rounds,
        "target_p99_ms_with_investigations": 50,
        **summary,
    }


# -- crash test ------------------------------------------------------------------------------


def _body(problem: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.random()
    state = "RESOLVED" if kind < 0.1 else "OPEN"
    return {
        "pid": f"-{problem}_1718000000000V2",
        "problemId": f"P-{problem}",
        "state": state,
        "title": f"problem {problem} v{rng.randint(1, 3)}",
        "impactedEntityNames": f"svc-{problem % 20}",
    }


async def _load(
    port: int, stop_at: float, acked: list[tuple[dict[str, Any], str]], seed: int, problems: int
) -> int:
    import httpx

    rng = random.Random(seed)
    failures = 0
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

        async def worker() -> None:
            nonlocal failures
            while time.monotonic() < stop_at:
                body = _body(rng.randint(1, problems), rng)
                try:
                    response = await client.post(f"/webhooks/dynatrace/{SECRET}", json=body)
                except httpx.HTTPError:
                    failures += 1
                    await asyncio.sleep(0.05)
                    continue
                if response.status_code == 202:
                    acked.append((body, response.json()["alert_id"]))

        await asyncio.gather(*(worker() for _ in range(16)))
    return failures


def crash(load_s: float = 4.0, problems: int = 400) -> dict[str, Any]:
    """Kill -9 under load, restart, verify nothing acknowledged was lost and runs are once."""
    from dynatrace_agent.webhook.payloads import body_hash

    work = Path(tempfile.mkdtemp(prefix="dt-crash-"))
    db, run_log = str(work / "alerts.sqlite3"), str(work / "runs.log")
    port = _free_port()
    acked: list[tuple[dict[str, Any], str]] = []
    # runs of 0.5 s: long enough that the kill cuts some short
    proc = _start(db, port, lease_s=2.0, run_log=run_log, run_s=0.5)

    async def scenario() -> int:
        stop_at = time.monotonic() + load_s
        load = asyncio.create_task(_load(port, stop_at, acked, 1, problems))
        await asyncio.sleep(load_s / 2)
        os.kill(proc.pid, signal.SIGKILL)  # mid-load, mid-investigations
        return await load

    refused = asyncio.run(scenario())
    proc.wait()
    acked_at_kill = len(acked)
    proc = _start(db, port, lease_s=2.0, run_log=run_log, run_s=0.5)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as conn:
                pending = conn.execute(
                    "SELECT COUNT(*) FROM investigations WHERE status IN ('queued', 'running')"
                ).fetchone()[0]
            if pending == 0:
                break
            time.sleep(0.25)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        stored = {(a, h) for a, h in conn.execute("SELECT alert_id, body_hash FROM notifications")}
        opened = {r[0] for r in conn.execute("SELECT id FROM alerts WHERE opened = 1")}
        inv = dict(conn.execute("SELECT alert_id, status FROM investigations").fetchall())
        attempts = dict(conn.execute("SELECT alert_id, attempts FROM investigations").fetchall())
        crashes = dict(conn.execute("SELECT alert_id, crashes FROM investigations").fetchall())
        refs = dict(conn.execute("SELECT alert_id, problem_ref FROM investigations").fetchall())
        reports = {r[0] for r in conn.execute("SELECT id FROM alerts WHERE report IS NOT NULL")}
    lost = [b for b, a in acked if (a, body_hash(b)) not in stored]
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    for line in Path(run_log).read_text().splitlines():
        event, _, problem = line.partition(" ")
        target = starts if event == "start" else ends
        target[problem] = target.get(problem, 0) + 1
    not_done = [a for a in opened if inv.get(a) != "done" or a not in reports]
    never_run = [a for a in opened if starts.get(refs.get(a, ""), 0) == 0]
    shutil.rmtree(work, ignore_errors=True)
    return {
        "acknowledged": len(acked),
        "acknowledged_before_kill": acked_at_kill,
        "refused_during_outage": refused,
        "lost": len(lost),
        "open_problems": len(opened),
        "investigations_done": sum(s == "done" for s in inv.values()),
        "open_problems_not_done": len(not_done),
        "open_problems_never_run": len(never_run),
        "runs_started": sum(starts.values()),
        "runs_finished": sum(ends.values()),
        "runs_cut_short_by_the_kill": sum(starts.values()) - sum(ends.values()),
        "reruns": sum(n - 1 for n in starts.values() if n > 1),
        "jobs_with_a_crash_counted": sum(1 for c in crashes.values() if c),
        "attempts_used_beyond_one": sum(max(0, int(n) - 1) for n in attempts.values()),
        "ok": not lost
        and not not_done
        and not never_run
        and not any(int(n) > 1 for n in attempts.values())
        and sum(n - 1 for n in starts.values() if n > 1) <= sum(starts.values()) - sum(ends.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=["throughput", "intake", "crash", "all", "_serve"])
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="intake: alternating rounds per mode")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if args.what == "_serve":
        _serve(
            args.rest[0],
            int(args.rest[1]),
            float(args.rest[2]),
            args.rest[3] if len(args.rest) > 3 else "standin",
        )
        return 0
    results: dict[str, Any] = {}
    if args.what in ("throughput", "all"):
        results["throughput"] = throughput(args.duration, args.connections)
    if args.what in ("intake", "all"):
        results["intake"] = intake(args.duration, 8, rounds=args.rounds)
    if args.what in ("crash", "all"):
        results["crash"] = crash()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    return 0 if results.get("crash", {}).get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
