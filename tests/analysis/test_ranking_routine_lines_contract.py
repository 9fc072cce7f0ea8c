"""Contract of the cut-path pass: a routine line that stopped is credited to the service it belongs to.

Its strength grows with how unlikely the stop is by chance (0.4 at p = 1e-3, 0.15 more per
decade), halves when the endpoint could not be judged, and is skipped when the endpoint was
simply called less. A strong cut path (at least the base strength) discounts the failures that
every caller above it logs or originates, and says which service they may be relayed from.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dynatrace_agent.analysis.evidence import Candidate, Evidence, LineShift
from dynatrace_agent.analysis.ranking.candidates import attach_evidence
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.routine_lines import routine_line_signals

from .scenarios import START, evidence, svc

FRONT, MID, DEEP = "SERVICE-000000000000000F", "SERVICE-0000000000000001", "SERVICE-0000000000000002"
OTHER = "SERVICE-0000000000000003"
PG_DEEP = "PROCESS_GROUP-0000000000000002"
TEMPLATE = "c.e.QuoteService#71 [getQuote][quote computed]"
RELAYED = "deep, which it calls, stopped a routine code path: its failures may be relayed from there"


def _shift(verdict: str = "cut", p: float = 1e-5, **kw: Any) -> LineShift:
    values: dict[str, Any] = {
        "entity": DEEP,
        "template": TEMPLATE,
        "example": "[getQuote][quote computed] price 3",
        "before": 200,
        "after": 0,
        "expected": 60.5,
        "p_value": p,
        "since": START - timedelta(minutes=1),
        "endpoint": "GET /quote",
        "endpoint_before": 90,
        "endpoint_after": 88,
        "verdict": verdict,
        "source": "fetch logs | routine lines",
    }
    values.update(kw)
    return LineShift(**values)


def _chain() -> list[Candidate]:
    """FRONT → MID → DEEP, and OTHER beside them (called by nobody in the chain)."""
    return [
        svc(FRONT, "front", calls=[MID], relations=["affected"]),
        svc(MID, "mid", calls=[DEEP], relations=["callee"]),
        svc(DEEP, "deep", relations=["callee"], process_groups=[PG_DEEP]),
        svc(OTHER, "other", relations=["callee"]),
    ]


def _ctx(ev: Evidence) -> RankContext:
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(list(ev.candidates)),
        states={c.entity_id: CandidateState(candidate=c) for c in ev.candidates},
        scale=1.0,
    )
    attach_evidence(ctx)
    return ctx


def _run(
    *shifts: LineShift, candidates: list[Candidate] | None = None, failing: tuple[str, ...] = ()
) -> RankContext:
    ctx = _ctx(evidence(candidates=candidates or _chain(), line_shifts=list(shifts)))
    for cid in failing:
        ctx.states[cid].add("origin", 1.0, "failures originate here")
        ctx.states[cid].add("failure_rate", 0.8, "failure rate up")
    routine_line_signals(ctx)
    return ctx


def test_a_cut_path_is_credited_to_its_service_with_the_reading_a_reader_needs() -> None:
    st = _run(_shift()).states[DEEP]
    assert st.signals == {"path_cut": pytest.approx(0.7)}  # p = 1e-5: two decades past 1e-3
    (reason,) = st.reasons
    assert "routine line “[getQuote][quote computed] price 3” stopped from 10:19" in reason
    assert "(200 → 0, 60.5 expected)" in reason
    assert "while GET /quote was still called (90 → 88): its code path ends early" in reason
    (item,) = st.evidence
    assert (item.kind, item.entity_id, item.source) == ("logs", DEEP, "fetch logs | routine lines")
    assert item.summary == reason
    assert item.records == [TEMPLATE]
    assert st.hints == {"code": pytest.approx(0.7)}


def test_an_unjudged_stop_counts_half_and_does_not_claim_a_cut_path() -> None:
    st = _run(_shift("unknown")).states[DEEP]
    assert st.signals["path_cut"] == pytest.approx(0.35)
    (reason,) = st.reasons
    assert reason == "routine line “[getQuote][quote computed] price 3” stopped from 10:19 (200 → 0)"
    assert "still called" not in reason
    assert st.hints == {"code": pytest.approx(0.35)}


def test_a_line_whose_endpoint_was_called_less_is_no_evidence() -> None:
    ctx = _run(_shift("called_less"), _shift("cut", entity=OTHER), failing=(FRONT, MID))
    assert ctx.states[DEEP].signals == {} and ctx.states[DEEP].hints == {}
    assert ctx.states[OTHER].signals["path_cut"] > 0  # a later shift is still read


@pytest.mark.parametrize(
    ("p", "strength"),
    [(1e-3, 0.4), (1e-4, 0.55), (1e-2, 0.25), (1e-7, 1.0), (1e-12, 1.0), (0.0, 1.0), (1e-310, 1.0)],
)
def test_strength_grows_a_step_per_decade_from_the_reporting_threshold(p: float, strength: float) -> None:
    assert _run(_shift(p=p)).states[DEEP].signals["path_cut"] == pytest.approx(strength)


def test_a_long_line_is_cut_to_160_characters_and_a_blank_example_falls_back_to_the_template() -> None:
    long = "x" * 200
    reason = _run(_shift(example=long)).states[DEEP].reasons[0]
    assert f"“{'x' * 160}”" in reason
    reason = _run(_shift(example="")).states[DEEP].reasons[0]
    assert f"“{TEMPLATE}”" in reason


def test_the_strongest_shift_of_a_service_is_its_signal() -> None:
    st = _run(_shift(p=1e-4), _shift(p=1e-6)).states[DEEP]
    assert st.signals["path_cut"] == pytest.approx(0.85)
    assert st.hints["code"] == pytest.approx(0.55 + 0.85)  # every stop points at its code
    assert len(st.evidence) == 2


# -- whose line it is --------------------------------------------------------------------


def test_a_process_group_line_belongs_to_the_service_running_in_it() -> None:
    # The process group is also a candidate of its own; the service it runs is the owner.
    candidates = [*_chain(), svc(PG_DEEP, "deep-pg", type="PROCESS_GROUP")]
    ctx = _run(_shift(entity=PG_DEEP), candidates=candidates)
    assert ctx.states[DEEP].signals["path_cut"] > 0
    assert ctx.states[DEEP].evidence[0].entity_id == DEEP
    assert ctx.states[PG_DEEP].signals == {}


def test_a_process_group_is_matched_case_insensitively() -> None:
    ctx = _run(_shift(entity=PG_DEEP.lower()))
    assert ctx.states[DEEP].signals["path_cut"] > 0


def test_an_unknown_process_group_falls_back_to_the_line_s_service_name() -> None:
    ctx = _run(_shift(entity="PROCESS_GROUP-00000000000000AA", name="Other"))
    assert ctx.states[OTHER].signals["path_cut"] > 0
    assert ctx.states[DEEP].signals == {}


def test_a_process_group_candidate_nothing_runs_in_owns_its_line() -> None:
    pg = "PROCESS_GROUP-00000000000000AA"
    ctx = _run(_shift(entity=pg), candidates=[*_chain(), svc(pg, "lonely-pg", type="PROCESS_GROUP")])
    assert ctx.states[pg].signals["path_cut"] > 0


def test_a_line_of_an_unknown_entity_is_skipped() -> None:
    ctx = _run(_shift(entity="SERVICE-00000000000000EE"), _shift(entity=DEEP, p=1e-3))
    assert [cid for cid, st in ctx.states.items() if st.signals] == [DEEP]


# -- what it explains upstream -------------------------------------------------------------


def test_every_failing_caller_above_a_cut_path_is_discounted_and_told_why() -> None:
    ctx = _run(_shift(), failing=(FRONT, MID, OTHER))
    for cid in (MID, FRONT):  # its caller and its caller's caller
        st = ctx.states[cid]
        assert st.signals["origin"] == pytest.approx(0.5)
        assert st.signals["failure_rate"] == pytest.approx(0.4)
        assert st.counter == [RELAYED]
        assert st.explained_by == [DEEP]
    other = ctx.states[OTHER]  # not above it: untouched
    assert other.signals == {"origin": 1.0, "failure_rate": 0.8} and other.counter == []


def test_a_caller_with_error_logs_only_is_discounted_too() -> None:
    ctx = _ctx(evidence(candidates=_chain(), line_shifts=[_shift()]))
    ctx.states[MID].add("logs", 0.6, "error logs up")
    ctx.states[FRONT].add("latency", 0.6, "slower")
    routine_line_signals(ctx)
    assert ctx.states[MID].signals["logs"] == pytest.approx(0.3)
    assert ctx.states[MID].counter == [RELAYED]
    # a caller that neither fails nor logs errors has nothing relayed to discount
    assert ctx.states[FRONT].signals == {"latency": 0.6} and ctx.states[FRONT].counter == []


def test_only_a_stop_at_least_at_the_base_strength_explains_callers() -> None:
    at_base = _run(_shift(p=1e-3), failing=(MID,))
    assert at_base.states[MID].counter == [RELAYED]
    weak = _run(_shift(p=2e-3), failing=(MID,))
    assert weak.states[MID].signals["origin"] == 1.0 and weak.states[MID].counter == []
    unjudged = _run(_shift("unknown", p=1e-5), failing=(MID,))  # 0.35 after halving
    assert unjudged.states[MID].counter == []


def test_a_cycle_in_the_calls_ends_and_never_discounts_the_cut_service_itself() -> None:
    candidates = [
        svc(FRONT, "front", calls=[MID]),
        svc(MID, "mid", calls=[DEEP, FRONT]),
        svc(DEEP, "deep", calls=[MID]),
    ]
    ctx = _run(_shift(), candidates=candidates, failing=(FRONT, MID, DEEP))
    assert ctx.states[DEEP].signals["origin"] == 1.0 and ctx.states[DEEP].counter == []
    assert ctx.states[MID].counter == [RELAYED]
    assert ctx.states[FRONT].counter == [RELAYED]


def test_each_cut_service_explains_its_own_callers() -> None:
    candidates = [
        svc(FRONT, "front", calls=[MID, OTHER]),
        svc(MID, "mid", calls=[DEEP]),
        svc(DEEP, "deep"),
        svc(OTHER, "other"),
    ]
    ctx = _run(_shift(), _shift(entity=OTHER, p=1e-4), candidates=candidates, failing=(FRONT, MID))
    assert ctx.states[MID].explained_by == [DEEP]
    assert ctx.states[FRONT].explained_by == [DEEP, OTHER]
    assert ctx.states[FRONT].signals["origin"] == pytest.approx(0.25)
    assert "other, which it calls, stopped a routine code path" in ctx.states[FRONT].counter[1]


def test_a_service_s_strongest_stop_decides_even_when_a_weaker_one_comes_later() -> None:
    ctx = _run(_shift(p=1e-5), _shift(p=2e-3), failing=(MID,))
    assert ctx.states[DEEP].signals["path_cut"] == pytest.approx(0.7)
    assert ctx.states[MID].counter == [RELAYED]


def test_a_weak_stop_elsewhere_does_not_hide_a_strong_one() -> None:
    # MID's own weak stop sorts before DEEP's strong one; DEEP still explains FRONT.
    ctx = _run(_shift(entity=MID, p=2e-3), _shift(p=1e-5), failing=(FRONT,))
    assert ctx.states[FRONT].explained_by == [DEEP]
    assert ctx.states[FRONT].counter == [RELAYED]
