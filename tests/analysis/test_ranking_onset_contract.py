"""Late onset: which failures count as starting later than the problem's first ones, and what that costs.

The rule reads each candidate's first incident failure. Only candidates with new failures
(at least 3, and at least twice the baseline rate plus one point in a hundred) have an onset;
the reference is the earliest onset, or the problem's start when that is later; an onset more
than 4 minutes after the reference is late: its failure symptoms count 0.4 and the report says
how many minutes later they began.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dynatrace_agent.analysis.evidence import Evidence, TraceStats, TraceWindowStats
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.onset import late_onset

from .scenarios import START, evidence, problem, svc

FIRST, LATER = "SERVICE-FIRST", "SERVICE-LATER"
#: The failure symptoms a late onset discounts.
FAILURE_SYMPTOMS = ("origin", "failure_rate", "failure_metric", "logs", "dependency", "davis_evidence")


def _traces(
    service: str,
    first_failure: datetime | None,
    *,
    failures: int = 20,
    rate: float = 0.2,
    baseline_rate: float = 0.0,
) -> TraceStats:
    return TraceStats(
        service=service,
        baseline=TraceWindowStats(requests=300, failures=0, failure_rate=baseline_rate),
        incident=TraceWindowStats(requests=300, failures=failures, failure_rate=rate),
        first_incident_failure=first_failure,
        source="fetch spans",
    )


def _ctx(*stats: TraceStats, ev: Evidence | None = None) -> RankContext:
    """A context whose candidates are the services of ``stats``, in that order."""
    ev = ev or evidence()
    candidates = [svc(t.service, t.service.split("-")[-1].lower()) for t in stats]
    states = {c.entity_id: CandidateState(candidate=c) for c in candidates}
    for t in stats:
        states[t.service].traces = t
    return RankContext(evidence=ev, index=CandidateIndex(candidates), states=states, scale=1.0)


def _at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def _late(ctx: RankContext) -> set[str]:
    return {cid for cid, st in ctx.states.items() if st.late}


def test_failures_beginning_ten_minutes_after_the_first_are_late_and_say_so() -> None:
    ctx = _ctx(_traces(FIRST, _at(1.0)), _traces(LATER, _at(11.0)))
    for st in ctx.states.values():
        st.signals["origin"] = 0.8
    late_onset(ctx)
    assert ctx.states[LATER].late is True
    assert ctx.states[FIRST].late is False
    counter = " ".join(ctx.states[LATER].counter)
    assert "began 10 min after the first failures" in counter
    assert "a consequence or a separate issue" in counter
    assert not ctx.states[FIRST].counter


def test_a_late_onset_discounts_every_failure_symptom_to_four_tenths() -> None:
    ctx = _ctx(_traces(FIRST, _at(1.0)), _traces(LATER, _at(11.0)))
    st = ctx.states[LATER]
    for name in (*FAILURE_SYMPTOMS, "latency", "resource"):
        st.signals[name] = 0.5
    late_onset(ctx)
    for name in FAILURE_SYMPTOMS:
        assert st.signals[name] == 0.2, name
    # its own latency and resource trouble are not failures: the onset does not speak to them
    assert st.signals["latency"] == 0.5
    assert st.signals["resource"] == 0.5
    assert st.explained_by == []  # a separate issue or a consequence: nobody named as the cause


def test_the_boundary_is_more_than_four_minutes() -> None:
    at_four = _ctx(_traces(FIRST, _at(1.0)), _traces(LATER, _at(5.0)))
    late_onset(at_four)
    assert _late(at_four) == set()
    just_over = _ctx(_traces(FIRST, _at(1.0)), _traces(LATER, _at(5.05)))
    late_onset(just_over)
    assert _late(just_over) == {LATER}


def test_failures_before_the_problem_opened_do_not_set_the_reference() -> None:
    """The reference is the problem's start when the earliest onset precedes it."""
    early_noise = _ctx(_traces(FIRST, _at(-10.0)), _traces(LATER, _at(2.0)), ev=evidence(problem=problem()))
    late_onset(early_noise)
    assert _late(early_noise) == set()  # 2 min after the problem opened: on time
    # …and against the earliest onset when the problem's start is unknown
    no_start = problem().model_copy(update={"start": None})
    unknown = _ctx(_traces(FIRST, _at(-10.0)), _traces(LATER, _at(2.0)), ev=evidence(problem=no_start))
    late_onset(unknown)
    assert _late(unknown) == {LATER}


def test_three_new_failures_are_enough_for_an_onset_two_are_not() -> None:
    three = _ctx(_traces(FIRST, _at(1.0), failures=3), _traces(LATER, _at(11.0)))
    late_onset(three)
    assert _late(three) == {LATER}
    two = _ctx(_traces(FIRST, _at(1.0), failures=2), _traces(LATER, _at(11.0)))
    late_onset(two)
    assert _late(two) == set()  # the only onset left is its own reference


def test_new_failures_need_twice_the_baseline_rate_plus_one_percent() -> None:
    def late_with(first_rate: float, first_baseline: float) -> set[str]:
        ctx = _ctx(
            _traces(FIRST, _at(1.0), rate=first_rate, baseline_rate=first_baseline),
            _traces(LATER, _at(11.0)),
        )
        late_onset(ctx)
        return _late(ctx)

    assert late_with(0.01, 0.0) == {LATER}  # exactly at the boundary: new failures
    assert late_with(0.0099, 0.0) == set()  # just under: no onset of its own
    assert late_with(0.25, 0.1) == {LATER}  # 2.5× the baseline: new
    assert late_with(0.2, 0.1) == set()  # only twice the baseline: not new enough


def test_a_candidate_without_new_failures_does_not_stop_the_others_being_read() -> None:
    quiet = _traces("SERVICE-QUIET", _at(0.5), rate=0.0)
    ctx = _ctx(quiet, _traces(FIRST, _at(1.0)), _traces(LATER, _at(11.0)))
    late_onset(ctx)
    assert _late(ctx) == {LATER}


def test_candidates_without_traces_or_a_first_failure_are_left_alone() -> None:
    ctx = _ctx(_traces(FIRST, None), _traces(LATER, _at(11.0)))
    ctx.states["SERVICE-NONE"] = CandidateState(candidate=svc("SERVICE-NONE", "none"))
    late_onset(ctx)
    assert _late(ctx) == set()  # the later one is the only onset: nothing is late against itself
