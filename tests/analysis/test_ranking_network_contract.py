"""Contract of network localisation: slow wire time blames what the slow calls share.

Each test builds the ranking context by hand (candidates, their span statistics, per-entity
network metric anomalies), runs :func:`network_localisation` alone and reads what a report
reader sees: which entity gets the ``path`` signal, its reason and cited evidence, and which
callers are told that their slow calls are the network's doing.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import CallGap, Candidate, TraceStats
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.network import _dominant_locus, network_localisation
from dynatrace_agent.analysis.ranking.scoring import ratio_strength

from .scenarios import evidence, healthy, svc, traces

FRONT = "SERVICE-00000000000000F1"
KART = "SERVICE-00000000000000F2"
SEARCH = "SERVICE-00000000000000F3"
WEB = "SERVICE-00000000000000F4"
CHECKOUT = "SERVICE-00000000000000C1"
ZETA = "SERVICE-00000000000000C2"
DB = "SERVICE-00000000000000D1"
XRAY = "SERVICE-00000000000000E1"
YARD = "SERVICE-00000000000000E2"
HOST_A = "HOST-000000000000000A"
HOST_B = "HOST-000000000000000B"
HOST_C = "HOST-000000000000000C"

#: Symptoms a caller shows when its calls wait on a slow wire.
CALLER_SYMPTOMS = {"network": 0.8, "latency": 0.6, "failure_rate": 0.5, "logs": 0.5, "failure_metric": 0.5}


def gap(base: float, inc: float, calls: int = 20) -> CallGap:
    return CallGap(baseline_p90_ms=base, incident_p90_ms=inc, incident_calls=calls)


def host(entity_id: str, name: str) -> Candidate:
    return Candidate(entity_id=entity_id, name=name, type="HOST", relations=["host"], hop=1)


def caller(service: str, gaps: dict[str, CallGap], *, self_p90: tuple[float, float] = (20, 20)) -> TraceStats:
    """A caller whose client spans slowed (p90 up) while its own work did not (unless told)."""
    t = traces(service, p90=(40, 440), self_p90=self_p90)
    t.call_gaps = gaps
    t.source = f"spans of {service}"
    return t


def context(
    cands: list[Candidate], stats: list[TraceStats], net: dict[str, float] | None = None
) -> RankContext:
    index = CandidateIndex(cands)
    states = {c.entity_id: CandidateState(candidate=c) for c in cands}
    for t in stats:
        owner = index.resolve(t.service)
        assert owner is not None
        states[owner.entity_id].traces = t
    return RankContext(
        evidence=evidence(candidates=cands, traces=stats),
        index=index,
        states=states,
        scale=1.0,
        net_metric=dict(net or {}),
    )


def blamed(ctx: RankContext) -> list[str]:
    return sorted(eid for eid, st in ctx.states.items() if "path" in st.signals)


def with_symptoms(ctx: RankContext, *ids: str, origin: float = 0.0) -> None:
    for eid in ids:
        ctx.states[eid].signals.update(CALLER_SYMPTOMS)
        if origin:
            ctx.states[eid].signals["origin"] = origin


# --- one slow call path ------------------------------------------------------------------


def single_edge_case(
    front_gaps: dict[str, CallGap],
    net: dict[str, float] | None = None,
    *,
    front_self: tuple[float, float] = (20, 20),
    checkout_hosts: tuple[str, ...] = (HOST_A, HOST_B),
) -> RankContext:
    cands = [
        host(HOST_A, "node-a"),  # no spans: passes over candidates without traces must go on
        host(HOST_B, "node-b"),
        svc(FRONT, "frontend", calls=[CHECKOUT, KART, SEARCH]),
        svc(KART, "kart"),
        svc(SEARCH, "search"),
        svc(CHECKOUT, "checkout", called_by=[FRONT], hosts=list(checkout_hosts)),
    ]
    stats = [
        caller(FRONT, front_gaps, self_p90=front_self),
        healthy(KART),
        healthy(SEARCH),
        healthy(CHECKOUT),
    ]
    return context(cands, stats, net)


def test_one_slow_path_with_a_network_anomaly_on_the_callees_host_blames_the_callee() -> None:
    ctx = single_edge_case({CHECKOUT: gap(100, 300)}, {HOST_B: 0.7})
    with_symptoms(ctx, FRONT, origin=0.5)
    network_localisation(ctx)

    assert blamed(ctx) == [CHECKOUT]
    st = ctx.states[CHECKOUT]
    assert st.signals["path"] == pytest.approx(ratio_strength(100, 300, min_abs=10.0))
    (reason,) = st.reasons
    assert "calls from frontend to it slowed on the wire" in reason
    assert reason.endswith("its own time is steady; network metrics of it or its host rose")
    assert "other call path" not in reason
    (item,) = st.evidence
    assert item.kind == "traces"
    assert item.summary == "slow wire time on frontend → checkout"
    assert item.entity_id == CHECKOUT
    assert item.source == f"spans of {FRONT}"
    assert st.hints["network"] > 0

    front = ctx.states[FRONT]
    for name, before in CALLER_SYMPTOMS.items():
        assert front.signals[name] == pytest.approx(0.4 * before), name
    # Its own work did not slow: the failures it originates are timeouts on the wire.
    assert front.signals["origin"] == pytest.approx(0.2)
    assert front.explained_by == [CHECKOUT]
    assert front.counter == ["its slow calls are explained by the network at checkout"]


def test_a_caller_whose_own_work_slowed_keeps_its_failure_origins() -> None:
    ctx = single_edge_case({CHECKOUT: gap(100, 300)}, {HOST_B: 0.7}, front_self=(20, 60))
    with_symptoms(ctx, FRONT, origin=0.5)
    network_localisation(ctx)

    assert blamed(ctx) == [CHECKOUT]
    front = ctx.states[FRONT]
    assert front.signals["origin"] == 0.5
    assert front.signals["network"] == pytest.approx(0.4 * CALLER_SYMPTOMS["network"])


def test_a_network_anomaly_on_the_callee_itself_confirms_the_path() -> None:
    ctx = single_edge_case({CHECKOUT: gap(100, 300)}, {CHECKOUT: 0.5})
    network_localisation(ctx)
    assert blamed(ctx) == [CHECKOUT]
    assert "network metrics of it or its host rose" in ctx.states[CHECKOUT].reasons[0]


def test_other_fast_call_paths_of_the_caller_locate_the_slow_one() -> None:
    gaps = {
        "unknown-backend": gap(5, 6, calls=30),  # resolves to no candidate: not a comparison
        CHECKOUT: gap(100, 300),
        KART: gap(5, 6, calls=2),  # two calls are enough to compare
        SEARCH: gap(5, 6, calls=1),  # one call is not
        "checkout-7d9f8c6b5-x2k4q": gap(5, 6, calls=30),  # a pod of the callee itself
    }
    ctx = single_edge_case(gaps)
    network_localisation(ctx)

    assert blamed(ctx) == [CHECKOUT]
    (reason,) = ctx.states[CHECKOUT].reasons
    assert reason.endswith("and frontend's 1 other call path(s) are not")
    assert "network metrics" not in reason


def test_one_slow_path_with_only_unusable_comparisons_blames_nobody() -> None:
    gaps = {
        "unknown-backend": gap(5, 6, calls=30),
        CHECKOUT: gap(100, 300),
        SEARCH: gap(5, 6, calls=1),
        "checkout-7d9f8c6b5-x2k4q": gap(5, 6, calls=30),
    }
    ctx = single_edge_case(gaps)
    with_symptoms(ctx, FRONT)
    network_localisation(ctx)
    assert blamed(ctx) == []
    assert ctx.states[FRONT].signals == CALLER_SYMPTOMS
    assert ctx.states[FRONT].counter == []


def test_one_slow_path_without_comparison_or_network_anomaly_says_nothing() -> None:
    ctx = single_edge_case({CHECKOUT: gap(100, 300)}, {HOST_A: 0.0})
    with_symptoms(ctx, FRONT)
    network_localisation(ctx)
    assert blamed(ctx) == []
    assert ctx.states[FRONT].signals == CALLER_SYMPTOMS
    assert ctx.states[FRONT].explained_by == []
    assert ctx.states[CHECKOUT].hints == {}


def test_a_small_network_anomaly_still_confirms_the_path() -> None:
    ctx = single_edge_case({CHECKOUT: gap(100, 300)}, {HOST_A: 0.5})
    network_localisation(ctx)
    assert blamed(ctx) == [CHECKOUT]


def test_a_callee_slow_in_its_own_work_is_not_blamed_for_the_wire() -> None:
    ctx = single_edge_case({CHECKOUT: gap(100, 300), KART: gap(5, 6)}, {HOST_B: 0.7})
    ctx.states[CHECKOUT].signals["latency"] = 0.5
    with_symptoms(ctx, FRONT)
    network_localisation(ctx)
    assert blamed(ctx) == []
    assert ctx.states[FRONT].signals == CALLER_SYMPTOMS


@pytest.mark.parametrize(
    ("slow", "counts"),
    [
        (gap(5, 15, calls=2), True),  # 10 ms more, two calls: a slow path
        (gap(5, 14.9, calls=2), False),  # under 10 ms more is noise
        (gap(5, 15, calls=1), False),  # a single call is no path statistic
    ],
)
def test_a_slow_path_needs_ten_ms_more_on_at_least_two_calls(slow: CallGap, counts: bool) -> None:
    ctx = single_edge_case({CHECKOUT: slow}, {CHECKOUT: 0.5})
    network_localisation(ctx)
    assert blamed(ctx) == ([CHECKOUT] if counts else [])


def test_calls_a_service_makes_to_itself_are_no_path() -> None:
    ctx = single_edge_case({FRONT: gap(100, 300)}, {FRONT: 0.5, CHECKOUT: 0.5})
    network_localisation(ctx)
    assert blamed(ctx) == []


def test_two_names_of_one_callee_keep_the_strongest_rise() -> None:
    ctx = single_edge_case({"checkout": gap(100, 300), CHECKOUT: gap(100, 150)}, {CHECKOUT: 0.5})
    network_localisation(ctx)
    assert ctx.states[CHECKOUT].signals["path"] == pytest.approx(ratio_strength(100, 300, min_abs=10.0))


# --- several slow paths ------------------------------------------------------------------


def star_case(
    net: dict[str, float] | None = None, checkout_p90: tuple[float, float] = (40, 40)
) -> RankContext:
    """Five slow paths touch checkout (four callers, one callee); a bigger rise elsewhere
    (xray → yard) is separate, so no place dominates by added time: the count of paths decides."""
    cands = [
        svc(FRONT, "frontend"),
        svc(KART, "kart"),
        svc(SEARCH, "search"),
        svc(WEB, "web"),
        svc(CHECKOUT, "checkout", hosts=[HOST_A, HOST_B, HOST_C]),
        svc(ZETA, "zeta"),
        svc(XRAY, "xray"),
        svc(YARD, "yard"),
        host(HOST_A, "node-a"),
        host(HOST_B, "node-b"),
        host(HOST_C, "node-c"),
    ]
    checkout = traces(CHECKOUT, p90=checkout_p90)
    checkout.call_gaps = {ZETA: gap(100, 200)}
    checkout.source = "spans of checkout"
    stats = [
        caller(FRONT, {CHECKOUT: gap(100, 300)}),
        caller(KART, {CHECKOUT: gap(100, 250)}),
        caller(SEARCH, {CHECKOUT: gap(100, 180)}),
        caller(WEB, {CHECKOUT: gap(100, 180)}),
        checkout,
        healthy(ZETA),
        caller(XRAY, {YARD: gap(100, 600)}),
        healthy(YARD),
    ]
    return context(cands, stats, net)


def test_the_service_most_slow_paths_share_is_where_the_network_trouble_is() -> None:
    ctx = star_case()
    with_symptoms(ctx, FRONT, ZETA, CHECKOUT)
    network_localisation(ctx)

    assert blamed(ctx) == [CHECKOUT]
    st = ctx.states[CHECKOUT]
    assert st.signals["path"] == pytest.approx(ratio_strength(100, 300, min_abs=10.0))
    (reason,) = st.reasons
    assert "wire time rose on 5 call paths that all involve checkout (with zeta, frontend, kart)" in reason
    assert reason.endswith("while the services' own time is steady")
    (item,) = st.evidence
    assert (item.kind, item.summary, item.entity_id, item.source) == (
        "traces",
        "slow calls share checkout",
        CHECKOUT,
        "spans of checkout",
    )
    # Every peer on those paths, callers and callee alike, is explained by it; the locus
    # itself is blamed, not explained.
    for peer in (FRONT, ZETA):
        assert ctx.states[peer].signals == pytest.approx({k: 0.4 * v for k, v in CALLER_SYMPTOMS.items()})
        assert ctx.states[peer].explained_by == [CHECKOUT]
        assert "explained by the network at checkout" in ctx.states[peer].counter[0]
    assert ctx.states[CHECKOUT].signals["network"] == CALLER_SYMPTOMS["network"]
    assert ctx.states[CHECKOUT].explained_by == []
    assert ctx.states[XRAY].explained_by == []


def test_the_locus_host_with_the_strongest_network_anomaly_takes_the_blame() -> None:
    ctx = star_case({HOST_B: 0.3, HOST_C: 0.9})
    ctx.states[KART].signals.update({"dependency": 0.5, "latency": 0.5})
    network_localisation(ctx)

    assert blamed(ctx) == [HOST_C]
    st = ctx.states[HOST_C]
    assert st.reasons[0].endswith("; network anomaly on node-c, which runs checkout")
    assert st.evidence[0].entity_id == HOST_C
    assert st.evidence[0].summary == "slow calls share checkout"
    assert st.hints["network"] > 0
    for peer in (KART, CHECKOUT):
        assert ctx.states[peer].explained_by == [HOST_C]
        assert ctx.states[peer].counter == ["its slow calls are explained by the network at node-c"]
    assert ctx.states[KART].signals == pytest.approx({"dependency": 0.2, "latency": 0.2})


def test_a_locus_whose_own_requests_slowed_is_busy_not_behind_a_slow_network() -> None:
    ctx = star_case(checkout_p90=(40, 80))
    network_localisation(ctx)
    assert blamed(ctx) == []


@pytest.mark.parametrize(("after", "blames"), [(30.0, False), (29.9, True)])
def test_own_time_counts_as_risen_from_ten_ms_more(after: float, blames: bool) -> None:
    ctx = star_case(checkout_p90=(20, after))
    network_localisation(ctx)
    assert blamed(ctx) == ([CHECKOUT] if blames else [])


def test_two_places_with_as_many_slow_paths_do_not_say_which_is_at_fault() -> None:
    cands = [svc(s, s.lower()) for s in (FRONT, KART, CHECKOUT, XRAY, SEARCH, YARD)]
    stats = [
        caller(FRONT, {CHECKOUT: gap(100, 300)}),
        caller(KART, {CHECKOUT: gap(100, 300)}),
        caller(XRAY, {YARD: gap(100, 300)}),
        caller(SEARCH, {YARD: gap(100, 300)}),
    ]
    ctx = context(cands, stats, {CHECKOUT: 0.5, YARD: 0.5})
    network_localisation(ctx)
    assert blamed(ctx) == []


# --- one place with most of the added wire time ------------------------------------------


def dominant_case(db_hosts: list[str], net: dict[str, float] | None = None) -> RankContext:
    """Two callers add about a second each calling the database; xray adds 100 ms elsewhere."""
    cands = [
        svc(FRONT, "frontend"),
        svc(KART, "kart"),
        svc(DB, "orders-db", is_database=True, hosts=db_hosts),
        svc(XRAY, "xray"),
        svc(YARD, "yard"),
        host(HOST_A, "node-a"),
    ]
    stats = [
        caller(FRONT, {DB: gap(100, 1100)}),
        caller(KART, {DB: gap(100, 1000)}),
        caller(XRAY, {YARD: gap(100, 200)}),
        healthy(YARD),
    ]
    ctx = context(cands, stats, net)
    with_symptoms(ctx, XRAY, YARD)
    return ctx


def test_a_place_without_spans_of_its_own_can_be_the_locus() -> None:
    ctx = dominant_case([])
    network_localisation(ctx)

    assert blamed(ctx) == [DB]
    st = ctx.states[DB]
    (reason,) = st.reasons
    assert "wire time rose on 2 call paths that all involve orders-db (with frontend, kart)" in reason
    assert "network anomaly" not in reason
    assert reason.endswith("steady")
    (item,) = st.evidence
    assert (item.entity_id, item.source) == (DB, None)
    # The smaller rise elsewhere is load or noise next to the database's.
    xray = ctx.states[XRAY]
    assert xray.signals["network"] == pytest.approx(0.4 * CALLER_SYMPTOMS["network"])
    assert xray.counter == [
        "the wire time added on its calls is small next to that on the paths through orders-db"
    ]
    assert xray.explained_by == []
    assert ctx.states[YARD].signals == CALLER_SYMPTOMS  # the callee end is not discounted
    assert ctx.states[FRONT].explained_by == [DB]


def test_the_dominant_place_blamed_through_its_host_still_discounts_the_rest() -> None:
    ctx = dominant_case([HOST_A], {HOST_A: 0.5})
    network_localisation(ctx)

    assert blamed(ctx) == [HOST_A]
    assert ctx.states[HOST_A].reasons[0].endswith("network anomaly on node-a, which runs orders-db")
    assert ctx.states[XRAY].signals["network"] == pytest.approx(0.4 * CALLER_SYMPTOMS["network"])
    assert ctx.states[XRAY].counter[0].endswith("paths through orders-db")


def one_dominant_path_case(callee_slow: bool) -> RankContext:
    cands = [svc(FRONT, "frontend"), svc(DB, "orders-db"), svc(XRAY, "xray"), svc(YARD, "yard")]
    stats = [caller(FRONT, {DB: gap(100, 1100)}), caller(XRAY, {YARD: gap(100, 200)}), healthy(YARD)]
    ctx = context(cands, stats, {DB: 0.5})
    with_symptoms(ctx, XRAY)
    if callee_slow:
        ctx.states[DB].signals["latency"] = 0.5
    return ctx


def test_one_dominant_path_is_judged_as_a_single_slow_path() -> None:
    ctx = one_dominant_path_case(callee_slow=False)
    network_localisation(ctx)
    assert blamed(ctx) == [DB]
    assert "calls from frontend to it slowed on the wire" in ctx.states[DB].reasons[0]
    assert ctx.states[XRAY].signals["network"] == pytest.approx(0.4 * CALLER_SYMPTOMS["network"])
    assert "paths through orders-db" in ctx.states[XRAY].counter[0]


def test_when_the_dominant_place_is_not_blamed_the_other_rises_keep_their_weight() -> None:
    ctx = one_dominant_path_case(callee_slow=True)
    network_localisation(ctx)
    assert blamed(ctx) == []
    assert ctx.states[XRAY].signals == CALLER_SYMPTOMS
    assert ctx.states[XRAY].counter == []


def test_two_names_of_one_callee_keep_the_largest_added_time() -> None:
    # frontend's calls to checkout (by name) added two seconds; by id, 50 ms; xray → yard 500 ms.
    cands = [svc(FRONT, "frontend"), svc(CHECKOUT, "checkout"), svc(XRAY, "xray"), svc(YARD, "yard")]
    stats = [
        caller(FRONT, {"checkout": gap(100, 2100), CHECKOUT: gap(100, 150)}),
        caller(XRAY, {YARD: gap(100, 600)}),
        healthy(YARD),
    ]
    ctx = context(cands, stats, {CHECKOUT: 0.5})
    network_localisation(ctx)
    assert blamed(ctx) == [CHECKOUT]


def test_added_time_is_the_rise_over_the_baseline_not_the_total() -> None:
    # front → checkout was already slow (3 s → 4 s: one second added); xray → yard rose from
    # 10 ms to 2 s. The second path added twice as much wire time: it is where the delay is.
    cands = [svc(FRONT, "frontend"), svc(CHECKOUT, "checkout"), svc(XRAY, "xray"), svc(YARD, "yard")]
    stats = [caller(FRONT, {CHECKOUT: gap(3000, 4000)}), caller(XRAY, {YARD: gap(10, 2000)}), healthy(YARD)]
    ctx = context(cands, stats, {YARD: 0.5})
    network_localisation(ctx)
    assert blamed(ctx) == [YARD]


def test_both_network_rules_vote_alike_for_the_network_category() -> None:
    single = single_edge_case({CHECKOUT: gap(100, 300)}, {CHECKOUT: 0.5})
    network_localisation(single)
    shared = star_case()
    network_localisation(shared)
    assert single.states[CHECKOUT].hints == shared.states[CHECKOUT].hints
    assert set(shared.states[CHECKOUT].hints) == {"network"}


# --- the dominance rule itself --------------------------------------------------------------


def test_paths_that_added_no_wire_time_locate_nothing() -> None:
    assert _dominant_locus({(FRONT, CHECKOUT): 0.0}) is None
    assert _dominant_locus({(FRONT, CHECKOUT): 0.0, (XRAY, YARD): 500.0}) == XRAY


def test_a_place_leads_with_at_least_one_and_a_half_times_its_rivals_time() -> None:
    # The two ends of a path tie; the tie breaks on the entity id, never on input order.
    assert _dominant_locus({(KART, FRONT): 300.0, (XRAY, YARD): 200.0}) == FRONT
    assert _dominant_locus({(KART, FRONT): 299.0, (XRAY, YARD): 200.0}) is None


def test_a_place_with_several_slow_paths_sums_their_added_time() -> None:
    added = {(CHECKOUT, ZETA): 500.0, (CHECKOUT, DB): 500.0, (XRAY, YARD): 600.0}
    assert _dominant_locus(added) == CHECKOUT


def test_every_place_apart_from_the_leader_is_a_rival() -> None:
    # checkout leads with 1000 ms; xray, second, has 800 ms over two paths of its own.
    added = {
        (CHECKOUT, ZETA): 500.0,
        (CHECKOUT, DB): 500.0,
        (XRAY, YARD): 400.0,
        (XRAY, WEB): 400.0,
    }
    assert _dominant_locus(added) is None


def test_the_leaders_callers_share_its_time_and_are_no_rivals() -> None:
    # kart calls the leader and also adds 300 ms elsewhere: it is on the leader's path.
    added = {(KART, CHECKOUT): 500.0, (FRONT, CHECKOUT): 500.0, (KART, ZETA): 300.0}
    assert _dominant_locus(added) == CHECKOUT
