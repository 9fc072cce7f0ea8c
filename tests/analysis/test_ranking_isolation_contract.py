"""Contract of the isolation pass: what "nothing connects it to the problem" means, and what it costs.

An entity that only metric dimensions brought in keeps half of its deviation, but only while a
connected candidate deviates enough to be a lead; any call, trace, log, host, process group or
change that ties it to the problem keeps it whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from dynatrace_agent.analysis.evidence import Candidate, Evidence, LogStats
from dynatrace_agent.analysis.ranking.candidates import attach_evidence
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.isolation import LEAD, unconnected_signals

from .scenarios import change, evidence, svc, traces

FRONT = "SERVICE-00000000000000F1"
BATCH = "SERVICE-00000000000000BA"


def _ctx(ev: Evidence) -> RankContext:
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(list(ev.candidates)),
        states={c.entity_id: CandidateState(candidate=c) for c in ev.candidates},
        scale=1.0,
        changes=list(ev.changes),
    )
    attach_evidence(ctx)
    return ctx


def _batch(**kw: Any) -> Candidate:
    kw.setdefault("relations", ["other"])
    return svc(BATCH, kw.pop("name", "Batch-Export"), **kw)


def _run(batch: Candidate, *, front_failure_rate: float = 1.0, **ev: Any) -> RankContext:
    """FRONT is the affected service (failing at ``front_failure_rate``); BATCH's resource use rose."""
    ctx = _ctx(evidence(candidates=[svc(FRONT, "front", relations=["affected"]), batch], **ev))
    ctx.states[FRONT].add("failure_rate", front_failure_rate, "front fails")
    ctx.states[BATCH].add("resource", 1.0, "batch CPU up")
    ctx.states[BATCH].add("davis", 1.0, "Davis named it")
    unconnected_signals(ctx)
    return ctx


def _discounted(ctx: RankContext) -> bool:
    st = ctx.states[BATCH]
    return st.signals["resource"] < 1.0 or any("nothing connects it" in c for c in st.counter)


def test_an_entity_only_metrics_brought_in_keeps_half_its_deviation_and_says_why() -> None:
    ctx = _run(_batch())
    batch = ctx.states[BATCH]
    assert batch.signals["resource"] == pytest.approx(0.5)  # half of it
    assert batch.signals["davis"] == 1.0  # Davis's opinion is no deviation: not discounted
    assert batch.counter == [
        "nothing connects it to the affected services (no call, trace, log, change or shared host)"
    ]
    assert batch.explained_by == []  # no other candidate explains it
    front = ctx.states[FRONT]
    assert front.signals == {"failure_rate": 1.0} and front.counter == []


def test_the_discount_needs_a_connected_lead() -> None:
    # FRONT deviates 0.25 * strength: just above and just below the LEAD of 0.15.
    assert _discounted(_run(_batch(), front_failure_rate=0.62))
    quiet = _run(_batch(), front_failure_rate=0.58)
    assert quiet.states[FRONT].deviation() < LEAD
    assert not _discounted(quiet)
    assert quiet.states[BATCH].counter == []


def test_an_unconnected_entity_is_no_lead_for_itself() -> None:
    # Only the unconnected entity deviates: with a partial topology it may well be the cause.
    ctx = _run(_batch(), front_failure_rate=0.0)
    assert not _discounted(ctx)


CONNECTIONS: dict[str, dict[str, Any]] = {
    "it calls an affected service": {"batch": {"calls": [FRONT]}},
    "an affected service calls it": {"batch": {"called_by": [FRONT]}},
    "it shares a host": {"batch": {"hosts": ["HOST-0000000000000001"]}},
    "it runs in a known process group": {"batch": {"process_groups": ["PROCESS_GROUP-0000000000000001"]}},
    "a topology relation": {"batch": {"relations": ["other", "callee"]}},
    "its traces were read": {"ev": {"traces": [traces(BATCH)]}},
    "its logs were read": {"ev": {"logs": [LogStats(entity=BATCH, incident_errors=0)]}},
    "a change names its id": {"ev": {"changes": [change("E-1", BATCH)]}},
    "a change names its id in other case": {"ev": {"changes": [change("E-1", BATCH.lower())]}},
    "a change names it by name": {"ev": {"changes": [change("E-1", "batch-export")]}},
}


@pytest.mark.parametrize("connection", list(CONNECTIONS))
def test_anything_that_ties_it_to_the_problem_keeps_it_whole(connection: str) -> None:
    spec = CONNECTIONS[connection]
    ctx = _run(_batch(**spec.get("batch", {})), **spec.get("ev", {}))
    assert not _discounted(ctx), connection
    assert ctx.states[BATCH].signals["resource"] == 1.0


def test_a_change_of_another_entity_does_not_connect_it() -> None:
    ctx = _run(_batch(), changes=[change("E-1", FRONT)])
    assert _discounted(ctx)


def test_a_change_naming_only_its_id_connects_it_even_with_another_name() -> None:
    # The id alone is enough; the name alone is enough (above): either ties it in.
    ctx = _run(_batch(name="nightly"), changes=[change("E-1", BATCH)])
    assert not _discounted(ctx)
