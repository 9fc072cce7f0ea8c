"""Traffic: a request-rate surge at an entry point explains the load-induced trouble below it.

A service whose extra traffic comes from a caller with extra traffic keeps 0.3 of its
throughput signal and names that caller. An entry point (no caller with extra traffic) whose
throughput signal is at least 0.5 explains the symptoms of every service below it whose
throughput rose too (halved, "overload, not a fault") and the resource trouble of their hosts;
it gets the traffic category hint and a ``load`` signal as strong as the worst overloaded
service, but never stronger than its own surge.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Candidate
from dynatrace_agent.analysis.ranking.candidates import attach_evidence
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.scoring import combine
from dynatrace_agent.analysis.ranking.traffic import traffic_signals

from .scenarios import evidence, svc

ENTRY, MID, LEAF, HOST = "SERVICE-ENTRY", "SERVICE-MID", "SERVICE-LEAF", "HOST-0000000000000001"
OVERLOAD = ("origin", "failure_rate", "failure_metric", "latency", "logs", "resource", "propagation")


def _ctx(*candidates: Candidate) -> RankContext:
    ev = evidence(candidates=list(candidates))
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(list(candidates)),
        states={c.entity_id: CandidateState(candidate=c) for c in candidates},
        scale=1.0,
    )
    attach_evidence(ctx)
    return ctx


def _chain() -> RankContext:
    """entry → mid → leaf, mid on a host."""
    return _ctx(
        svc(ENTRY, "entry", calls=[MID]),
        svc(MID, "mid", calls=[LEAF], hosts=[HOST]),
        svc(LEAF, "leaf"),
        svc(HOST, "host-1", type="HOST"),
    )


def test_a_surge_at_the_entry_point_explains_the_overload_below_it() -> None:
    ctx = _chain()
    entry, mid, host = ctx.states[ENTRY], ctx.states[MID], ctx.states[HOST]
    entry.signals["throughput"] = 0.8
    mid.signals.update({name: 0.6 for name in OVERLOAD})
    mid.signals.update({"throughput": 0.6, "network": 0.6, "change": 0.6})
    host.signals["resource"] = 0.5
    traffic_signals(ctx)
    # mid's extra traffic comes from entry
    assert mid.signals["throughput"] == pytest.approx(0.18)
    assert "its extra traffic comes from entry" in mid.counter
    # …so its symptoms are overload, halved, and entry explains them
    for name in OVERLOAD:
        assert mid.signals[name] == pytest.approx(0.3), name
    assert mid.signals["network"] == 0.6 and mid.signals["change"] == 0.6  # not symptoms of load
    assert mid.explained_by == [ENTRY]
    assert any("traffic surge from entry: overload, not a fault" in c for c in mid.counter)
    # …and its host's resource trouble is load as well
    assert host.signals["resource"] == pytest.approx(0.25)
    assert host.explained_by == [ENTRY]
    assert host.counter == ["its load comes from the traffic surge on entry"]
    # the entry point is the cause: a traffic hint and a load signal
    assert entry.hints == {"traffic": 2.0}
    assert entry.signals["throughput"] == 0.8
    assert entry.reasons == ["the services it calls are overloaded by its extra traffic: mid"]
    assert entry.counter == []


def test_the_load_signal_is_the_worst_overloaded_service_capped_by_the_surge() -> None:
    ctx = _chain()
    ctx.states[ENTRY].signals["throughput"] = 0.9
    ctx.states[MID].signals.update({"throughput": 0.6, "latency": 0.4})
    ctx.states[LEAF].signals.update({"throughput": 0.6, "latency": 1.0, "origin": 1.0})
    traffic_signals(ctx)
    leaf_deviation = combine({"throughput": 0.18, "latency": 1.0, "origin": 1.0})
    assert ctx.states[ENTRY].signals["load"] == pytest.approx(leaf_deviation)
    assert ctx.states[ENTRY].reasons == [
        "the services it calls are overloaded by its extra traffic: mid, leaf"
    ]
    capped = _chain()
    capped.states[ENTRY].signals["throughput"] = 0.5
    capped.states[MID].signals.update({"throughput": 1.0, "latency": 1.0, "origin": 1.0, "resource": 1.0})
    traffic_signals(capped)
    assert capped.states[ENTRY].signals["load"] == pytest.approx(0.5)


def test_a_surge_counts_from_half_strength() -> None:
    at_half = _chain()
    at_half.states[ENTRY].signals["throughput"] = 0.5
    at_half.states[MID].signals.update({"throughput": 0.6, "latency": 0.6})
    traffic_signals(at_half)
    assert at_half.states[ENTRY].hints == {"traffic": 2.0}
    assert at_half.states[MID].signals["latency"] == pytest.approx(0.3)
    below = _chain()
    below.states[ENTRY].signals["throughput"] = 0.49
    below.states[MID].signals.update({"throughput": 0.6, "latency": 0.6})
    traffic_signals(below)
    assert below.states[ENTRY].hints == {}
    assert below.states[MID].signals["latency"] == 0.6
    assert below.states[MID].explained_by == []


def test_services_below_without_extra_traffic_are_not_overloaded() -> None:
    ctx = _chain()
    ctx.states[ENTRY].signals["throughput"] = 0.8
    ctx.states[MID].signals["latency"] = 0.6
    ctx.states[HOST].signals["resource"] = 0.5
    traffic_signals(ctx)
    assert ctx.states[MID].signals["latency"] == 0.6
    assert ctx.states[HOST].signals["resource"] == 0.5
    assert ctx.states[ENTRY].hints == {"traffic": 2.0}  # a surge, but nothing it overloads
    assert "load" not in ctx.states[ENTRY].signals
    assert ctx.states[ENTRY].reasons == []


def test_a_service_whose_caller_surges_is_no_entry_point() -> None:
    ctx = _chain()
    ctx.states[ENTRY].signals["throughput"] = 0.2
    ctx.states[MID].signals.update({"throughput": 1.0, "latency": 0.6})
    ctx.states[LEAF].signals.update({"throughput": 0.6, "latency": 0.6})
    traffic_signals(ctx)
    # mid's surge is discounted (0.3) and it is not an entry point; entry's surge is too small
    assert ctx.states[MID].signals["throughput"] == pytest.approx(0.3)
    assert ctx.states[MID].hints == {} and ctx.states[ENTRY].hints == {}
    assert ctx.states[LEAF].signals["latency"] == 0.6


def test_a_caller_without_extra_traffic_is_not_upstream() -> None:
    ctx = _chain()
    ctx.states[ENTRY].signals["throughput"] = 0.0
    ctx.states[MID].signals.update({"throughput": 0.8})
    ctx.states[LEAF].signals.update({"throughput": 0.6, "latency": 0.6})
    traffic_signals(ctx)
    assert ctx.states[MID].signals["throughput"] == 0.8
    assert ctx.states[MID].counter == []
    assert ctx.states[MID].hints == {"traffic": 2.0}
    assert ctx.states[LEAF].explained_by == [MID]
    assert ctx.states[LEAF].signals["throughput"] == pytest.approx(0.18)
    assert "its extra traffic comes from mid" in ctx.states[LEAF].counter


def test_a_caller_without_a_throughput_signal_leaves_the_surge_to_its_callee() -> None:
    ctx = _chain()  # entry has no signals at all: mid is where the traffic starts
    ctx.states[MID].signals["throughput"] = 0.8
    ctx.states[LEAF].signals.update({"throughput": 0.6, "latency": 0.6})
    traffic_signals(ctx)
    assert ctx.states[MID].signals["throughput"] == 0.8
    assert ctx.states[MID].counter == []
    assert ctx.states[MID].hints == {"traffic": 2.0}
    assert ctx.states[LEAF].explained_by == [MID]


def test_extra_traffic_from_several_callers_names_the_first_two() -> None:
    callers = [svc(f"SERVICE-C{i}", f"caller-{i}", calls=[LEAF]) for i in range(3)]
    ctx = _ctx(*callers, svc(LEAF, "leaf"))
    for c in callers:
        ctx.states[c.entity_id].signals["throughput"] = 0.3
    ctx.states[LEAF].signals["throughput"] = 0.8
    traffic_signals(ctx)
    assert ctx.states[LEAF].counter == ["its extra traffic comes from caller-0, caller-1"]


def test_the_load_reason_names_at_most_three_overloaded_services() -> None:
    below = [svc(f"SERVICE-L{i}", f"leaf-{i}") for i in range(4)]
    ctx = _ctx(svc(ENTRY, "entry", calls=[c.entity_id for c in below]), *below)
    ctx.states[ENTRY].signals["throughput"] = 0.9
    for c in below:
        ctx.states[c.entity_id].signals.update({"throughput": 0.5, "latency": 0.5})
    traffic_signals(ctx)
    assert ctx.states[ENTRY].reasons == [
        "the services it calls are overloaded by its extra traffic: leaf-0, leaf-1, leaf-2"
    ]


def test_a_throughput_signal_of_zero_is_no_extra_traffic() -> None:
    ctx = _chain()
    ctx.states[MID].signals["throughput"] = 0.8
    ctx.states[LEAF].signals.update({"throughput": 0.0, "latency": 0.6})
    traffic_signals(ctx)
    assert not any("extra traffic comes from" in c for c in ctx.states[LEAF].counter)
    assert ctx.states[LEAF].signals["throughput"] == 0.0


def test_a_host_without_resource_trouble_or_unknown_is_left_alone() -> None:
    ctx = _ctx(
        svc(ENTRY, "entry", calls=[MID]),
        svc(MID, "mid", hosts=[HOST, "HOST-NOWHERE"]),
        svc(HOST, "host-1", type="HOST"),
    )
    ctx.states[ENTRY].signals["throughput"] = 0.8
    ctx.states[MID].signals.update({"throughput": 0.6, "latency": 0.6})
    ctx.states[HOST].signals["latency"] = 0.4
    traffic_signals(ctx)
    assert ctx.states[MID].explained_by == [ENTRY]
    assert ctx.states[HOST].explained_by == []
    assert ctx.states[HOST].counter == []
    assert ctx.states[HOST].signals == {"latency": 0.4}
