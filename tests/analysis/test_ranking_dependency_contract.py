"""Failing outgoing calls move the blame from the calling service to the dependency they reach.

For a service whose failures originate in its client spans: the dependency its calls failed
against most (ties by name; matched exactly or by a name one contains the other) gets a
``dependency`` signal of the caller's origin strength, a reason and evidence naming both ends
with "→"; without a matching name, its only database or external callee does. The caller
keeps 0.4 of its origin and failure rate, relays to the dependency and says so. When no
dependency can be named, the caller gets the dependency category hint and lists the targets.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Candidate, TraceStats
from dynatrace_agent.analysis.ranking.candidates import attach_evidence
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.dependency import dependency_signals

from .scenarios import evidence, svc, traces

FRONT, DB, DB2, API = (
    "SERVICE-00000000000000F1",
    "DATABASE-00000000000000D1",
    "DATABASE-00000000000000D2",
    "SERVICE-00000000000000E1",
)


def _db(entity_id: str = DB, name: str = "orders-db", **kw: object) -> Candidate:
    return svc(entity_id, name, type="RELATIONAL_DATABASE_SERVICE", is_database=True, **kw)


def _front_traces(deps: dict[str, int]) -> TraceStats:
    t = traces(FRONT, failures=12, origins=12, client_origins=12, deps=deps)
    return t.model_copy(update={"example_trace_ids": ["t-1", "t-2"], "source": "fetch spans | front"})


def _ctx(
    deps: dict[str, int],
    *others: Candidate,
    origin: float | None = 0.8,
    client_origin: bool = True,
    calls: list[str] | None = None,
    failure_rate: float | None = 0.5,
) -> RankContext:
    """``front`` with client-origin failures towards ``deps`` (its calls: ``calls``), beside ``others``."""
    candidates = [svc(FRONT, "front", calls=calls or []), *others]
    ev = evidence(candidates=candidates, traces=[_front_traces(deps)])
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(candidates),
        states={c.entity_id: CandidateState(candidate=c) for c in candidates},
        scale=1.0,
    )
    attach_evidence(ctx)
    front = ctx.states[FRONT]
    front.client_origin = client_origin
    if origin is not None:
        front.signals["origin"] = origin
    if failure_rate is not None:
        front.signals["failure_rate"] = failure_rate
    return ctx


def test_the_dependency_the_calls_fail_against_takes_the_blame_with_reason_and_evidence() -> None:
    ctx = _ctx({"orders-db": 9}, _db())
    dependency_signals(ctx)
    dep, front = ctx.states[DB], ctx.states[FRONT]
    assert dep.signals == {"dependency": 0.8}
    assert dep.hints == {"dependency": 2.0}
    reason = " ".join(dep.reasons)
    assert "calls from front to it fail" in reason
    assert "12 traces" in reason and "target orders-db" in reason
    (item,) = dep.evidence
    assert item.kind == "traces"
    assert item.summary == "failing client calls front → orders-db"
    assert item.entity_id == DB
    assert item.source == "fetch spans | front"
    assert item.records == ["t-1", "t-2"]
    # the caller is the messenger: its own failure signals shrink, and it says where they go
    assert front.signals["origin"] == pytest.approx(0.32)
    assert front.signals["failure_rate"] == pytest.approx(0.2)
    assert front.relays_to == DB
    assert front.counter == ["its failures are failing calls to orders-db"]
    assert "dependency" not in front.hints


def test_a_caller_without_a_failure_rate_signal_does_not_get_one() -> None:
    ctx = _ctx({"orders-db": 9}, _db(), failure_rate=None)
    dependency_signals(ctx)
    assert "failure_rate" not in ctx.states[FRONT].signals


def test_the_target_with_most_failed_calls_wins_and_ties_go_to_the_first_name() -> None:
    most = _ctx({"orders-db": 3, "billing-db": 9}, _db(), _db(DB2, "billing-db"))
    dependency_signals(most)
    assert most.states[FRONT].relays_to == DB2
    later_name = _ctx({"billing-db": 3, "orders-db": 9}, _db(), _db(DB2, "billing-db"))
    dependency_signals(later_name)
    assert later_name.states[FRONT].relays_to == DB
    tie = _ctx({"orders-db": 5, "billing-db": 5}, _db(), _db(DB2, "billing-db"))
    dependency_signals(tie)
    assert tie.states[FRONT].relays_to == DB2
    assert "dependency" not in tie.states[DB].signals


def test_a_target_is_found_by_a_name_it_contains() -> None:
    ctx = _ctx({"jdbc:postgresql://orders-db:5432/orders": 4}, _db())
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to == DB
    assert "target jdbc:postgresql://orders-db:5432/orders" in " ".join(ctx.states[DB].reasons)


def test_a_target_naming_the_caller_itself_is_skipped_for_the_next() -> None:
    ctx = _ctx({"front": 9, "orders-db": 2}, _db())
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to == DB
    assert "dependency" not in ctx.states[FRONT].signals


def test_without_a_matching_name_the_only_database_or_external_callee_is_blamed() -> None:
    ctx = _ctx({"10.0.0.7:5432": 4}, _db(), svc(API, "helper"), calls=[DB, API])
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to == DB
    assert "target 10.0.0.7:5432" in " ".join(ctx.states[DB].reasons)
    external = svc(API, "payments-gateway", type="SERVICE", is_external=True)
    ctx = _ctx({"10.0.0.9:443": 4}, external, calls=[API])
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to == API


def test_without_any_named_target_the_callee_label_is_the_target() -> None:
    ctx = _ctx({}, _db(), calls=[DB])
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to == DB
    assert "target orders-db" in " ".join(ctx.states[DB].reasons)


def test_two_database_callees_and_no_matching_name_leave_the_blame_with_the_caller() -> None:
    ctx = _ctx(
        {"10.0.0.7:5432": 4, "10.0.0.8:5432": 2, "10.0.0.9:5432": 1, "10.0.0.1:5432": 1},
        _db(),
        _db(DB2, "billing-db"),
        calls=[DB, DB2],
    )
    dependency_signals(ctx)
    front = ctx.states[FRONT]
    assert front.relays_to is None
    assert front.hints == {"dependency": 1.0}
    assert front.reasons == ["failing outgoing calls to 10.0.0.1:5432, 10.0.0.7:5432, 10.0.0.8:5432"]
    assert front.signals["origin"] == 0.8  # nothing moved
    assert all("dependency" not in ctx.states[d].signals for d in (DB, DB2))


def test_a_caller_whose_callees_are_plain_services_keeps_the_blame() -> None:
    ctx = _ctx({}, svc(API, "helper"), calls=[API])
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to is None
    assert ctx.states[FRONT].hints == {"dependency": 1.0}
    assert ctx.states[FRONT].reasons == []  # no target to list


def test_failures_that_are_not_outgoing_calls_move_nothing() -> None:
    ctx = _ctx({"orders-db": 9}, _db(), client_origin=False)
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to is None
    assert ctx.states[DB].signals == {} and ctx.states[FRONT].hints == {}


def test_a_caller_without_traces_moves_nothing() -> None:
    ctx = _ctx({"orders-db": 9}, _db())
    ctx.states[FRONT].traces = None
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to is None
    assert ctx.states[DB].signals == {}


def test_the_dependency_gets_only_the_strength_the_caller_had() -> None:
    ctx = _ctx({"orders-db": 9}, _db(), origin=None)
    dependency_signals(ctx)
    assert "dependency" not in ctx.states[DB].signals
    assert ctx.states[FRONT].relays_to == DB


def test_a_caller_that_keeps_the_blame_does_not_stop_the_next_caller() -> None:
    ctx = _ctx({}, svc(API, "helper"), _db(), calls=[API])
    api = ctx.states[API]
    api.traces = traces(API, failures=6, origins=6, client_origins=6, deps={"orders-db": 6})
    api.client_origin = True
    api.signals["origin"] = 0.6
    dependency_signals(ctx)
    assert ctx.states[FRONT].relays_to is None
    assert api.relays_to == DB
    assert ctx.states[DB].signals == {"dependency": 0.6}
