"""The order of the ranking where scores do not decide it: ties, and a false alarm.

Two contracts of ``conclude``: equal scores (and equal deviations) are ordered by entity id,
ascending, so the same evidence gives the same ranking whatever order it arrived in; and in
a false alarm the entities the alert is about (Davis's root-cause hint, affected entities)
come first, because scores are then noise.
"""

from __future__ import annotations

import itertools

from dynatrace_agent.analysis.evidence import Candidate
from dynatrace_agent.analysis.rank import rank_root_causes

from .scenarios import change, evidence, healthy, logs, metric, problem, svc, traces
from .test_rank import CART, CHECKOUT, FRONT, PAYMENT, _chain

E0, E1 = "SERVICE-00000000000000E0", "SERVICE-00000000000000E1"


def _with_idle_callees() -> list[Candidate]:
    return [
        *_chain(),
        svc(E1, "e1", called_by=[FRONT], relations=["callee"], hop=1),
        svc(E0, "e0", called_by=[FRONT], relations=["callee"], hop=1),
    ]


def _incident(candidates: list[Candidate]) -> list[str]:
    ev = evidence(
        candidates=candidates,
        changes=[change("decoy", CART, minutes=-3)],
        traces=[
            traces(FRONT, failures=25, origins=0, callees=[CHECKOUT]),
            traces(CHECKOUT, failures=25, origins=25),
            healthy(CART),
            healthy(E1),
            healthy(E0),
        ],
        logs=[logs(CHECKOUT, 0, 25, "KeyError: 'sku'")],
    )
    result = rank_root_causes(ev)
    assert not result.false_alarm
    return [r.entity_id for r in result.ranked]


def test_equal_scores_are_ordered_by_entity_id() -> None:
    ranked = _incident(_with_idle_callees())
    assert ranked[0] == CHECKOUT
    tied = [PAYMENT, E0, E1]  # no deviation, no change: score 0 each
    assert ranked[-3:] == sorted(tied)


def test_the_ranking_does_not_depend_on_the_order_candidates_arrive_in() -> None:
    candidates = _with_idle_callees()
    expected = _incident(candidates)
    for order in itertools.islice(itertools.permutations(candidates), 0, None, 97):
        assert _incident(list(order)) == expected


def test_a_false_alarm_puts_the_entities_the_alert_is_about_first() -> None:
    ev = evidence(
        problem=problem(CHECKOUT, "checkout"),  # Davis names checkout; frontend is "affected"
        candidates=_chain(),
        changes=[change("decoy", CART, minutes=-10)],  # gives cart a higher score than frontend
        traces=[healthy(FRONT), healthy(CHECKOUT), healthy(PAYMENT), healthy(CART)],
        logs=[logs(CHECKOUT, 3, 4)],
        metrics=[metric(CHECKOUT, "dt.service.response.time", 40_000, 41_000, std=1_500)],
    )
    result = rank_root_causes(ev)
    assert result.false_alarm and result.category == "none"
    ranked = [r.entity_id for r in result.ranked]
    scores = {r.entity_id: r.score for r in result.ranked}
    assert scores[CART] > scores[FRONT]  # the score alone would put cart above frontend
    # About-the-alert first (by score, then id), then the rest by score.
    assert ranked == [CHECKOUT, FRONT, CART, PAYMENT]
    assert 0.3 <= result.confidence <= 0.9
