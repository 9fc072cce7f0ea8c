"""Propagation's contract: a symptom an anomalous callee explains is discounted, the deepest
anomalous callee gets the credit, and a changed caller that fails on its own explains the
callees it floods rather than the other way round. A service is seen from inside only when it
calls something and all of that is normal."""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Candidate, ChangeEvent, TraceStats, TraceWindowStats
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.propagation import downstream_explanation, downstream_of, seen_inside

from .scenarios import change, evidence, svc

FRONT, CART, DB, HOST = "SERVICE-F", "SERVICE-C", "SERVICE-D", "HOST-1"
EXPLAINED = "which is anomalous too: its own symptoms are likely propagated"
CONSEQUENCE = "changed right before the problem and fails on its own"


def _ctx(
    calls: dict[str, list[str]],
    signals: dict[str, dict[str, float]],
    *,
    changes: list[ChangeEvent] | None = None,
    candidates: list[Candidate] | None = None,
) -> RankContext:
    """Candidates named by the lower-case tail of their id, calling as ``calls`` says."""
    ids = sorted({*calls, *(c for cs in calls.values() for c in cs), *signals})
    cands = candidates or [svc(i, i.split("-", 1)[1].lower()) for i in ids]
    ctx = RankContext(
        evidence=evidence(candidates=cands),
        index=CandidateIndex(cands),
        states={c.entity_id: CandidateState(candidate=c) for c in cands},
        scale=1.0,
        changes=changes or [],
        callees={k: set(v) for k, v in calls.items()},
    )
    for cid, sig in signals.items():
        ctx.states[cid].signals.update(sig)
    return ctx


def _explained(st: CandidateState) -> bool:
    return any(EXPLAINED in c for c in st.counter)


# --- the classic rule ------------------------------------------------------------------------------


def test_the_deepest_anomalous_callee_takes_the_credit_and_callers_are_symptoms() -> None:
    ctx = _ctx(
        {FRONT: [CART], CART: [DB]}, {FRONT: {"latency": 1.0}, CART: {"latency": 1.0}, DB: {"latency": 1.0}}
    )
    downstream_explanation(ctx)
    front, cart, db = ctx.states[FRONT], ctx.states[CART], ctx.states[DB]
    assert front.signals["latency"] == pytest.approx(0.5)
    assert cart.signals["latency"] == pytest.approx(0.5)
    assert db.signals["latency"] == 1.0
    assert db.signals["propagation"] == pytest.approx(0.35)
    assert db.reasons == ["its anomaly explains those of the services that depend on it: c, f"]
    assert "propagation" not in cart.signals and "propagation" not in front.signals
    # the nearest culprit is who explains it; the report names the first two
    assert front.explained_by == [CART] and cart.explained_by == [DB]
    assert front.counter == [f"it calls c, d, {EXPLAINED}"]
    assert cart.counter == [f"it calls d, {EXPLAINED}"]
    assert db.counter == [] and db.explained_by == []
    assert db.score() > front.score() and db.score() > cart.score()


def test_credit_is_as_strong_as_the_most_anomalous_caller_it_explains() -> None:
    ctx = _ctx(
        {FRONT: [CART], CART: [DB]},
        {FRONT: {"origin": 1.0}, CART: {"latency": 1.0}, DB: {"latency": 1.0}},
    )
    downstream_explanation(ctx)
    assert ctx.states[DB].signals["propagation"] == pytest.approx(0.5)


def test_every_deepest_culprit_of_a_branching_call_tree_gets_credit() -> None:
    a, b, c = "SERVICE-A", "SERVICE-B", "SERVICE-CC"
    ctx = _ctx({FRONT: [a, b], a: [c]}, {k: {"latency": 1.0} for k in (FRONT, a, b, c)})
    downstream_explanation(ctx)
    assert ctx.states[b].reasons == ["its anomaly explains those of the services that depend on it: f"]
    assert ctx.states[c].reasons == ["its anomaly explains those of the services that depend on it: a, f"]
    assert "propagation" not in ctx.states[a].signals
    # three culprits below: the report names the first two
    assert ctx.states[FRONT].counter == [f"it calls a, b, {EXPLAINED}"]


def test_the_propagation_reason_names_at_most_three_callers() -> None:
    callers = [f"SERVICE-{n}" for n in ("P", "Q", "R", "S")]
    ctx = _ctx({c: [DB] for c in callers}, {**{c: {"latency": 1.0} for c in callers}, DB: {"latency": 1.0}})
    downstream_explanation(ctx)
    assert ctx.states[DB].reasons == ["its anomaly explains those of the services that depend on it: p, q, r"]


def test_in_a_cycle_the_nearest_culprit_takes_the_credit() -> None:
    ctx = _ctx({CART: [DB], DB: [CART]}, {CART: {"latency": 1.0}, DB: {"latency": 0.9}})
    downstream_explanation(ctx)
    assert ctx.states[CART].explained_by == [DB] and ctx.states[DB].explained_by == [CART]
    assert ctx.states[DB].signals["propagation"] == pytest.approx(0.35)
    assert ctx.states[CART].signals["propagation"] == pytest.approx(0.35 * 0.9)


# --- what is discounted and what is kept ------------------------------------------------------------


def test_propagating_symptoms_are_halved_own_trouble_is_kept() -> None:
    symptoms = {
        "latency": 1.0,
        "failure_rate": 1.0,
        "failure_metric": 1.0,
        "logs": 1.0,
        "davis_evidence": 1.0,
    }
    ctx = _ctx({CART: [DB]}, {CART: {**symptoms, "resource": 1.0, "throughput": 1.0}, DB: {"origin": 1.0}})
    downstream_explanation(ctx)
    cart = ctx.states[CART].signals
    assert {k: cart[k] for k in symptoms} == pytest.approx(dict.fromkeys(symptoms, 0.5))
    assert cart["resource"] == 1.0 and cart["throughput"] == 1.0


def test_failures_that_originate_in_its_own_spans_keep_their_rate_and_logs() -> None:
    sig = {"origin": 1.0, "failure_rate": 1.0, "logs": 1.0, "latency": 1.0}
    ctx = _ctx({CART: [DB]}, {CART: dict(sig), DB: {"origin": 1.0, "latency": 1.0}})
    downstream_explanation(ctx)
    cart = ctx.states[CART].signals
    assert cart["failure_rate"] == 1.0 and cart["logs"] == 1.0 and cart["origin"] == 1.0
    assert cart["latency"] == pytest.approx(0.5)
    # failures that originate in an outgoing call are the callee's: not kept
    ctx2 = _ctx({CART: [DB]}, {CART: dict(sig), DB: {"origin": 1.0, "latency": 1.0}})
    ctx2.states[CART].client_origin = True
    downstream_explanation(ctx2)
    assert ctx2.states[CART].signals["failure_rate"] == pytest.approx(0.5)
    assert ctx2.states[CART].signals["logs"] == pytest.approx(0.5)


def _with_self_time(self_p90: float | None) -> TraceStats:
    window = TraceWindowStats(requests=100, p90_ms=400.0, self_p90_ms=self_p90)
    return TraceStats(service=CART, baseline=window, incident=window)


def test_latency_already_judged_on_self_time_is_kept() -> None:
    ctx = _ctx({CART: [DB]}, {CART: {"latency": 1.0}, DB: {"latency": 1.0}})
    ctx.states[CART].traces = _with_self_time(120.0)
    downstream_explanation(ctx)
    assert ctx.states[CART].signals["latency"] == 1.0
    assert _explained(ctx.states[CART])
    ctx2 = _ctx({CART: [DB]}, {CART: {"latency": 1.0}, DB: {"latency": 1.0}})
    ctx2.states[CART].traces = _with_self_time(None)
    downstream_explanation(ctx2)
    assert ctx2.states[CART].signals["latency"] == pytest.approx(0.5)


# --- thresholds ----------------------------------------------------------------------------------------


def test_a_callee_explains_from_an_anomaly_of_fifteen_hundredths() -> None:
    # the caller's latency 0.8 (0.28): a callee at half of it or more is comparable
    at = _ctx({CART: [DB]}, {CART: {"latency": 0.8}, DB: {"origin": 0.3}})  # 0.15
    below = _ctx({CART: [DB]}, {CART: {"latency": 0.8}, DB: {"origin": 0.29}})  # 0.145
    downstream_explanation(at)
    downstream_explanation(below)
    assert _explained(at.states[CART]) and at.states[DB].signals["propagation"] == pytest.approx(0.28)
    assert not _explained(below.states[CART]) and "propagation" not in below.states[DB].signals
    assert below.states[CART].signals["latency"] == 0.8


def test_a_caller_below_fifteen_hundredths_is_no_anomaly_to_explain() -> None:
    at = _ctx({CART: [DB]}, {CART: {"origin": 0.3}, DB: {"latency": 1.0}})
    below = _ctx({CART: [DB]}, {CART: {"origin": 0.29}, DB: {"latency": 1.0}})
    downstream_explanation(at)
    downstream_explanation(below)
    assert at.states[CART].explained_by == [DB] and _explained(at.states[CART])
    assert below.states[CART].explained_by == [] and below.states[CART].counter == []
    assert "propagation" not in below.states[DB].signals


def test_a_callee_far_less_anomalous_than_its_caller_explains_nothing() -> None:
    # caller 0.5; a callee at 0.25 (half) explains, at 0.245 it does not
    at = _ctx({CART: [DB]}, {CART: {"origin": 1.0}, DB: {"origin": 0.5}})
    below = _ctx({CART: [DB]}, {CART: {"origin": 1.0}, DB: {"origin": 0.49}})
    downstream_explanation(at)
    downstream_explanation(below)
    assert at.states[CART].explained_by == [DB]
    assert below.states[CART].explained_by == [] and "propagation" not in below.states[DB].signals


def test_more_traffic_at_a_callee_explains_nothing_above_it() -> None:
    ctx = _ctx({CART: [DB]}, {CART: {"latency": 1.0}, DB: {"throughput": 1.0, "load": 0.0}})
    downstream_explanation(ctx)
    assert ctx.states[CART].signals["latency"] == 1.0
    assert ctx.states[CART].counter == [] and "propagation" not in ctx.states[DB].signals
    # a change or Davis's opinion of a callee is no anomaly of it either
    ctx2 = _ctx({CART: [DB]}, {CART: {"latency": 1.0}, DB: {"change": 1.0, "davis": 1.0}})
    downstream_explanation(ctx2)
    assert ctx2.states[CART].counter == []


# --- what "downstream" is ------------------------------------------------------------------------------


def test_downstream_is_nearest_first_without_repeats_or_itself() -> None:
    a, b, c = "SERVICE-A", "SERVICE-B", "SERVICE-CC"
    ctx = _ctx({FRONT: [b, a], a: [c, FRONT], b: [c]}, {})
    assert downstream_of(ctx, FRONT) == [a, b, c]
    assert downstream_of(ctx, c) == []


def test_downstream_follows_six_calls_deep_by_default() -> None:
    chain = [f"SERVICE-N{i}" for i in range(9)]
    ctx = _ctx({chain[i]: [chain[i + 1]] for i in range(8)}, {})
    assert downstream_of(ctx, chain[0]) == chain[1:7]
    assert downstream_of(ctx, chain[0], depth=2) == chain[1:3]


def _hosted(host_of_front: list[str]) -> RankContext:
    cands = [
        svc(FRONT, "front", hosts=host_of_front),
        svc(CART, "cart", hosts=["host-one"]),
        svc(DB, "db", hosts=["host-one"]),
        svc(HOST, "host-one", type="HOST"),
    ]
    return _ctx({FRONT: [CART, DB]}, {}, candidates=cands)


def test_downstream_includes_the_hosts_its_callees_run_on_once() -> None:
    assert downstream_of(_hosted([]), FRONT) == [CART, DB, HOST]
    # its own host is its own trouble, not something downstream
    assert downstream_of(_hosted([HOST]), FRONT) == [CART, DB]
    assert downstream_of(_hosted([HOST.lower()]), FRONT) == [CART, DB]


def test_a_host_that_is_also_a_callee_is_listed_once() -> None:
    cands = [svc(FRONT, "front"), svc(CART, "cart", hosts=["HOST-1"]), svc(HOST, "host-one", type="HOST")]
    ctx = _ctx({FRONT: [CART, HOST]}, {}, candidates=cands)
    assert downstream_of(ctx, FRONT) == [HOST, CART]
    unknown = [svc(FRONT, "front"), svc(CART, "cart", hosts=["nowhere"])]
    assert downstream_of(_ctx({FRONT: [CART]}, {}, candidates=unknown), FRONT) == [CART]


def test_an_anomalous_host_of_a_callee_explains_the_caller() -> None:
    ctx = _hosted([])
    ctx.states[FRONT].signals["latency"] = 1.0
    ctx.states[HOST].signals["resource"] = 1.0
    downstream_explanation(ctx)
    assert ctx.states[FRONT].explained_by == [HOST]
    assert ctx.states[FRONT].counter == [f"it calls host-one, {EXPLAINED}"]
    assert ctx.states[HOST].signals["propagation"] == pytest.approx(0.35)


# --- a changed caller that fails on its own -----------------------------------------------------------


def _trigger(
    *,
    site: dict[str, float] | None = None,
    callee: dict[str, float] | None = None,
    changes: list[ChangeEvent] | None = None,
    client_origin: bool = False,
) -> RankContext:
    ctx = _ctx(
        {FRONT: [CART]},
        {FRONT: site or {"origin": 1.0, "latency": 1.0}, CART: callee or {"latency": 1.0}},
        changes=[change("cfg-1", FRONT, kind="configuration", minutes=-7.0)] if changes is None else changes,
    )
    ctx.states[FRONT].client_origin = client_origin
    downstream_explanation(ctx)
    return ctx


def _consequence(ctx: RankContext) -> bool:
    return any(CONSEQUENCE in c for c in ctx.states[CART].counter)


def test_a_changed_caller_failing_on_its_own_explains_the_callee_it_floods() -> None:
    ctx = _trigger()
    front, cart = ctx.states[FRONT], ctx.states[CART]
    assert cart.counter == [
        "f changed right before the problem and fails on its own; this deviation of a service it calls "
        "is likely a consequence"
    ]
    assert cart.explained_by == [FRONT]
    assert cart.signals["latency"] == pytest.approx(0.5)
    # the callee no longer explains the changed caller, and takes no credit
    assert front.signals["latency"] == 1.0 and front.counter == [] and front.explained_by == []
    assert "propagation" not in cart.signals
    # without the change, the callee explains the caller's symptoms instead
    plain = _trigger(changes=[])
    assert not _consequence(plain) and plain.states[FRONT].explained_by == [CART]


def test_the_trigger_change_is_a_deployment_or_configuration_from_half_an_hour_before_to_two_after() -> None:
    def fires(ch: ChangeEvent) -> bool:
        return _consequence(_trigger(changes=[ch]))

    assert fires(change("d", FRONT, kind="deployment", minutes=-30.0))
    assert fires(change("d", FRONT, kind="deployment", minutes=2.0))
    assert not fires(change("d", FRONT, kind="deployment", minutes=-30.5))
    assert not fires(change("d", FRONT, kind="deployment", minutes=2.5))
    other = change("d", FRONT, kind="deployment", minutes=-5.0).model_copy(update={"kind": "other"})
    assert not fires(other)
    untimed = change("d", FRONT, kind="deployment").model_copy(update={"minutes_from_start": None})
    assert not fires(untimed)
    assert not fires(change("d", DB, kind="deployment", minutes=-5.0))
    by_case = change("d", FRONT, kind="deployment").model_copy(update={"entity_ids": [FRONT.lower()]})
    assert fires(by_case)


def test_a_change_of_the_callers_process_group_counts_as_its_change() -> None:
    pg = "PROCESS_GROUP-1"
    cands = [svc(FRONT, "f", process_groups=[pg]), svc(CART, "c")]
    ctx = _ctx(
        {FRONT: [CART]},
        {FRONT: {"origin": 1.0}, CART: {"latency": 1.0}},
        changes=[change("d", pg.lower(), minutes=-5.0)],
        candidates=cands,
    )
    downstream_explanation(ctx)
    assert ctx.states[CART].explained_by == [FRONT]


def test_the_trigger_must_fail_on_its_own() -> None:
    # symptoms alone are not its own trouble
    assert not _consequence(_trigger(site={"latency": 1.0, "failure_rate": 1.0}))
    # failures originating in its outgoing calls are not its own either
    assert not _consequence(_trigger(client_origin=True))
    # its own resource trouble or a noisy neighbour is
    assert _consequence(_trigger(site={"resource": 0.375}))  # 0.15
    assert _consequence(_trigger(site={"neighbour": 1.0}))
    assert not _consequence(_trigger(site={"resource": 0.37}))  # 0.148
    assert _consequence(_trigger(site={"origin": 0.3}))  # 0.15
    assert not _consequence(_trigger(site={"origin": 0.29}))


def test_a_callee_with_trouble_or_a_change_of_its_own_is_no_consequence() -> None:
    assert not _consequence(_trigger(callee={"latency": 1.0, "resource": 0.01}))
    assert not _consequence(_trigger(callee={"latency": 1.0, "origin": 0.01}))
    relayed = _ctx(
        {FRONT: [CART]},
        {FRONT: {"origin": 1.0}, CART: {"latency": 1.0, "origin": 0.5}},
        changes=[change("cfg-1", FRONT, kind="configuration", minutes=-7.0)],
    )
    relayed.states[CART].client_origin = True  # its failures are its callee's: still a consequence
    downstream_explanation(relayed)
    assert _consequence(relayed)
    both = _trigger(changes=[change("c1", FRONT, minutes=-7.0), change("c2", CART, minutes=-40.0)])
    assert _consequence(both)  # a change long before is no trigger of its own
    both2 = _trigger(changes=[change("c1", FRONT, minutes=-7.0), change("c2", CART, minutes=-5.0)])
    assert not _consequence(both2)


def test_a_callee_needs_an_anomaly_to_be_a_consequence() -> None:
    assert _consequence(_trigger(callee={"origin": 0.0, "latency": 0.15 / 0.35 + 0.001}))
    assert not _consequence(_trigger(callee={"latency": 0.4}))  # 0.14


def test_a_changed_trigger_callee_is_not_a_consequence_of_its_caller() -> None:
    ctx = _trigger(
        callee={"origin": 1.0},
        changes=[change("c1", FRONT, minutes=-7.0), change("c2", CART, minutes=-5.0)],
    )
    assert not _consequence(ctx)
    assert ctx.states[CART].signals["origin"] == 1.0


def test_a_callee_two_changed_callers_flood_is_discounted_once() -> None:
    a = "SERVICE-A"
    ctx = _ctx(
        {FRONT: [CART], a: [CART]},
        {FRONT: {"origin": 1.0}, a: {"origin": 1.0}, CART: {"latency": 1.0}},
        changes=[change("c1", FRONT, minutes=-7.0), change("c2", a, minutes=-6.0)],
    )
    downstream_explanation(ctx)
    cart = ctx.states[CART]
    assert cart.signals["latency"] == pytest.approx(0.5)
    assert cart.explained_by == [a]  # the first trigger in id order
    assert sum(CONSEQUENCE in c for c in cart.counter) == 1


def test_a_trigger_below_fifteen_hundredths_of_anomaly_triggers_nothing() -> None:
    # own trouble enough but the deviation counted without traffic too small: impossible apart,
    # so check the anomaly bound through the origin alone
    assert _consequence(_trigger(site={"origin": 0.3, "throughput": 1.0}))
    assert not _consequence(_trigger(site={"origin": 0.29, "throughput": 1.0}))


def test_a_caller_above_a_cycle_credits_only_the_nearest_of_it() -> None:
    a, b, c = "SERVICE-A", "SERVICE-B", "SERVICE-CC"
    ctx = _ctx({a: [b], b: [c], c: [b]}, {a: {"origin": 1.0}, b: {"latency": 1.0}, c: {"latency": 1.0}})
    downstream_explanation(ctx)
    assert ctx.states[b].reasons == ["its anomaly explains those of the services that depend on it: a, cc"]
    assert ctx.states[c].reasons == ["its anomaly explains those of the services that depend on it: b"]
    assert ctx.states[b].signals["propagation"] == pytest.approx(0.5)
    assert ctx.states[c].signals["propagation"] == pytest.approx(0.35)


def test_changes_that_are_no_trigger_do_not_hide_one_that_is() -> None:
    other = change("o", FRONT, minutes=-5.0).model_copy(update={"kind": "other"})
    untimed = change("u", FRONT).model_copy(update={"minutes_from_start": None})
    early = change("e", FRONT, minutes=-90.0)
    elsewhere = change("x", DB, minutes=-5.0)
    assert _consequence(
        _trigger(changes=[other, untimed, early, elsewhere, change("d", FRONT, minutes=-5.0)])
    )


def test_a_changed_service_that_calls_nothing_explains_nothing() -> None:
    ctx = _ctx(
        {}, {FRONT: {"origin": 1.0}, CART: {"latency": 1.0}}, changes=[change("d", FRONT, minutes=-5.0)]
    )
    downstream_explanation(ctx)
    assert ctx.states[CART].counter == [] and ctx.states[CART].signals["latency"] == 1.0


def test_every_callee_of_a_changed_caller_is_judged_on_its_own() -> None:
    healthy, troubled, changed = "SERVICE-A1", "SERVICE-A2", "SERVICE-A3"
    ctx = _ctx(
        {FRONT: [healthy, troubled, changed, CART]},
        {
            FRONT: {"origin": 1.0},
            healthy: {"latency": 0.1},
            troubled: {"latency": 1.0, "resource": 0.5},
            changed: {"latency": 1.0},
            CART: {"latency": 1.0},
        },
        changes=[change("d", FRONT, minutes=-5.0), change("d3", changed, minutes=-4.0)],
    )
    downstream_explanation(ctx)
    assert [
        any(CONSEQUENCE in c for c in ctx.states[d].counter) for d in (healthy, troubled, changed, CART)
    ] == [
        False,
        False,
        False,
        True,
    ]


# --- seen from inside ------------------------------------------------------------------------------------


def test_a_service_is_seen_inside_only_when_it_calls_something_and_all_of_it_is_normal() -> None:
    a = "SERVICE-A"
    ctx = _ctx(
        {FRONT: [CART], CART: [DB]}, {FRONT: {"latency": 1.0}, CART: {"latency": 0.1}, DB: {"latency": 0.1}}
    )
    assert seen_inside(ctx, FRONT) and seen_inside(ctx, CART)
    assert not seen_inside(ctx, DB)  # a leaf: nothing is seen inside it
    ctx.states[DB].signals["origin"] = 1.0  # two calls down, and it still counts
    assert not seen_inside(ctx, FRONT) and not seen_inside(ctx, CART)
    lonely = _ctx({}, {a: {"latency": 1.0}})
    assert not seen_inside(lonely, a)


def test_a_callee_anomalous_from_fifteen_hundredths_hides_the_inside() -> None:
    at = _ctx({CART: [DB]}, {CART: {"latency": 1.0}, DB: {"origin": 0.3}})  # 0.15
    below = _ctx({CART: [DB]}, {CART: {"latency": 1.0}, DB: {"origin": 0.29}})  # 0.145
    assert not seen_inside(at, CART)
    assert seen_inside(below, CART)


def test_more_traffic_at_a_callee_does_not_hide_the_inside_but_its_host_does() -> None:
    busy = _ctx({CART: [DB]}, {CART: {"latency": 1.0}, DB: {"throughput": 1.0}})
    assert seen_inside(busy, CART)
    hosted = _hosted([])
    hosted.states[HOST].signals["resource"] = 1.0
    assert not seen_inside(hosted, FRONT)
    hosted.states[HOST].signals["resource"] = 0.0
    assert seen_inside(hosted, FRONT)
