"""Contract of the ranking pipeline: the candidate set, the shared context, and the verdict shapes.

* no candidate at all is an honest "nothing to rank" verdict, not a false alarm;
* the entity Davis names as root cause is always a candidate, with its name and type;
* failure origins are shared out over every trace's excess origins, and "failures do not
  originate here" needs at least one origin somewhere;
* without traces, logs and metrics the verdict is a blind one; any one of them is data;
* change events Davis cites count as changes.
"""

from __future__ import annotations

from datetime import timedelta

from dynatrace_agent.analysis.evidence import DavisEvidence, EntityRef, LogStats, ProblemInfo
from dynatrace_agent.analysis.ranking.pipeline import rank_root_causes

from .scenarios import START, evidence, logs, metric, problem, svc, traces

CART = "SERVICE-00000000000000CA"
PAY = "SERVICE-00000000000000BB"
DAVIS_ROOT = "SERVICE-00000000000000DD"
BLIND = "No traces, logs or metrics could be read"
NOT_HERE = "Davis named it, but the failures do not originate here"


def _problem(**update: object) -> ProblemInfo:
    return problem().model_copy(update=update)


def test_no_candidate_is_an_honest_nothing_to_rank() -> None:
    result = rank_root_causes(evidence(candidates=[]))
    assert result.ranked == []
    assert result.category == "none"
    assert result.confidence == 0.0
    assert result.false_alarm is False
    assert result.summary == "No candidate entities were found, so no root cause could be ranked."


def test_davis_s_root_cause_entity_is_ranked_even_when_topology_missed_it() -> None:
    p = _problem(root_cause_hint=EntityRef(id=DAVIS_ROOT, name="ledger", type="SERVICE"))
    result = rank_root_causes(evidence(problem=p, candidates=[svc(CART, "cart", relations=["affected"])]))
    ids = [r.entity_id for r in result.ranked]
    assert sorted(ids) == sorted([CART, DAVIS_ROOT])
    named = next(r for r in result.ranked if r.entity_id == DAVIS_ROOT)
    assert (named.name, named.type) == ("ledger", "SERVICE")
    assert "davis" in named.signals
    assert any("Davis named it as root cause" in r for r in named.reasons)


def test_davis_s_root_cause_among_the_candidates_is_not_added_twice() -> None:
    p = _problem(root_cause_hint=EntityRef(id=CART, name="cart"))
    result = rank_root_causes(evidence(problem=p, candidates=[svc(CART, "cart"), svc(PAY, "payment")]))
    assert sorted(r.entity_id for r in result.ranked) == [PAY, CART]


def test_failure_origins_are_shared_over_every_service_s_excess() -> None:
    ev = evidence(
        candidates=[svc(CART, "cart", relations=["affected"]), svc(PAY, "payment", relations=["callee"])],
        traces=[traces(CART, failures=30, origins=30), traces(PAY, failures=10, origins=10)],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == CART
    reasons = {r.entity_id: " ".join(r.reasons) for r in result.ranked}
    assert "75% of all failure origins" in reasons[CART]
    assert "25% of all failure origins" in reasons[PAY]


def test_davis_s_pick_is_contradicted_only_when_failures_originate_somewhere() -> None:
    candidates = [svc(CART, "cart", relations=["affected"]), svc(PAY, "payment")]
    p = _problem(root_cause_hint=EntityRef(id=CART, name="cart"))
    one = rank_root_causes(
        evidence(
            problem=p,
            candidates=candidates,
            traces=[traces(CART, failures=5), traces(PAY, failures=1, origins=1)],
        )
    )
    cart = next(r for r in one.ranked if r.entity_id == CART)
    assert NOT_HERE in cart.counter_evidence
    none = rank_root_causes(
        evidence(problem=p, candidates=candidates, traces=[traces(CART, failures=5), traces(PAY)])
    )
    cart = next(r for r in none.ranked if r.entity_id == CART)
    assert NOT_HERE not in cart.counter_evidence


def test_without_traces_logs_or_metrics_the_verdict_is_blind() -> None:
    p = _problem(root_cause_hint=EntityRef(id=CART, name="cart"))
    result = rank_root_causes(evidence(problem=p, candidates=[svc(CART, "cart", relations=["affected"])]))
    assert result.summary.startswith(BLIND)
    assert result.false_alarm is False and result.confidence <= 0.2


def test_any_one_kind_of_data_is_enough_not_to_be_blind() -> None:
    p = _problem(root_cause_hint=EntityRef(id=CART, name="cart"))
    candidates = [svc(CART, "cart", relations=["affected"])]
    for data in (
        {"traces": [traces(CART)]},
        {"logs": [LogStats(entity=CART)]},
        {"logs": [logs(CART, 0, 40, "NullPointerException in Cart.total")]},
        {"metrics": [metric(CART, "builtin:service.response.time", 100.0, 101.0)]},
    ):
        result = rank_root_causes(evidence(problem=p, candidates=candidates, **data))
        assert BLIND not in result.summary, data


def test_a_change_davis_cites_is_a_change_of_its_entity() -> None:
    deploy = DavisEvidence(
        evidence_type="EVENT",
        display_name="Deployment of cart 2.14.0",
        event_type="CUSTOM_DEPLOYMENT",
        event_id="E-deploy",
        entity_id=CART,
        start=START - timedelta(minutes=5),
    )
    p = _problem(davis_evidence=[deploy])
    ev = evidence(
        problem=p,
        candidates=[svc(CART, "cart", relations=["affected"]), svc(PAY, "payment")],
        traces=[traces(CART, failures=30, origins=30, p90=(40.0, 200.0)), traces(PAY)],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == CART
    assert result.triggering_change == "E-deploy"
    assert "change" in result.ranked[0].signals


def test_a_strong_move_of_the_entity_davis_named_rules_out_a_false_alarm_even_outside_the_topology() -> None:
    # Restarts of the Davis-named entity rose from 0 to 5 while no signal deviates much:
    # the entity the problem is about moved, so the verdict is a weak one, not a false alarm.
    p = _problem(root_cause_hint=EntityRef(id=DAVIS_ROOT, name="ledger"))
    ev = evidence(
        problem=p,
        candidates=[svc(CART, "cart", relations=["affected"])],
        metrics=[metric(DAVIS_ROOT, "dt.kubernetes.container.restarts", 0.0, 5.0)],
    )
    result = rank_root_causes(ev)
    assert result.false_alarm is False
    assert "dt.kubernetes.container.restarts of ledger moved strongly" in result.summary
    assert result.ranked[0].entity_id == DAVIS_ROOT
