"""Suspect response: a caller failing right after one callee's successful answers makes it a suspect.

The contract a report reader relies on: a callee is suspect only when at least 3 of the
caller's failing traces exist, at least 70 % of them ended with a successful answer from it,
and in the baseline (at least 2 such answers) at least 90 % of its answers were followed by
success. The suspect gets a ``suspect_response`` signal of the caller's origin strength times
that share, a reason and a trace evidence item naming the caller, a ``code`` category hint
unless it shows infrastructure trouble of its own, and the caller says whom it suspects.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import LastCallOutcome, TraceStats, TraceWindowStats
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.suspect_response import (
    caller_has_own_trouble,
    suspect_callee,
    suspect_response_signals,
)

from .scenarios import evidence, svc

CALLER, PRICE, ROUTE, OTHER = "SERVICE-BASIC", "SERVICE-PRICE", "SERVICE-ROUTE", "SERVICE-OTHER"


def _outcome(failing: int = 10, after: int = 8, calls: int = 10, ok: int = 10) -> LastCallOutcome:
    return LastCallOutcome(failing_traces=failing, after_success=after, baseline_calls=calls, baseline_ok=ok)


def _traces(service: str, last_calls: dict[str, LastCallOutcome]) -> TraceStats:
    window = TraceWindowStats(requests=300, failures=10, failure_rate=10 / 300, failure_origins=10)
    return TraceStats(
        service=service,
        baseline=TraceWindowStats(requests=300),
        incident=window,
        last_calls=last_calls,
        example_trace_ids=["trace-1", "trace-2"],
        source="fetch spans | filter dt.entity.service == basic",
    )


def _ctx(callers: dict[str, dict[str, LastCallOutcome]], *others: str, origin: float = 0.8) -> RankContext:
    """Callers (in order) with their last-call outcomes and an ``origin`` signal, plus other services."""
    ids = [*callers, *(o for o in others if o not in callers)]
    candidates = [svc(i, i.removeprefix("SERVICE-").lower()) for i in ids]
    states = {c.entity_id: CandidateState(candidate=c) for c in candidates}
    for cid, last_calls in callers.items():
        states[cid].traces = _traces(cid, last_calls)
        states[cid].signals["origin"] = origin
    return RankContext(evidence=evidence(), index=CandidateIndex(candidates), states=states, scale=1.0)


def _suspect(outcomes: dict[str, LastCallOutcome]) -> str | None:
    found = suspect_callee(outcomes)
    return None if found is None else found[0]


# --- which callee is suspect -------------------------------------------------------------


def test_three_failing_traces_are_enough_two_are_not() -> None:
    assert _suspect({PRICE: _outcome(failing=3, after=3)}) == PRICE
    assert _suspect({PRICE: _outcome(failing=2, after=2)}) is None


def test_seventy_percent_of_the_failures_must_follow_its_answer() -> None:
    assert _suspect({PRICE: _outcome(failing=10, after=7)}) == PRICE
    assert _suspect({PRICE: _outcome(failing=10, after=6)}) is None
    assert _suspect({PRICE: _outcome(failing=10, after=1)}) is None


def test_the_baseline_needs_two_answers_ninety_percent_followed_by_success() -> None:
    assert _suspect({PRICE: _outcome(calls=2, ok=2)}) == PRICE
    assert _suspect({PRICE: _outcome(calls=1, ok=1)}) is None  # one answer is no baseline
    assert _suspect({PRICE: _outcome(calls=10, ok=9)}) == PRICE
    assert _suspect({PRICE: _outcome(calls=10, ok=8)}) is None  # failed after its answers before too


def test_a_rejected_callee_does_not_hide_the_ones_after_it() -> None:
    # callees are read in name order: "OTHER" fails the share rule, "PRICE" the baseline rule
    outcomes = {
        OTHER: _outcome(after=2),
        PRICE: _outcome(calls=10, ok=5),
        ROUTE: _outcome(after=9),
    }
    assert _suspect(outcomes) == ROUTE


def test_the_callee_most_failures_follow_wins_and_ties_go_to_the_first_name() -> None:
    assert _suspect({PRICE: _outcome(after=8), ROUTE: _outcome(after=9)}) == ROUTE
    assert _suspect({PRICE: _outcome(after=9), ROUTE: _outcome(after=8)}) == PRICE
    assert _suspect({ROUTE: _outcome(after=8), PRICE: _outcome(after=8)}) == PRICE
    found = suspect_callee({PRICE: _outcome(after=8), ROUTE: _outcome(after=9)})
    assert found is not None and found[1].after_success == 9


# --- what the suspect and its caller get -----------------------------------------------------


def test_the_suspect_gets_a_signal_of_origin_times_share_with_reason_and_evidence() -> None:
    ctx = _ctx({CALLER: {PRICE: _outcome(failing=10, after=8, calls=10, ok=9)}}, PRICE)
    suspect_response_signals(ctx)
    dep = ctx.states[PRICE]
    assert dep.signals["suspect_response"] == pytest.approx(0.8 * 0.8)
    assert dep.suspect_of == CALLER
    reason = " ".join(dep.reasons)
    assert "basic fails right after successful answers" in reason
    assert "8 of its 10 failing traces" in reason
    assert "baseline: 9 of 10" in reason
    assert "wrong return value" in reason
    (item,) = dep.evidence
    assert item.kind == "traces"
    assert item.entity_id == PRICE
    assert item.source == "fetch spans | filter dt.entity.service == basic"
    assert item.records == ["trace-1", "trace-2"]
    assert "basic fails after successful calls to price" in item.summary
    counter = " ".join(ctx.states[CALLER].counter)
    assert "successful answers from price" in counter
    assert "may have returned a wrong value" in counter
    # the caller keeps its own signals: it still ranks above the suspect unless conclude says otherwise
    assert ctx.states[CALLER].signals == {"origin": 0.8}


def test_a_weaker_origin_or_share_gives_a_weaker_suspect() -> None:
    strong = _ctx({CALLER: {PRICE: _outcome(failing=10, after=10)}}, PRICE, origin=0.6)
    suspect_response_signals(strong)
    weak = _ctx({CALLER: {PRICE: _outcome(failing=10, after=7)}}, PRICE, origin=0.6)
    suspect_response_signals(weak)
    assert strong.states[PRICE].signals["suspect_response"] == pytest.approx(0.6)
    assert weak.states[PRICE].signals["suspect_response"] == pytest.approx(0.42)


def test_a_suspect_without_infrastructure_trouble_is_hinted_as_code() -> None:
    ctx = _ctx({CALLER: {PRICE: _outcome()}}, PRICE)
    suspect_response_signals(ctx)
    assert ctx.states[PRICE].hints == {"code": 1.0}


@pytest.mark.parametrize("trouble", ["resource", "neighbour", "network", "path"])
def test_a_suspect_with_infrastructure_trouble_gets_no_code_hint(trouble: str) -> None:
    ctx = _ctx({CALLER: {PRICE: _outcome()}}, PRICE)
    ctx.states[PRICE].signals[trouble] = 0.5
    suspect_response_signals(ctx)
    assert ctx.states[PRICE].suspect_of == CALLER
    assert "code" not in ctx.states[PRICE].hints


# --- which callers can name a suspect ----------------------------------------------------------


def _nothing_happened(ctx: RankContext) -> bool:
    return all(
        st.suspect_of is None and "suspect_response" not in st.signals and not st.counter
        for st in ctx.states.values()
    )


def test_a_caller_that_originates_no_failures_names_no_suspect() -> None:
    without = _ctx({CALLER: {PRICE: _outcome()}}, PRICE)
    del without.states[CALLER].signals["origin"]
    suspect_response_signals(without)
    assert _nothing_happened(without)
    zero = _ctx({CALLER: {PRICE: _outcome()}}, PRICE, origin=0.0)
    suspect_response_signals(zero)
    assert _nothing_happened(zero)


def test_a_caller_whose_failures_are_outgoing_calls_names_no_suspect() -> None:
    ctx = _ctx({CALLER: {PRICE: _outcome()}}, PRICE)
    ctx.states[CALLER].client_origin = True
    suspect_response_signals(ctx)
    assert _nothing_happened(ctx)


def test_a_caller_relaying_to_a_dependency_names_no_suspect() -> None:
    ctx = _ctx({CALLER: {PRICE: _outcome()}}, PRICE, OTHER)
    ctx.states[CALLER].relays_to = OTHER
    suspect_response_signals(ctx)
    assert _nothing_happened(ctx)


def test_a_callee_that_is_the_caller_itself_or_unknown_is_not_suspect() -> None:
    itself = _ctx({CALLER: {CALLER: _outcome()}})
    suspect_response_signals(itself)
    assert _nothing_happened(itself)
    unknown = _ctx({CALLER: {"SERVICE-NOWHERE": _outcome()}})
    suspect_response_signals(unknown)
    assert _nothing_happened(unknown)


def test_callers_without_a_suspect_do_not_stop_the_others() -> None:
    ctx = _ctx(
        {
            "SERVICE-A": {PRICE: _outcome(after=1)},  # no clear suspect
            "SERVICE-B": {"SERVICE-NOWHERE": _outcome()},  # suspect not a candidate
            "SERVICE-C": {PRICE: _outcome()},
        },
        PRICE,
    )
    suspect_response_signals(ctx)
    assert ctx.states[PRICE].suspect_of == "SERVICE-C"


def test_a_callee_is_suspect_of_one_caller_only_and_others_still_count() -> None:
    ctx = _ctx(
        {
            "SERVICE-A": {PRICE: _outcome(after=8)},
            "SERVICE-B": {PRICE: _outcome(after=10)},
            "SERVICE-C": {ROUTE: _outcome()},
        },
        PRICE,
        ROUTE,
    )
    suspect_response_signals(ctx)
    assert ctx.states[PRICE].suspect_of == "SERVICE-A"
    assert len(ctx.states[PRICE].reasons) == 1
    assert not ctx.states["SERVICE-B"].counter
    assert ctx.states[ROUTE].suspect_of == "SERVICE-C"


# --- the caller's own trouble -----------------------------------------------------------------


@pytest.mark.parametrize(
    "signal", ["change", "latency", "network", "path", "resource", "neighbour", "throughput", "load"]
)
def test_a_caller_with_trouble_of_its_own_says_so(signal: str) -> None:
    st = CandidateState(candidate=svc(CALLER, "basic"), signals={"origin": 0.9, signal: 0.4})
    assert caller_has_own_trouble(st) is True


def test_failures_alone_are_no_trouble_of_its_own() -> None:
    st = CandidateState(
        candidate=svc(CALLER, "basic"),
        signals={"origin": 0.9, "failure_rate": 0.8, "logs": 0.7, "latency": 0.0},
    )
    assert caller_has_own_trouble(st) is False
