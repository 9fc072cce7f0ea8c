"""The SQLite-checkpointed runner resumes an interrupted investigation by problem id."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.simulator import SimulatorOptions, simulator_transport
from graphs.investigation.run import investigate_checkpointed
from tests.graphs.conftest import ClientFactory


class ProcessKilled(BaseException):
    """Stands for the process dying mid-run: not an error a branch may turn into a gap."""


class _Recorder(httpx.AsyncBaseTransport):
    """Forwards to the simulator, records paths, and breaks on the first logs query when asked."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, break_logs: bool) -> None:
        self.inner = inner
        self.break_logs = break_logs
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if self.break_logs and b"fetch logs" in request.content:
            raise ProcessKilled("process killed while querying logs")
        return await self.inner.handle_async_request(request)


async def test_interrupted_run_resumes_without_repeating_done_work(
    case: IncidentCase, make_client: ClientFactory, tmp_path: Path
) -> None:
    db = tmp_path / "runs" / "checkpoints.sqlite"
    opts = SimulatorOptions()
    broken = _Recorder(simulator_transport(case, opts), break_logs=True)
    async with make_client(opts, transport=broken) as client:
        with pytest.raises(ProcessKilled, match="process killed"):
            await investigate_checkpointed(case.problem, client=client, db_path=db)
    assert any("/problems" in p for p in broken.paths)

    progress: list[dict[str, str]] = []
    healthy = _Recorder(simulator_transport(case, opts), break_logs=False)
    async with make_client(opts, transport=healthy) as client:
        report = await investigate_checkpointed(
            case.problem, client=client, db_path=db, on_progress=progress.append
        )
    assert not any("/problems" in p for p in healthy.paths), "the problem node was not re-run"
    assert progress[0]["phase"] == "resume"
    ran = {e["phase"] for e in progress if e["status"] == "started"}
    assert "logs" in ran and "problem" not in ran
    assert report.ranked_root_causes
    assert not any(g.capability == "logs" for g in report.unavailable)

    again = _Recorder(simulator_transport(case, opts), break_logs=False)
    async with make_client(opts, transport=again) as client:
        fresh = await investigate_checkpointed(case.problem, client=client, db_path=db)
    assert any("/problems" in p for p in again.paths), "a finished thread is investigated afresh"
    assert fresh.ranked_root_causes[0].entity_id == report.ranked_root_causes[0].entity_id
