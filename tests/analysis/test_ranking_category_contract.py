"""Contract of the category vote: what kind of trouble a candidate's signals point to.

A candidate that barely deviates is ``none``; a strong deployment or configuration change of it
names its kind; otherwise its signals, the hints its logs and callers gave and Davis's kinds
vote. ``code`` is refined (a strong own resource signal, a slow data store, a latency-only
deviation are not code), a dependency that answers without trouble of its own is rejected for
its answers (code), a database or external system is a dependency, and a host's own failure is
infrastructure.
"""

from __future__ import annotations

from typing import Any

import pytest

from dynatrace_agent.analysis.evidence import Candidate, DavisEvidence
from dynatrace_agent.analysis.ranking.category import candidate_category, problem_category
from dynatrace_agent.analysis.ranking.context import CandidateState

from .scenarios import change, evidence, problem, svc

CART = "SERVICE-00000000000000CA"


def _state(
    signals: dict[str, float],
    *,
    hints: dict[str, float] | None = None,
    davis: dict[str, float] | None = None,
    candidate: Candidate | None = None,
    **kw: Any,
) -> CandidateState:
    st = CandidateState(candidate=candidate or svc(CART, "cart"), **kw)
    st.signals = dict(signals)
    st.hints = dict(hints or {})
    st.davis_kinds = dict(davis or {})
    return st


def _cat(signals: dict[str, float], *, blind: bool = False, **kw: Any) -> str:
    return candidate_category(_state(signals, **kw), blind=blind)


# -- too little to say --------------------------------------------------------------------


def test_a_candidate_that_barely_deviates_has_no_category() -> None:
    # failure_rate weighs 0.25: 0.8 deviates 0.2 (the false-alarm threshold), 0.76 less.
    assert _cat({"failure_rate": 0.81}) == "code"
    assert _cat({"failure_rate": 0.76}) == "none"
    # a change or Davis's opinion alone is no deviation
    assert _cat({"change": 1.0, "davis": 1.0}) == "none"


def test_without_data_a_smaller_deviation_is_enough() -> None:
    # blind (no traces, logs or metrics): 0.05 is enough; davis_evidence weighs 0.3.
    assert _cat({"davis_evidence": 0.17}, blind=True, davis={"latency": 0.17}) == "code"
    assert _cat({"davis_evidence": 0.16}, blind=True, davis={"latency": 0.16}) == "none"
    assert _cat({"davis_evidence": 0.17}, davis={"latency": 0.17}) == "none"


# -- a change names the kind ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "category"), [("deployment", "deployment"), ("configuration", "configuration")]
)
def test_a_strong_change_of_the_candidate_names_its_kind(kind: str, category: str) -> None:
    signals = {"failure_rate": 1.0, "origin": 1.0, "change": 0.35}
    assert _cat(signals, best_change=change("E-1", CART, kind)) == category
    weaker = {**signals, "change": 0.34}
    assert _cat(weaker, best_change=change("E-1", CART, kind)) == "code"


def test_a_change_of_another_kind_or_without_signal_names_nothing() -> None:
    signals = {"failure_rate": 1.0, "origin": 1.0, "change": 1.0}
    assert _cat(signals, best_change=change("E-1", CART, "other")) == "code"
    assert _cat({"failure_rate": 1.0, "origin": 1.0}, best_change=change("E-1", CART)) == "code"


# -- the vote -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signals", "category"),
    [
        ({"origin": 1.0, "failure_rate": 1.0}, "code"),
        ({"network": 1.0}, "network"),
        ({"path": 1.0}, "network"),
        ({"resource": 1.0}, "resource"),
        ({"neighbour": 1.0}, "resource"),
        ({"throughput": 1.0}, "traffic"),
        ({"load": 1.0}, "traffic"),
    ],
)
def test_each_signal_votes_for_its_category(signals: dict[str, float], category: str) -> None:
    assert _cat(signals) == category


def test_failures_at_an_outgoing_call_vote_for_the_dependency_not_the_code() -> None:
    sig = {"origin": 1.0, "failure_rate": 0.3}
    named = _state(sig, client_origin=True, candidate=svc(CART, "cart-db"))
    assert candidate_category(named) == "dependency"
    assert _cat(sig) == "code"


def test_the_dependency_signal_names_a_troubled_dependency() -> None:
    # the dependency itself slows a little: its callers' failures are its own trouble
    assert _cat({"dependency": 1.0, "latency": 0.1}) == "dependency"


def test_a_dependency_with_no_trouble_of_its_own_is_blamed_for_its_answers() -> None:
    assert _cat({"dependency": 1.0}) == "code"
    for own in ("failure_rate", "failure_metric", "latency", "resource", "neighbour", "network", "path"):
        assert _cat({"dependency": 1.0, own: 0.01}) == "dependency", own


@pytest.mark.parametrize(
    "candidate",
    [
        svc(CART, "cart", is_database=True),
        svc(CART, "cart", is_external=True),
        svc(CART, "orders-db"),
        svc(CART, "dynamodb-sessions"),
        svc(CART, "ORDERS-DB"),
        svc(CART, "customer database"),
        svc(CART, "cart", type="DATABASE_SERVICE"),
    ],
)
def test_a_data_store_or_external_system_blamed_by_its_callers_stays_a_dependency(
    candidate: Candidate,
) -> None:
    assert _cat({"dependency": 1.0}, candidate=candidate) == "dependency"


def test_names_that_only_contain_a_store_word_are_plain_services() -> None:
    for name in ("tablets", "sqlite3"):
        assert _cat({"dependency": 1.0}, candidate=svc(CART, name)) == "code", name
    assert _cat({"dependency": 1.0}, candidate=svc(CART, None)) == "code"  # type: ignore[arg-type]


def test_client_origin_failures_name_the_dependency_even_for_a_plain_service() -> None:
    assert _cat({"dependency": 1.0}, client_origin=True) == "dependency"


@pytest.mark.parametrize(
    ("hint", "category"),
    [
        ("dependency", "dependency"),
        ("network", "network"),
        ("resource", "resource"),
        ("traffic", "traffic"),
        ("configuration", "configuration"),
    ],
)
def test_hints_tip_the_vote(hint: str, category: str) -> None:
    # a weak failure rate votes 0.125 for code; a hint of 1 is worth 0.2
    sig = {"failure_rate": 1.0, "latency": 0.01}
    assert _cat(sig) == "code"
    assert _cat(sig, hints={hint: 1.0}) == category
    assert _cat(sig, hints={hint: 0.6}) == "code"


def test_davis_kinds_vote_more_when_nothing_was_read() -> None:
    sig = {"failure_rate": 0.4, "davis_evidence": 1.0}  # code votes 0.05
    assert _cat(sig, davis={"cpu": 1.0}, blind=True) == "resource"  # 0.3
    assert _cat(sig, davis={"cpu": 0.1}, blind=True) == "code"  # 0.03
    assert _cat(sig, davis={"cpu": 1.0}) == "resource"  # 0.09
    assert _cat(sig, davis={"cpu": 0.5}) == "code"  # 0.045
    assert _cat(sig, davis={"other": 1.0}, blind=True) == "code"  # no category


@pytest.mark.parametrize(
    ("kind", "category"),
    [
        ("disk", "resource"),
        ("memory", "resource"),
        ("cpu", "resource"),
        ("saturation", "resource"),
        ("network", "network"),
        ("availability", "infrastructure"),
        ("throughput", "traffic"),
    ],
)
def test_each_davis_kind_votes_for_its_category(kind: str, category: str) -> None:
    assert _cat({"davis_evidence": 1.0}, davis={kind: 1.0}, blind=True) == category


def test_the_strongest_davis_kind_of_a_category_counts_once() -> None:
    # cpu 0.5 and memory 0.5 are both resource: 0.15 once, not 0.3, so code (0.2 hint) wins
    st = {"davis_evidence": 1.0}
    assert _cat(st, davis={"cpu": 0.5, "memory": 0.5}, hints={"code": 1.0}, blind=True) == "code"
    assert _cat(st, davis={"cpu": 0.5, "network": 0.5}, hints={"resource": 0.4}, blind=True) == "resource"


# -- refining "code" -----------------------------------------------------------------------


def test_a_code_hint_keeps_code_even_with_strong_resource_use() -> None:
    sig = {"origin": 1.0, "failure_rate": 1.0, "resource": 0.6}
    assert _cat(sig) == "resource"
    assert _cat(sig, hints={"code": 0.1}) == "code"


def test_a_strong_own_resource_signal_outweighs_the_failures_it_causes() -> None:
    base = {"origin": 1.0, "failure_rate": 1.0, "latency": 1.0}
    assert _cat({**base, "resource": 0.5}) == "resource"
    assert _cat({**base, "resource": 0.49}) == "code"


def test_a_slow_data_store_is_saturated_not_broken() -> None:
    sig = {"latency": 0.5, "failure_rate": 1.0, "origin": 0.4}
    assert _cat(sig, candidate=svc(CART, "orders-db")) == "resource"
    assert _cat(sig, candidate=svc(CART, "orders", is_database=True)) == "resource"
    assert _cat({**sig, "latency": 0.49}, candidate=svc(CART, "orders-db")) == "code"
    assert _cat(sig, candidate=svc(CART, "orders")) == "code"
    # an external system is never "saturated" for us: its trouble is the dependency's
    assert _cat(sig, candidate=svc(CART, "payments-api-db", is_external=True)) == "dependency"


def test_a_latency_only_deviation_is_waiting_or_starving() -> None:
    # slow without failing (a failure rate under 0.3): resource when resource use rose with
    # it, otherwise the time is spent waiting: network
    quiet = {"latency": 0.5, "failure_rate": 0.2}
    assert _cat(quiet) == "network"
    assert _cat({**quiet, "resource": 0.2}) == "resource"  # votes 0.08 > 0.05
    assert _cat({**quiet, "resource": 0.12}) == "network"  # votes 0.048
    assert _cat({**quiet, "latency": 0.49}) == "code"


@pytest.mark.parametrize(
    "extra",
    [{"failure_rate": 0.3}, {"failure_metric": 0.3}, {"origin": 0.3}, {"logs": 0.3}],
)
def test_a_slowdown_with_failures_or_error_logs_stays_code(extra: dict[str, float]) -> None:
    assert _cat({"latency": 0.6, **extra}) == "code"
    weaker = {k: 0.29 for k in extra}
    assert _cat({"latency": 0.6, **weaker}) == "network"


def test_failures_at_outgoing_calls_do_not_make_a_slowdown_code() -> None:
    # (the origin still votes for the dependency: 0.15, under the slowdown's 0.175 for code)
    assert _cat({"latency": 1.0, "origin": 0.3}, client_origin=True) == "network"
    assert _cat({"latency": 1.0, "origin": 0.3}) == "code"


# -- databases, external systems, hosts ----------------------------------------------------


def test_a_database_s_own_failures_are_a_dependency_problem() -> None:
    db = svc(CART, "orders", is_database=True)
    assert _cat({"origin": 1.0, "failure_rate": 1.0}, candidate=db) == "dependency"
    assert _cat({"origin": 1.0}, candidate=db, hints={"configuration": 5.0}) == "dependency"
    assert _cat({"network": 1.0}, candidate=db) == "network"  # not everything is the dependency


@pytest.mark.parametrize(
    "etype", ["HOST", "host", "KUBERNETES_NODE", "KUBERNETES_CLUSTER", "HYPERVISOR", "CLOUD_APPLICATION"]
)
def test_code_or_dependency_trouble_of_infrastructure_is_infrastructure(etype: str) -> None:
    node = svc("HOST-00000000000000AB", "node-1", type=etype)
    assert _cat({"origin": 1.0, "failure_rate": 1.0}, candidate=node) == "infrastructure"
    assert _cat({"dependency": 1.0, "latency": 0.1}, candidate=node) == "infrastructure"
    assert _cat({"origin": 1.0}, candidate=node, hints={"configuration": 5.0}) == "infrastructure"
    assert _cat({"network": 1.0}, candidate=node) == "network"


def test_a_full_disk_is_the_host_s_own_failure_unless_a_neighbour_fills_it() -> None:
    node = svc("HOST-00000000000000AB", "node-1", type="HOST")
    assert _cat({"resource": 1.0}, candidate=node, davis={"disk": 0.5}) == "infrastructure"
    assert _cat({"resource": 1.0}, candidate=node) == "resource"
    assert _cat({"resource": 1.0, "neighbour": 0.5}, candidate=node, davis={"disk": 0.5}) == "resource"
    # a service with a full disk is starved of a resource
    assert _cat({"resource": 1.0}, davis={"disk": 0.5}) == "resource"


# -- from the problem alone ------------------------------------------------------------------


def _problem(title: str, *items: DavisEvidence) -> str:
    p = problem().model_copy(update={"title": title, "davis_evidence": list(items)})
    return problem_category(evidence(problem=p))


def test_the_problem_s_root_cause_evidence_names_the_category_first() -> None:
    disk = DavisEvidence(display_name="Low disk space", root_cause_relevant=True)
    assert _problem("Failure rate increase", disk) == "resource"
    nic = DavisEvidence(display_name="Network problem", root_cause_relevant=True)
    assert (
        _problem(
            "Failure rate increase", DavisEvidence(display_name="Anomaly", root_cause_relevant=True), nic
        )
        == "network"
    )


def test_evidence_davis_does_not_call_root_cause_relevant_is_ignored() -> None:
    disk = DavisEvidence(display_name="Low disk space", root_cause_relevant=False)
    assert _problem("Traffic spike", disk) == "traffic"


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Process unavailable", "infrastructure"),
        ("Response time degradation", "code"),
        ("Failure rate increase", "code"),
        ("Custom alert", "code"),
        ("High network latency", "network"),
    ],
)
def test_the_title_decides_when_the_evidence_does_not(title: str, category: str) -> None:
    assert _problem(title) == category


def test_an_untyped_entity_is_taken_for_a_service() -> None:
    assert _cat({"dependency": 1.0}, candidate=svc(CART, "cart", type=None)) == "code"


@pytest.mark.parametrize(
    ("signals", "category"),
    [
        # each own failure signal votes half its weight for code, against a network vote
        ({"latency": 1.0, "failure_rate": 0.3, "network": 0.75}, "network"),  # 0.2625 > 0.2125
        ({"latency": 1.0, "failure_rate": 0.3, "network": 0.55}, "code"),  # 0.1925 < 0.2125
        ({"failure_metric": 1.0, "network": 0.5}, "network"),  # 0.175 > 0.15
        ({"failure_metric": 1.0, "network": 0.4}, "code"),  # 0.14 < 0.15
        ({"failure_rate": 1.0, "network": 0.4}, "network"),  # 0.14 > 0.125
        ({"failure_rate": 1.0, "network": 0.3}, "code"),  # 0.105 < 0.125
        # a failure origin votes its full weight
        ({"origin": 1.0, "network": 1.0, "path": 0.4}, "network"),  # 0.53 > 0.5
        ({"origin": 1.0, "network": 1.0, "path": 0.3}, "code"),  # 0.485 < 0.5
    ],
)
def test_own_failures_weigh_against_other_signs(signals: dict[str, float], category: str) -> None:
    assert _cat(signals) == category


def test_resource_must_vote_more_than_a_twentieth_to_explain_a_slowdown() -> None:
    quiet = {"latency": 0.5, "failure_rate": 0.2}
    assert _cat({**quiet, "resource": 0.125}) == "network"  # exactly 0.05
    assert _cat(quiet, hints={"resource": 0.3}) == "resource"  # a resource hint votes too


def test_by_default_the_candidate_was_measured() -> None:
    # a deviation of 0.125 is noise where data was read (and enough where none was)
    st = _state({"failure_rate": 0.5})
    assert candidate_category(st) == "none"
    assert candidate_category(st, blind=True) == "code"


def test_error_logs_alone_point_at_code() -> None:
    assert _cat({"logs": 1.0}) == "code"


def test_failures_in_its_own_spans_vote_code_not_dependency() -> None:
    assert _cat({"origin": 1.0, "dependency": 0.5, "failure_rate": 0.01}) == "code"


def test_outgoing_call_failures_without_an_origin_signal_vote_nothing() -> None:
    assert _cat({"network": 1.0}, client_origin=True) == "network"


def test_a_code_hint_is_worth_a_fifth() -> None:
    # a failure rate of 0.2 votes 0.025 for code, the hint 0.2 more
    assert _cat({"network": 1.0, "failure_rate": 0.2}, hints={"code": 1.0}) == "network"  # 0.35 > 0.225
    assert _cat({"network": 0.5, "failure_rate": 0.2}, hints={"code": 1.0}) == "code"  # 0.175 < 0.225


def test_davis_kinds_weigh_three_tenths_of_their_blind_vote_where_data_was_read() -> None:
    sig = {"failure_rate": 0.4, "davis_evidence": 1.0}  # code votes 0.05
    assert _cat(sig, davis={"cpu": 0.3}, blind=True) == "resource"  # 0.09
    assert _cat(sig, davis={"cpu": 0.3}) == "code"  # 0.027


def test_the_strongest_davis_kind_of_a_category_wins_whatever_the_order() -> None:
    sig = {"failure_rate": 0.4, "davis_evidence": 1.0}  # code votes 0.05
    assert _cat(sig, davis={"cpu": 0.5, "memory": 0.1}, blind=True) == "resource"  # 0.15, not 0.03
