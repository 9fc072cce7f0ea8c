"""Contract of the starvation pass: a service whose own CPU/memory rose owns its slowdown.

Self time would blame what it calls; a starved process is slow in everything, its outgoing
calls included, so its p90 slowdown becomes its own latency signal, with the reading a report
reader sees ("p90 100 ms → 400 ms"), traces evidence, and a resource hint.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Evidence
from dynatrace_agent.analysis.ranking.candidates import attach_evidence
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.starvation import MIN_RESOURCE, starvation_signals

from .scenarios import evidence, svc, traces

CART = "SERVICE-00000000000000CA"
PAY = "SERVICE-00000000000000BB"
WAITS = "its p90 rose but its own time did not: it waits on something it calls"


def _ctx(ev: Evidence) -> RankContext:
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(list(ev.candidates)),
        states={c.entity_id: CandidateState(candidate=c) for c in ev.candidates},
        scale=1.0,
    )
    attach_evidence(ctx)
    return ctx


def _starved(
    p90: tuple[float, float] = (100.0, 400.0), resource: float = 1.0, *, with_traces: bool = True
) -> RankContext:
    ev = evidence(
        candidates=[svc(CART, "cart", relations=["affected"])],
        traces=[traces(CART, p90=p90)] if with_traces else [],
    )
    ctx = _ctx(ev)
    ctx.own_resource[CART] = resource
    ctx.states[CART].counter = [WAITS, "a change elsewhere"]
    starvation_signals(ctx)
    return ctx


def test_a_starved_service_owns_its_slowdown_with_the_p90_reading_and_traces_evidence() -> None:
    st = _starved().states[CART]
    # p90 ×4 is a full-strength slowdown; resource evidence at full strength keeps it whole.
    assert st.signals == {"latency": 1.0}
    assert len(st.reasons) == 1
    reason = st.reasons[0]
    assert "p90 100 ms → 400 ms" in reason
    assert "while its own resource use rose" in reason
    assert "starved process is slow in everything" in reason
    assert len(st.evidence) == 1
    item = st.evidence[0]
    assert (item.kind, item.entity_id, item.source) == ("traces", CART, "fetch spans")
    assert item.summary == "response time p90 100 → 400 ms with resource use up"
    assert st.hints == {"resource": 1.0}


def test_the_waiting_counter_is_withdrawn_and_other_counters_stay() -> None:
    st = _starved().states[CART]
    assert st.counter == ["a change elsewhere"]


def test_large_figures_are_written_with_thousands_separators() -> None:
    st = _starved(p90=(1200.0, 4800.0)).states[CART]
    assert "p90 1,200 ms → 4,800 ms" in st.reasons[0]
    assert st.evidence[0].summary.startswith("response time p90 1,200 → 4,800 ms")


def test_the_latency_signal_grows_with_the_resource_evidence() -> None:
    half = _starved(p90=(100.0, 200.0), resource=0.5).states[CART].signals["latency"]
    full = _starved(p90=(100.0, 200.0), resource=1.0).states[CART].signals["latency"]
    assert 0.0 < half < full
    assert half == pytest.approx(full / 2)


@pytest.mark.parametrize(("resource", "fires"), [(0.5, True), (1.0, True), (0.49, False), (0.0, False)])
def test_resource_evidence_must_reach_the_minimum(resource: float, fires: bool) -> None:
    assert MIN_RESOURCE == 0.5  # the documented minimum the cases straddle
    st = _starved(resource=resource).states[CART]
    assert ("latency" in st.signals) is fires
    assert (st.hints.get("resource") == 1.0) is fires
    assert (WAITS in st.counter) is not fires


@pytest.mark.parametrize(
    ("p90", "fires"),
    [
        ((10.0, 15.0), True),  # 5 ms more and ×1.5: slowed
        ((10.0, 14.9), False),  # under 5 ms more: noise however large the ratio
        ((100.0, 128.0), False),  # 28 ms more but under ×1.3: no slowdown
        ((100.0, 100.0), False),
        ((100.0, 60.0), False),  # faster
    ],
)
def test_only_a_real_slowdown_counts(p90: tuple[float, float], fires: bool) -> None:
    st = _starved(p90=p90).states[CART]
    assert ("latency" in st.signals) is fires
    # without a slowdown nothing about it changes: no resource hint, the waiting counter stays
    assert ("resource" in st.hints) is fires
    assert (WAITS in st.counter) is not fires


def test_a_service_without_traces_is_left_alone() -> None:
    st = _starved(with_traces=False).states[CART]
    assert st.signals == {} and st.hints == {} and WAITS in st.counter


def test_each_starved_service_is_judged_on_its_own() -> None:
    # A weak, an unknown and a trace-less entity come first; the starved one after them still counts.
    ev = evidence(
        candidates=[svc(CART, "cart"), svc(PAY, "payment")],
        traces=[traces(CART, p90=(100.0, 400.0)), traces(PAY, p90=(100.0, 400.0))],
    )
    ctx = _ctx(ev)
    ctx.own_resource.update({"SERVICE-UNKNOWN": 1.0, PAY: 0.2, CART: 0.9})
    starvation_signals(ctx)
    assert ctx.states[CART].signals["latency"] == pytest.approx(0.9)
    assert ctx.states[PAY].signals == {}

    ctx = _ctx(ev)
    ctx.own_resource.update({PAY: 1.0, CART: 1.0})
    ctx.states[PAY].traces = traces(PAY, p90=(100.0, 100.0))  # not slower: skipped
    starvation_signals(ctx)
    assert ctx.states[CART].signals["latency"] == 1.0
    assert ctx.states[PAY].signals == {}
