"""Record the demo incident from the simulator, replay the recording: the same verdict."""

from __future__ import annotations

from pathlib import Path

from dynatrace_agent.case import load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.record import RecordLimits, record_case
from dynatrace_agent.report import InvestigationReport
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from dynatrace_agent.simulator.inprocess import demo_case
from graphs.investigation.run import investigate


async def _investigate(case_path: Path | None, options: SimulatorOptions) -> InvestigationReport:
    case = demo_case() if case_path is None else load_case(case_path)
    async with DynatraceClient(
        simulator_settings(options), transport=simulator_transport(case, options)
    ) as client:
        return await investigate(case.problem, client=client)


async def test_recorded_demo_replays_to_the_same_report(tmp_path: Path) -> None:
    options = SimulatorOptions()
    source = demo_case()
    async with DynatraceClient(
        simulator_settings(options), transport=simulator_transport(source, options)
    ) as client:
        await record_case(client, source.problem, tmp_path / "rec", now=source.now, limits=RecordLimits())
    original = await _investigate(None, options)
    replayed = await _investigate(tmp_path / "rec", options)
    assert [c.entity_id for c in replayed.ranked_root_causes[:1]] == [
        c.entity_id for c in original.ranked_root_causes[:1]
    ]
    assert replayed.category == original.category
    assert replayed.triggering_change == original.triggering_change
