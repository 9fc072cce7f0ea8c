"""Contract of the conclusion: order, category, confidence, false alarm and the summary.

Each test hands :func:`conclude` candidate states whose signals are set directly, so the
rules that turn scores into a verdict are checked on their own: who is listed first, which
category and trigger the report names, how confident it is, and what its summary says.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Candidate, ChangeEvent, Evidence, MetricDeviation
from dynatrace_agent.analysis.ranking.conclude import conclude
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.model import Analysis
from dynatrace_agent.analysis.ranking.scoring import CHANGE_TRIGGER_THRESHOLD, combine

from .scenarios import change, evidence, metric, problem, svc

A = "SERVICE-000000000000000A"
B = "SERVICE-000000000000000B"
C = "SERVICE-000000000000000C"
D = "SERVICE-000000000000000D"
HOST = "HOST-0000000000000001"


def state(
    c: Candidate,
    signals: dict[str, float] | None = None,
    *,
    best_change: ChangeEvent | None = None,
    suspect_of: str | None = None,
) -> CandidateState:
    st = CandidateState(candidate=c, signals=dict(signals or {}))
    st.best_change = best_change
    st.suspect_of = suspect_of
    return st


def run(states: list[CandidateState], ev: Evidence | None = None, *, blind: bool = False) -> Analysis:
    cands = [st.candidate for st in states]
    ev = ev if ev is not None else evidence(candidates=cands)
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(cands),
        states={st.candidate.entity_id: st for st in states},
        scale=1.0,
        blind=blind,
    )
    return conclude(ev, ctx)


def order(result: Analysis) -> list[str]:
    return [r.entity_id for r in result.ranked]


def three_decimals(value: float) -> bool:
    return round(value, 3) == value


# --- the ranked list -----------------------------------------------------------------------


def test_each_ranked_candidate_carries_its_identity_rounded_score_and_signals() -> None:
    st = state(svc(A, "checkout"), {"origin": 0.8333333})
    st.reasons = ["failures originate here", "failures originate here"]
    st.counter = ["relayed", "relayed"]
    host = state(Candidate(entity_id=HOST, name="node-1", type="HOST"))
    result = run([host, st])

    top = result.ranked[0]
    assert (top.entity_id, top.name, top.type) == (A, "checkout", "SERVICE")
    assert result.ranked[1].type == "HOST"
    assert top.score == round(combine({"origin": 0.8333333}), 4) == 0.4167
    assert top.signals == {"origin": 0.8333}
    assert top.reasons == ["failures originate here"]
    assert top.counter_evidence == ["relayed"]


def test_equal_scores_put_the_candidate_that_deviates_itself_first() -> None:
    # A's score is a change only; B's the same score from its own failures.
    changed = state(svc(A, "changed"), {"change": 0.5})
    failing = state(svc(B, "failing"), {"origin": 0.45})
    result = run([changed, failing])
    assert result.ranked[0].score == result.ranked[1].score
    assert order(result) == [B, A]


def test_no_candidates_is_a_false_alarm_not_a_crash() -> None:
    result = run([])
    assert result.false_alarm is True
    assert result.ranked == []


# --- the verdict -----------------------------------------------------------------------------


def test_a_lone_clear_candidate_is_as_confident_as_its_score() -> None:
    result = run([state(svc(A, "checkout"), {"origin": 0.9, "failure_rate": 0.8})])
    top = result.ranked[0]
    assert top.score >= 0.3
    assert result.confidence == round(top.score, 3)
    assert result.false_alarm is False
    assert result.category == "code"
    assert result.summary == f"Most likely root cause: checkout (code, score {top.score:.2f})."


def test_confidence_grows_with_the_margin_over_the_runner_up() -> None:
    top_signals = {"origin": 0.5, "latency": 0.5}  # score about 0.39
    score = combine(top_signals)

    def confidence(runner_up: dict[str, float]) -> float:
        result = run([state(svc(A, "top"), top_signals), state(svc(B, "runner-up"), runner_up)])
        assert order(result)[0] == A or runner_up == top_signals
        assert three_decimals(result.confidence)
        return result.confidence

    tie = confidence(top_signals)
    close = confidence({"origin": 0.5})  # 0.25, about 0.14 below
    clear = confidence({"logs": 0.2})  # 0.05, more than 0.3 below
    assert 0 < tie < close < clear
    assert clear == round(score, 3)
    assert tie < 0.7 * score


def test_an_unnamed_top_candidate_is_named_by_its_id() -> None:
    result = run([state(Candidate(entity_id=A, type="SERVICE"), {"origin": 0.9})])
    assert result.summary.startswith(f"Most likely root cause: {A} (")


def test_a_strong_change_of_the_top_candidate_is_named_as_the_trigger() -> None:
    deploy = change("deploy-1", A, kind="deployment")
    st = state(svc(A, "checkout"), {"origin": 0.9, "change": 0.8}, best_change=deploy)
    result = run([st])
    assert result.triggering_change == "deploy-1"
    assert result.triggering_change_event == deploy
    assert result.category == "deployment"
    assert result.summary.startswith("Most likely root cause: checkout (deployment, score ")
    assert result.summary.endswith(", triggered by deployment “deployment of " + A + "”.")


def test_an_unnamed_trigger_is_named_by_its_event_type() -> None:
    deploy = change("deploy-1", A, kind="deployment").model_copy(update={"name": ""})
    st = state(svc(A, "checkout"), {"origin": 0.9, "change": 0.8}, best_change=deploy)
    assert run([st]).summary.endswith("triggered by deployment “CUSTOM_DEPLOYMENT”.")


def quiet_top(best_change: ChangeEvent | None, lead: str = "change") -> Analysis:
    """The top candidate scores high by a change (or Davis's word) but barely deviates itself
    (category ``none``); another candidate deviates enough that this is no false alarm."""
    top = state(svc(A, "changed"), {lead: 1.0, "failure_rate": 0.7}, best_change=best_change)
    other = state(svc(B, "slow"), {"latency": 0.6})
    result = run([top, other])
    assert order(result)[0] == A
    assert result.ranked[0].category == "none"
    assert result.false_alarm is False
    return result


def test_a_top_candidate_without_a_category_of_its_own_falls_back_to_code() -> None:
    assert quiet_top(None).category == "code"
    # A change record without a change signal, or of another kind, names no category.
    assert quiet_top(change("deploy-1", A, kind="deployment"), lead="davis").category == "code"
    assert quiet_top(change("restart-1", A, kind="other")).category == "code"


@pytest.mark.parametrize(("strength", "category"), [(0.2, "deployment"), (0.19, "code")])
def test_a_change_names_the_category_from_a_strength_of_0_2(strength: float, category: str) -> None:
    top = state(
        svc(A, "changed"),
        {"change": strength, "failure_rate": 0.7},
        best_change=change("deploy-1", A, kind="deployment"),
    )
    result = run([top, state(svc(B, "slow"), {"latency": 0.6})])
    assert order(result)[0] == A
    assert result.category == category
    assert result.triggering_change is None  # too weak to be named as the trigger


@pytest.mark.parametrize(
    ("signals", "named"),
    [
        ({"origin": 0.9, "change": CHANGE_TRIGGER_THRESHOLD}, True),
        ({"origin": 0.9, "change": CHANGE_TRIGGER_THRESHOLD - 0.01}, False),
        ({"origin": 0.9}, False),
    ],
)
def test_a_change_is_named_as_the_trigger_from_the_trigger_threshold(
    signals: dict[str, float], named: bool
) -> None:
    st = state(svc(A, "checkout"), signals, best_change=change("deploy-1", A, kind="deployment"))
    result = run([st])
    assert result.triggering_change == ("deploy-1" if named else None)
    assert ("triggered by deployment" in result.summary) is named


def test_a_top_candidates_own_deployment_names_the_category_when_its_signals_do_not() -> None:
    result = quiet_top(change("deploy-1", A, kind="deployment"))
    assert result.category == "deployment"
    assert "(deployment, score" in result.summary


# --- suspects placed below the caller whose failures follow their answers ------------------


def test_a_suspect_callee_is_placed_directly_below_its_caller() -> None:
    caller = state(svc(A, "caller"), {"origin": 0.9})
    others = [state(svc(B, "b"), {"origin": 0.6}), state(svc(C, "c"), {"origin": 0.5})]
    suspect = state(svc(D, "suspect"), {"suspect_response": 0.3}, suspect_of=A)
    result = run([caller, *others, suspect])
    assert order(result) == [A, D, B, C]
    assert result.ranked[1].score == result.ranked[2].score  # it takes the place of the one it passed


def test_every_suspect_is_placed_even_after_one_already_in_place() -> None:
    caller = state(svc(A, "caller"), {"origin": 0.9})
    in_place = state(svc(B, "in-place"), {"origin": 0.7}, suspect_of=A)
    other = state(svc(C, "c"), {"origin": 0.6})
    suspect = state(svc(D, "suspect"), {"suspect_response": 0.3}, suspect_of=C)
    assert order(run([caller, in_place, other, suspect])) == [A, B, C, D]
    far = state(svc(D, "far"), {"suspect_response": 0.1}, suspect_of=A)
    assert order(run([caller, in_place, other, far])) == [A, D, B, C]


def test_a_suspect_of_a_caller_that_is_not_a_candidate_keeps_its_place() -> None:
    caller = state(svc(A, "caller"), {"origin": 0.9})
    suspect = state(svc(B, "suspect"), {"suspect_response": 0.3}, suspect_of="SERVICE-GONE")
    assert order(run([caller, suspect])) == [A, B]


def test_a_suspect_changed_at_the_trigger_threshold_goes_above_a_caller_without_own_trouble() -> None:
    caller = state(svc(A, "caller"), {"origin": 0.9})
    suspect = state(svc(B, "suspect"), {"change": CHANGE_TRIGGER_THRESHOLD}, suspect_of=A)
    assert order(run([caller, suspect])) == [B, A]
    weaker = state(svc(B, "suspect"), {"change": CHANGE_TRIGGER_THRESHOLD - 0.01}, suspect_of=A)
    assert order(run([caller, weaker])) == [A, B]


# --- false alarm, or quiet signals with one strong series ------------------------------------


def quiet(*extra: CandidateState, metrics: list[MetricDeviation] | None = None) -> Analysis:
    """Candidates whose signals stay below noise, with series of the given metrics."""
    states = [
        state(svc(A, "busy"), {"failure_rate": 0.4}),  # deviation 0.1
        state(svc(B, "about", relations=["affected"]), {"logs": 0.1}),
        *extra,
    ]
    cands = [st.candidate for st in states]
    return run(states, evidence(candidates=cands, metrics=metrics or []))


def test_nothing_deviating_is_a_false_alarm_about_the_alerted_entity() -> None:
    result = quiet()
    assert result.false_alarm is True
    assert result.category == "none"
    assert order(result) == [B, A]  # the affected entity first, though it scores lower
    assert result.summary.startswith("No candidate deviates from its baseline beyond noise")
    assert result.summary.endswith("likely a false alarm.")


def test_false_alarm_confidence_falls_as_the_largest_deviation_grows() -> None:
    calm = run([state(svc(A, "calm"), {"logs": 0.0})])
    busy = quiet()  # largest deviation 0.1
    odd = run([state(svc(A, "odd"), {"failure_rate": 0.4 / 3})])
    assert calm.confidence == 0.9
    assert 0.5 < busy.confidence < calm.confidence
    assert busy.confidence == 0.7
    assert three_decimals(odd.confidence)
    assert odd.confidence > busy.confidence


def test_davis_root_cause_and_problem_hint_come_first_in_a_false_alarm() -> None:
    davis = state(svc(C, "davis-named", relations=["davis_root"]))
    assert order(quiet(davis)) == [B, C, A]
    hinted = state(svc(D, "hinted"))
    states = [state(svc(A, "busy"), {"failure_rate": 0.4}), hinted]
    ev = evidence(problem=problem(D, "hinted"), candidates=[st.candidate for st in states])
    assert order(run(states, ev)) == [D, A]


def strong_series(entity: str, z: float, key: str = "dt.host.net.nic.packets.dropped") -> MetricDeviation:
    return metric(entity, key, 10.0, 10.0 + z, std=1.0)


def test_a_strong_series_of_an_alerted_entity_rules_out_a_false_alarm() -> None:
    result = quiet(metrics=[strong_series(B, 10.0)])
    assert result.false_alarm is False
    assert result.category == "network"  # from the series' kind, not the problem title
    assert order(result) == [A, B]  # the ranking stays by score
    assert result.summary.startswith("Most likely root cause: busy (network): few signals deviate, but ")
    assert "dt.host.net.nic.packets.dropped of about moved strongly (10.0 → 20.0)." in result.summary


def test_the_strong_series_verdict_is_never_confident() -> None:
    moderate = quiet(metrics=[strong_series(B, 4.0)]).confidence
    strong = quiet(metrics=[strong_series(B, 6.0)]).confidence
    strongest = quiet(metrics=[strong_series(B, 40.0)]).confidence
    odd = quiet(metrics=[strong_series(B, 3.3)]).confidence
    assert 0.2 < moderate < strong == strongest == 0.4
    assert three_decimals(odd)


def test_a_series_exactly_at_the_strong_level_rules_out_a_false_alarm() -> None:
    # A move far beyond noise (strength 1) sustained through 3/14 of the incident counts 0.6.
    def brief(persistence: float) -> MetricDeviation:
        return strong_series(B, 10.0).model_copy(
            update={"incident_persistence": persistence, "incident_points": 30}
        )

    assert quiet(metrics=[brief(3 / 14)]).false_alarm is False
    assert quiet(metrics=[brief(0.2)]).false_alarm is True


def test_an_unnamed_top_candidate_of_a_strong_series_verdict_is_named_by_its_id() -> None:
    states = [
        state(Candidate(entity_id=C, type="SERVICE"), {"failure_rate": 0.4}),
        state(svc(B, "about", relations=["affected"]), {"logs": 0.1}),
    ]
    ev = evidence(candidates=[st.candidate for st in states], metrics=[strong_series(B, 10.0)])
    result = run(states, ev)
    assert result.summary.startswith(f"Most likely root cause: {C} (network)")


def test_unknown_series_means_are_shown_as_question_marks() -> None:
    m = strong_series(B, 10.0).model_copy(update={"baseline_mean": None, "incident_mean": None})
    assert "moved strongly (? → ?)." in quiet(metrics=[m]).summary


def test_the_strongest_series_of_any_alerted_entity_is_named() -> None:
    impacted = state(svc(C, "impacted-svc", relations=["impacted"]))
    davis = state(svc(D, "davis-svc", relations=["davis_root"]))
    series = [
        strong_series("SERVICE-UNKNOWN", 40.0),  # no candidate: ignored
        strong_series(A, 40.0),  # not an entity the problem is about: ignored
        strong_series(C, 4.0, key="dt.service.errors.total.count"),
        strong_series(D, 6.0, key="dt.host.disk.used"),
        strong_series(B, 6.0),  # as strong as the one before: the first one stays
    ]
    result = quiet(impacted, davis, metrics=series)
    assert "dt.host.disk.used of davis-svc moved strongly" in result.summary
    only_impacted = quiet(impacted, metrics=series[:3])
    assert "dt.service.errors.total.count of impacted-svc moved strongly" in only_impacted.summary
    unrelated = quiet(metrics=series[:2])
    assert unrelated.false_alarm is True


# --- blind: no traces, logs or metrics -------------------------------------------------------


def test_without_data_the_verdict_is_never_confident_and_never_a_false_alarm() -> None:
    # A failure-rate signal of 0.5 deviates by 0.125: below the usual noise level, but
    # without data it is all there is, so it still names the category.
    weak = run([state(svc(A, "checkout"), {"failure_rate": 0.5})], blind=True)
    assert weak.false_alarm is False
    assert weak.ranked[0].category == "code"
    assert weak.category == "code"
    assert weak.confidence == 0.05
    mid = run([state(svc(A, "checkout"), {"origin": 0.6666})], blind=True).confidence
    high = run([state(svc(A, "checkout"), {"origin": 1.0, "failure_rate": 1.0})], blind=True).confidence
    assert 0.05 < mid < high == 0.2
    assert three_decimals(mid)
    assert weak.summary.startswith(
        "No traces, logs or metrics could be read, so deviations could not be measured; the ranking "
        "rests on the problem's evidence, its entities and changes. Most likely: checkout (code)"
    )
    assert weak.summary.endswith("(code).")


def test_without_data_the_top_candidates_change_is_named() -> None:
    deploy = change("deploy-1", A, kind="deployment").model_copy(update={"name": ""})
    st = state(Candidate(entity_id=A, type="SERVICE"), {"change": 0.8}, best_change=deploy)
    result = run([st], blind=True)
    assert result.triggering_change == "deploy-1"
    assert f"Most likely: {A} (deployment)" in result.summary
    assert result.summary.endswith(", after deployment “CUSTOM_DEPLOYMENT”.")
    assert result.summary.startswith("No traces, logs or metrics could be read")
