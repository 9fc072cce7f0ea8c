"""The shared ranking state's contract: how signals are recorded, explained away and combined,
and how evidence finds its candidate by id, name, pod name or a fragment of either."""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import EvidenceItem
from dynatrace_agent.analysis.ranking.context import (
    CandidateIndex,
    CandidateState,
    RankContext,
    metric_owner,
    workload_name,
)

from .scenarios import evidence, metric, svc

CART, PRICE, DB = "SERVICE-00000000000000A1", "SERVICE-00000000000000A2", "SERVICE-00000000000000A3"


def _state(**signals: float) -> CandidateState:
    st = CandidateState(candidate=svc(CART, "cart"))
    st.signals.update(signals)
    return st


# --- a fresh state and context ----------------------------------------------------------------


def test_a_fresh_state_has_no_signals_and_no_verdicts_yet() -> None:
    st = CandidateState(candidate=svc(CART, "cart"))
    assert st.signals == {} and st.reasons == [] and st.counter == [] and st.evidence == []
    assert st.hints == {} and st.davis_kinds == {} and st.explained_by == []
    assert st.client_origin is False and st.late is False
    assert st.relays_to is None and st.suspect_of is None and st.best_change is None
    assert st.traces is None and st.logs is None
    assert st.score() == 0.0 and st.deviation() == 0.0
    # each state owns its lists: one candidate's reasons never show up on another's
    other = CandidateState(candidate=svc(PRICE, "price"))
    st.reasons.append("x")
    st.signals["origin"] = 1.0
    assert other.reasons == [] and other.signals == {}


def test_a_fresh_context_has_no_changes_call_graph_or_findings() -> None:
    ctx = RankContext(evidence=evidence(), index=CandidateIndex([]), states={}, scale=1.0)
    assert ctx.changes == [] and ctx.callees == {} and ctx.callers == {}
    assert ctx.total_excess == 0.0
    assert ctx.any_origins is False and ctx.blind is False
    assert ctx.own_resource == {} and ctx.starved == {} and ctx.net_metric == {}
    assert ctx.resource_seen == set()
    other = RankContext(evidence=evidence(), index=CandidateIndex([]), states={}, scale=1.0)
    ctx.changes.append(None)  # type: ignore[arg-type]
    ctx.resource_seen.add(CART)
    assert other.changes == [] and other.resource_seen == set()


# --- recording signals ----------------------------------------------------------------------------


def test_add_keeps_the_strongest_strength_and_every_reason_and_item() -> None:
    st = _state()
    item = EvidenceItem(kind="traces", summary="cart fails", entity_id=CART, source="fetch spans")
    st.add("origin", 0.4, "first", item)
    st.add("origin", 0.3, "weaker", None)
    assert st.signals == {"origin": 0.4}
    st.add("origin", 0.9, "stronger")
    assert st.signals == {"origin": 0.9}
    assert st.reasons == ["first", "weaker", "stronger"]
    assert st.evidence == [item]


def test_add_clamps_to_one_and_ignores_what_is_not_positive() -> None:
    st = _state()
    st.add("latency", 3.0, "huge")
    assert st.signals["latency"] == 1.0
    st.add("logs", 0.0, "nothing", EvidenceItem(kind="logs", summary="x"))
    st.add("failure_rate", -0.5, "less than nothing")
    assert "logs" not in st.signals and "failure_rate" not in st.signals
    assert st.reasons == ["huge"] and st.evidence == []
    st.add("path", 0.01, "")  # an empty reason adds the signal but no empty line to the report
    assert st.signals["path"] == 0.01 and st.reasons == ["huge"]


def test_hints_add_up_per_category() -> None:
    st = _state()
    st.hint("code", 1.0)
    st.hint("code", 0.5)
    st.hint("resource", 0.25)
    assert st.hints == {"code": 1.5, "resource": 0.25}


# --- explaining symptoms away -------------------------------------------------------------------


def test_explain_discounts_the_named_symptoms_and_says_why_once() -> None:
    st = _state(latency=0.8, logs=0.6, origin=1.0)
    st.explain(["latency", "logs", "failure_rate"], 0.5, PRICE, "it calls price, which is anomalous too")
    assert st.signals == {"latency": pytest.approx(0.4), "logs": pytest.approx(0.3), "origin": 1.0}
    assert st.explained_by == [PRICE]
    assert st.counter == ["it calls price, which is anomalous too"]
    st.explain(["latency"], 0.5, PRICE, "again")
    assert st.explained_by == [PRICE]  # the same explanation is recorded once
    assert st.signals["latency"] == pytest.approx(0.2)
    st.explain(["latency"], 0.5, DB, "and the database")
    assert st.explained_by == [PRICE, DB]


def test_explain_without_a_culprit_or_symptom_says_nothing() -> None:
    st = _state(origin=1.0)
    st.explain(["latency"], 0.5, None, "nothing to explain")
    assert st.counter == [] and st.explained_by == [] and st.signals == {"origin": 1.0}
    # a symptom touched without a named culprit still says why
    st2 = _state(latency=1.0)
    st2.explain(["latency"], 0.25, None, "the host explains it")
    assert st2.signals["latency"] == pytest.approx(0.25)
    assert st2.counter == ["the host explains it"] and st2.explained_by == []
    # a culprit named without a touched symptom is recorded too
    st3 = _state(origin=1.0)
    st3.explain(["latency"], 0.5, PRICE, "explained by price")
    assert st3.explained_by == [PRICE] and st3.counter == ["explained by price"]


# --- combining --------------------------------------------------------------------------------------


def test_deviation_counts_only_what_the_entity_itself_does() -> None:
    assert _state(change=1.0, davis=1.0).deviation() == 0.0
    assert _state(origin=1.0, change=1.0).deviation() == pytest.approx(0.5)
    # independent evidence: 1 - (1 - 0.5)(1 - 0.35)
    assert _state(origin=1.0, latency=1.0).deviation() == pytest.approx(1 - 0.5 * 0.65)


def test_score_combines_every_signal_including_changes_and_davis() -> None:
    assert _state(origin=1.0, change=1.0).score() == pytest.approx(1 - 0.5 * 0.55)
    assert _state(davis=1.0).score() == pytest.approx(0.12)
    assert _state(origin=1.0, change=1.0).score() > _state(origin=1.0).score()


# --- finding candidates ---------------------------------------------------------------------------


def test_index_resolves_by_id_or_name_case_insensitively() -> None:
    cart, price = svc(CART, "Cart"), svc(PRICE, "price-service")
    idx = CandidateIndex([cart, price])
    assert idx.resolve(CART) is cart
    assert idx.resolve(CART.lower()) is cart
    assert idx.resolve("CART") is cart
    assert idx.resolve("price-service") is price
    assert idx.resolve("unknown") is None
    assert idx.resolve(None) is None and idx.resolve("") is None


def test_the_first_candidate_with_a_key_keeps_it_and_ids_win_over_names() -> None:
    first, second = svc(CART, "cart"), svc(CART, "cart-again")
    # a candidate named like another's id does not take that id over
    impostor = svc(PRICE, CART)
    idx = CandidateIndex([impostor, first, second])
    assert idx.resolve(CART) is first
    assert idx.resolve("cart-again") is second
    dup_name = svc(DB, "cart")
    idx2 = CandidateIndex([first, dup_name])
    assert idx2.resolve("cart") is first
    unnamed = svc(DB, "")
    idx3 = CandidateIndex([unnamed])
    assert idx3.resolve(DB) is unnamed and "" not in idx3.by_key


def test_index_add_indexes_a_new_candidate_without_replacing_one() -> None:
    cart = svc(CART, "cart")
    idx = CandidateIndex([cart])
    late = svc(PRICE, "Price")
    idx.add(late)
    assert idx.resolve(PRICE) is late and idx.resolve("price") is late
    idx.add(svc(CART, "cart"))
    assert idx.resolve(CART) is cart and idx.resolve("cart") is cart
    nameless = svc(DB, "")
    idx.add(nameless)
    assert idx.resolve(DB) is nameless and "" not in idx.by_key


def test_a_pod_or_replica_name_finds_its_workload() -> None:
    cart = svc(CART, "cart")
    idx = CandidateIndex([cart])
    assert idx.resolve("cart-7d9f8c6b5-x2k4q") is cart
    assert idx.resolve("Cart-0") is cart
    assert idx.resolve("cart-12") is cart
    assert idx.resolve("cartography") is None


def test_workload_name_strips_generated_suffixes_only() -> None:
    assert workload_name("cart-7d9f8c6b5-x2k4q") == "cart"
    assert workload_name("Cart-7D9F8C-X2K4Q") == "cart"
    assert workload_name("checkout-api-0") == "checkout-api"
    assert workload_name("cart") == "cart"
    # too short or too long to be a replica set hash, or a pod id of the wrong length
    assert workload_name("cart-7d9f8-x2k4q") == "cart-7d9f8-x2k4q"
    assert workload_name("cart-7d9f8c6b5a1-x2k4q") == "cart-7d9f8c6b5a1-x2k4q"
    assert workload_name("cart-7d9f8c-x2k4") == "cart-7d9f8c-x2k4"
    assert workload_name("cart-7d9f8c6b5a-x2k4q") == "cart"
    # only at the end
    assert workload_name("cart-0-api") == "cart-0-api"


def test_fuzzy_matching_prefers_exact_then_containment_of_three_letters_or_more() -> None:
    cart, price = svc(CART, "cart"), svc(PRICE, "ts-price-service")
    idx = CandidateIndex([cart, price])
    assert idx.fuzzy("CART") is cart
    assert idx.fuzzy("price") is price  # the key contains the target
    assert idx.fuzzy("ts-price-service.default") is price  # the target contains the key
    assert idx.fuzzy("pr") is None  # too short to mean anything
    assert idx.fuzzy("inventory") is None
    short = svc(DB, "db")
    idx2 = CandidateIndex([short])
    assert idx2.fuzzy("orders-db") is None  # a two-letter key is contained almost anywhere
    three = svc(DB, "dbs")
    assert CandidateIndex([three]).fuzzy("orders-dbs") is three
    assert CandidateIndex([three]).fuzzy("dbs") is three
    assert CandidateIndex([svc(DB, "orders")]).fuzzy("ord") is not None


def test_metric_owner_is_the_entity_else_a_name_dimension() -> None:
    cart, price = svc(CART, "cart"), svc(PRICE, "price")
    idx = CandidateIndex([cart, price])
    assert metric_owner(idx, metric(CART, "dt.service.response.time", 1.0, 2.0)) is cart
    by_pod = metric("CONTAINER-1", "dt.kubernetes.container.cpu", 1.0, 2.0)
    by_pod = by_pod.model_copy(update={"dimensions": {"k8s.pod.name": "price-7d9f8c6b5-x2k4q"}})
    assert metric_owner(idx, by_pod) is price
    # the service name comes before the generic "name" dimension
    by_service = metric("", "app.latency", 1.0, 2.0).model_copy(
        update={"entity_id": None, "dimensions": {"name": "cart", "service.name": "price"}}
    )
    assert metric_owner(idx, by_service) is price
    by_name = metric("HOST-9", "app.latency", 1.0, 2.0).model_copy(update={"dimensions": {"name": "Cart"}})
    assert metric_owner(idx, by_name) is cart
    workload = metric("", "app.latency", 1.0, 2.0).model_copy(
        update={
            "entity_id": None,
            "dimensions": {"k8s.workload.name": "unknown", "k8s.container.name": "price"},
        }
    )
    assert metric_owner(idx, workload) is price
    nobody = metric("HOST-1", "dt.host.cpu.usage", 1.0, 2.0).model_copy(update={"dimensions": {"x": "cart"}})
    assert metric_owner(idx, nobody) is None


def test_fuzzy_matching_takes_an_exact_name_over_an_earlier_partial_one() -> None:
    cart, cart_api = svc(CART, "cart"), svc(PRICE, "cart-api")
    idx = CandidateIndex([cart, cart_api])
    assert idx.fuzzy("cart-api") is cart_api
    assert idx.fuzzy("Cart-API") is cart_api
    assert idx.fuzzy("cart-api-7d9f8c6b5-x2k4q") is cart_api  # a pod of it, before "cart" matches
