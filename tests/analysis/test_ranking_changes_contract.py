"""The change pass's contract: what a change counts for, and what the report says about it.

A change is only as strong as the trouble of its own entity it can explain: a change on a
healthy entity stays weak, one on an entity something else explains counts about a third,
and a step in the entity's own metrics right at the change is that trouble. Davis's change
events become change events once, with their kind and time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dynatrace_agent.analysis.evidence import (
    Candidate,
    ChangeEvent,
    DavisEvidence,
    Evidence,
    MetricDeviation,
    metric_kind,
)
from dynatrace_agent.analysis.ranking.changes import change_signals, davis_changes
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext

from .scenarios import START, change, evidence, problem, svc

CART, PRICE = "SERVICE-00000000000000C1", "SERVICE-00000000000000C2"
PG = "PROCESS_GROUP-00000000000000C9"


def _ctx(
    candidates: list[Candidate],
    changes: list[ChangeEvent],
    *,
    metrics: list[MetricDeviation] | None = None,
    start_known: bool = True,
) -> RankContext:
    prob = problem()
    if not start_known:
        prob = prob.model_copy(update={"start": None})
    ev = evidence(problem=prob, candidates=candidates, changes=changes, metrics=metrics or [])
    return RankContext(
        evidence=ev,
        index=CandidateIndex(candidates),
        states={c.entity_id: CandidateState(candidate=c) for c in candidates},
        scale=1.0,
        changes=list(changes),
    )


def _run(
    changes: list[ChangeEvent],
    *,
    signals: dict[str, float] | None = None,
    metrics: list[MetricDeviation] | None = None,
    candidate: Candidate | None = None,
    start_known: bool = True,
    **state: object,
) -> CandidateState:
    """The cart candidate's state after the change pass (other candidates: a healthy price)."""
    cart = candidate or svc(CART, "cart")
    ctx = _ctx([cart, svc(PRICE, "price")], changes, metrics=metrics, start_known=start_known)
    st = ctx.states[CART]
    st.signals.update(signals or {})
    for key, value in state.items():
        setattr(st, key, value)
    change_signals(ctx)
    return st


def _strength(changes: list[ChangeEvent], **kw: object) -> float:
    return _run(changes, **kw).signals.get("change", 0.0)  # type: ignore[arg-type]


def _event(
    event_id: str, minutes: float, *, kind: str = "deployment", name: str = "", **kw: object
) -> ChangeEvent:
    return ChangeEvent(
        event_id=event_id,
        event_type=str(kw.pop("event_type", "CUSTOM_DEPLOYMENT")),
        name=name,
        kind=kind,  # type: ignore[arg-type]
        entity_ids=list(kw.pop("entity_ids", [CART])),  # type: ignore[call-overload]
        timestamp=kw.pop("timestamp", START + timedelta(minutes=minutes)),  # type: ignore[arg-type]
        minutes_from_start=minutes,
        source=str(kw.pop("source", "fetch events")),
    )


# --- what a change counts for -------------------------------------------------------------


def test_a_change_on_a_healthy_entity_stays_weak_and_says_so() -> None:
    st = _run([change("d-1", CART, minutes=-8.0)])
    assert st.signals["change"] == pytest.approx(0.25)
    assert st.best_change is not None and st.best_change.event_id == "d-1"
    assert st.counter == ["changed shortly before the problem, but shows no deviation of its own"]


def test_a_change_counts_in_full_when_its_entity_deviates_enough() -> None:
    full = _strength([change("d-1", CART, minutes=-8.0)], signals={"origin": 0.8})  # 0.4 own deviation
    half = _strength([change("d-1", CART, minutes=-8.0)], signals={"origin": 0.4})  # 0.2
    assert full == pytest.approx(1.0)
    assert half == pytest.approx(0.25 + 0.75 * 0.5)
    # a clear own deviation: no "no deviation of its own" counter-evidence
    assert _run([change("d-1", CART)], signals={"origin": 0.4}).counter == []


def test_the_no_deviation_counter_starts_below_a_tenth_of_own_deviation() -> None:
    # latency weighs 0.35: just over and just under 0.1 own deviation
    at_bound = _run([change("d-1", CART)], signals={"latency": 0.101 / 0.35})
    below = _run([change("d-1", CART)], signals={"latency": 0.099 / 0.35})
    assert at_bound.counter == []
    assert below.counter == ["changed shortly before the problem, but shows no deviation of its own"]


def test_only_trouble_a_change_can_cause_counts_as_own_deviation() -> None:
    # more incoming traffic and load are not something a change of the entity itself causes
    traffic = _strength([change("d-1", CART)], signals={"throughput": 1.0, "load": 1.0})
    latency = _strength([change("d-1", CART)], signals={"latency": 1.0})
    assert traffic == pytest.approx(0.25)
    assert latency > 0.9


def test_a_change_on_an_entity_something_else_explains_counts_about_a_third() -> None:
    free = _strength([change("d-1", CART)], signals={"origin": 0.8})
    by_other = _run([change("d-1", CART)], signals={"origin": 0.8}, explained_by=[PRICE])
    late = _strength([change("d-1", CART)], signals={"origin": 0.8}, late=True)
    assert by_other.signals["change"] == pytest.approx(free * 0.35)
    assert late == pytest.approx(free * 0.35)
    assert by_other.counter == ["changed before the problem, but its trouble is explained by price"]


def test_change_timing_near_the_start_counts_fully_and_fades_further_back() -> None:
    def at(m: float) -> float:
        return _strength([change("d-1", CART, minutes=m)], signals={"origin": 0.8})

    assert at(-30.0) == pytest.approx(1.0)
    assert at(2.0) == pytest.approx(1.0)
    assert at(0.0) == pytest.approx(1.0)
    # after the start (it may react to the problem): half
    assert at(2.5) == pytest.approx(0.5)
    assert at(15.0) == pytest.approx(0.5)
    # earlier than half an hour: fades linearly to 0.3 at three hours before
    assert at(-60.0) == pytest.approx(1.0 - 30 / 150 * 0.7)
    assert at(-180.0) == pytest.approx(0.3)
    assert at(-31.0) < 1.0


def test_changes_outside_three_hours_before_to_fifteen_minutes_after_do_not_count() -> None:
    assert "change" not in _run([change("d-1", CART, minutes=-180.5)], signals={"origin": 0.8}).signals
    assert "change" not in _run([change("d-1", CART, minutes=15.5)], signals={"origin": 0.8}).signals
    no_time = _event("d-2", 0.0).model_copy(update={"minutes_from_start": None})
    st = _run([no_time], signals={"origin": 0.8})
    assert "change" not in st.signals and st.best_change is None
    assert st.counter == []


def test_deployments_and_configuration_changes_count_twice_what_other_events_do() -> None:
    dep = _strength([change("d-1", CART, kind="deployment")], signals={"origin": 0.8})
    cfg = _strength([change("c-1", CART, kind="configuration")], signals={"origin": 0.8})
    other = _strength(
        [_event("o-1", -8.0, kind="other", event_type="CUSTOM_INFO", name="feature flag")],
        signals={"origin": 0.8},
    )
    assert dep == pytest.approx(1.0)
    assert cfg == pytest.approx(1.0)
    assert other == pytest.approx(0.5)


def test_a_restart_event_is_not_a_change() -> None:
    restart = _event("r-1", -3.0, kind="other", event_type="PROCESS_RESTART", name="Container OOMKilled")
    st = _run([restart], signals={"origin": 0.8})
    assert "change" not in st.signals
    assert st.best_change is None


def test_only_changes_of_the_entity_or_its_process_groups_count() -> None:
    other_entity = _run([change("d-1", PRICE)], signals={"origin": 0.8})
    assert "change" not in other_entity.signals and other_entity.best_change is None
    cart = svc(CART, "cart", process_groups=[PG])
    by_group = _run([_event("d-2", -5.0, entity_ids=[PG.lower()])], signals={"origin": 0.8}, candidate=cart)
    assert by_group.signals["change"] == pytest.approx(1.0)
    by_id_case = _run([_event("d-3", -5.0, entity_ids=[CART.lower()])], signals={"origin": 0.8})
    assert by_id_case.signals["change"] == pytest.approx(1.0)


def test_the_strongest_change_is_the_entitys_best_change() -> None:
    older = change("d-old", CART, minutes=-150.0)
    recent = change("d-new", CART, minutes=-5.0)
    later = change("d-late", CART, minutes=10.0)
    st = _run([older, recent, later], signals={"origin": 0.8})
    assert st.best_change is not None and st.best_change.event_id == "d-new"
    assert st.signals["change"] == pytest.approx(1.0)
    # each change is cited, strongest or not
    assert [e.records for e in st.evidence] == [["d-old"], ["d-new"], ["d-late"]]
    st2 = _run([recent, older], signals={"origin": 0.8})
    assert st2.best_change is not None and st2.best_change.event_id == "d-new"


# --- what the report says ------------------------------------------------------------------


def test_reason_and_evidence_name_the_change_its_kind_and_when() -> None:
    st = _run(
        [_event("ev-42", -8.4, name="cart 2.14.0", source="fetch events | SDLC")], signals={"origin": 0.8}
    )
    assert st.reasons == ["deployment “cart 2.14.0” 8 min before the problem started (event ev-42)"]
    (item,) = st.evidence
    assert item.kind == "change"
    assert item.summary == "deployment: cart 2.14.0, 8 min before the problem started"
    assert item.entity_id == CART
    assert item.source == "fetch events | SDLC"
    assert item.records == ["ev-42"]


def test_a_change_after_the_start_says_after_and_an_unnamed_one_its_event_type() -> None:
    st = _run(
        [_event("ev-7", 6.6, kind="configuration", event_type="CUSTOM_CONFIGURATION")],
        signals={"origin": 0.8},
    )
    assert st.reasons == ["configuration “CUSTOM_CONFIGURATION” 7 min after the problem started (event ev-7)"]
    at_start = _run([_event("ev-8", 0.0, name="x")], signals={"origin": 0.8})
    assert "0 min before the problem started" in at_start.reasons[0]


# --- a step in the entity's own metrics at the change ---------------------------------------


def _series(
    values: list[float],
    *,
    key: str = "dt.service.response.time",
    entity: str = CART,
    first_minutes: float = -30.0,
    step_s: float = 60.0,
) -> MetricDeviation:
    return MetricDeviation(
        entity_id=entity,
        metric_key=key,
        kind=metric_kind(key),
        series_start=START + timedelta(minutes=first_minutes),
        series_step_s=step_s,
        series=list(values),
        source=f"timeseries avg({key})",
    )


def _steady_then(after: list[float], level: float = 100.0, n: int = 20, **kw: object) -> MetricDeviation:
    """``n`` steady minutes at ``level`` ending at the change (minute -10), then ``after``."""
    before = [level + (1.0 if i % 2 else -1.0) for i in range(n)]
    return _series(before + after, first_minutes=-10.0 - n, **kw)  # type: ignore[arg-type]


def test_a_sharp_step_right_at_the_change_is_the_entitys_own_deviation() -> None:
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[_steady_then([200.0, 200.0, 200.0])])
    step = [r for r in st.reasons if "right after the change" in r]
    assert step == [
        "dt.service.response.time moved 100 → 200 right after the change (the hour before it was steady)"
    ]
    # full step credit (0.4) makes the change count in full, with no "no deviation" counter
    assert st.signals["change"] == pytest.approx(1.0)
    assert st.counter == []


def test_the_step_must_clear_three_spreads_and_counts_in_full_at_nine() -> None:
    # spread: 5 % of the level 100 = 5 (the ±1 wiggle is smaller); z = moved / 5
    def strength(moved: float) -> float:
        return _strength([change("d-1", CART, minutes=-10.0)], metrics=[_steady_then([100.0 + moved] * 3)])

    assert strength(15.0) == pytest.approx(0.25)  # z = 3: no step
    assert strength(30.0) == pytest.approx(0.25 + 0.75 * 0.5)  # z = 6: half
    assert strength(45.0) == pytest.approx(1.0)  # z = 9: full
    assert strength(30.0) < strength(36.0) < strength(45.0)


def test_a_step_weaker_than_the_entitys_deviation_adds_no_reason() -> None:
    st = _run(
        [change("d-1", CART, minutes=-10.0)], metrics=[_steady_then([130.0] * 3)], signals={"origin": 0.8}
    )
    assert not any("right after the change" in r for r in st.reasons)
    assert st.signals["change"] == pytest.approx(1.0)


def test_availability_steps_count_when_it_falls() -> None:
    falls = _run(
        [change("d-1", CART, minutes=-10.0)],
        metrics=[_steady_then([50.0] * 3, key="builtin:service.availability")],
    )
    rises = _run(
        [change("d-1", CART, minutes=-10.0)],
        metrics=[_steady_then([150.0] * 3, key="builtin:service.availability")],
    )
    assert any("moved 100 → 50 right after the change" in r for r in falls.reasons)
    assert falls.signals["change"] == pytest.approx(1.0)
    assert rises.signals["change"] == pytest.approx(0.25)


def test_failure_counts_step_by_several_failures_not_a_fraction() -> None:
    # a count of rare failures steady at zero: a spread floor of one failure per interval
    zeros = [0.0] * 20
    small = _series(zeros + [3.0] * 3, key="dt.service.failure.count", first_minutes=-30.0)
    big = _series(zeros + [9.0] * 3, key="dt.service.failure.count", first_minutes=-30.0)
    rate = _series(zeros + [0.5] * 3, key="dt.service.failure.rate", first_minutes=-30.0)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[small]) == pytest.approx(0.25)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[big]) == pytest.approx(1.0)
    # a rate is no count: any clear step from a steady zero counts
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[rate]) == pytest.approx(1.0)


def test_a_step_in_a_wiggly_series_is_judged_against_its_wiggle() -> None:
    # median absolute deviation 10 → spread 14.8 (over 5 % of the level): 44 is z < 3, no step
    wiggly = [100.0 + (10.0 if i % 2 else -10.0) for i in range(20)]
    m = _series([*wiggly, 144.0, 144.0, 144.0], first_minutes=-30.0)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[m]) == pytest.approx(0.25)
    m2 = _series([*wiggly, 240.0, 240.0, 240.0], first_minutes=-30.0)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[m2]) == pytest.approx(1.0)


def test_the_step_reads_the_first_three_points_after_the_change() -> None:
    # the fourth point after the change (a later recovery or spike) does not dilute the step
    m = _steady_then([200.0, 200.0, 200.0, 0.0, 0.0])
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[m])
    assert any("moved 100 → 200 right after" in r for r in st.reasons)
    # a step that shows only five minutes after the change is not the change's doing
    m2 = _steady_then([100.0] * 5 + [300.0] * 3)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[m2]) == pytest.approx(0.25)


def test_a_step_needs_three_steady_points_before_and_one_after() -> None:
    two_before = _steady_then([200.0] * 3, n=2)
    three_before = _steady_then([200.0] * 3, n=3)
    none_after = _steady_then([], n=20)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[two_before]) == pytest.approx(0.25)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[three_before]) == pytest.approx(1.0)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[none_after]) == pytest.approx(0.25)
    one_after = _steady_then([200.0], n=20)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[one_after]) == pytest.approx(1.0)


def test_the_normal_level_is_the_hour_before_the_change() -> None:
    # an old high level more than an hour back does not count as normal
    old = [300.0] * 30
    steady = [100.0 + (1.0 if i % 2 else -1.0) for i in range(60)]
    m = _series([*old, *steady, 200.0, 200.0, 200.0], first_minutes=-100.0)
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[m])
    assert any("moved 100 → 200 right after" in r for r in st.reasons)


def test_coarse_buckets_count_from_the_one_holding_the_change() -> None:
    # 5-minute buckets: the bucket holding the change (starting 2 min before it) is after it
    before = [100.0 + (1.0 if i % 2 else -1.0) for i in range(6)]
    m = _series([*before, 200.0, 100.0], first_minutes=-42.0, step_s=300.0)
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[m])
    assert any("moved 100 → 200 right after" in r for r in st.reasons)
    # the bucket ending exactly at the change is before it
    m2 = _series([*before, 200.0], first_minutes=-45.0, step_s=300.0)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[m2]) == pytest.approx(0.25)


def test_a_step_after_a_later_change_is_not_this_changes_doing() -> None:
    first = change("d-1", CART, minutes=-10.0)
    second = _event("d-2", -9.0, entity_ids=[PRICE])  # another entity's change a minute later
    m = _steady_then([100.0, 400.0, 400.0])
    st = _run([first, second], metrics=[m])
    # only the bucket before the later change counts: it did not move
    assert not any("right after the change" in r for r in st.reasons)
    assert st.signals["change"] == pytest.approx(0.25)
    # a later change without any time does not cut the window
    untimed = _event("d-3", 0.0, entity_ids=[PRICE], timestamp=None).model_copy(
        update={"minutes_from_start": None}
    )
    st2 = _run([first, untimed], metrics=[m])
    assert st2.signals["change"] > 0.9
    # an earlier change does not cut it either
    earlier = _event("d-0", -20.0, entity_ids=[PRICE])
    assert _strength([first, earlier], metrics=[m]) > 0.9


def test_a_change_without_a_timestamp_steps_from_its_minutes() -> None:
    ch = _event("d-1", -10.0, timestamp=None)
    st = _run([ch], metrics=[_steady_then([200.0] * 3)])
    assert any("moved 100 → 200 right after" in r for r in st.reasons)


def test_only_the_entitys_own_changeable_metrics_step() -> None:
    other = _steady_then([200.0] * 3, entity=PRICE)
    traffic = _steady_then([200.0] * 3, key="dt.service.request.count")
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[other]) == pytest.approx(0.25)
    assert _strength([change("d-1", CART, minutes=-10.0)], metrics=[traffic]) == pytest.approx(0.25)
    cart = svc(CART, "cart", process_groups=[PG])
    by_group = _steady_then([200.0] * 3, entity=PG.lower(), key="dt.process.cpu.usage")
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[by_group], candidate=cart)
    assert st.signals["change"] == pytest.approx(1.0)
    for key in ("app.memory.used", "dt.service.failure.rate", "db.pool.saturation"):
        assert _strength(
            [change("d-1", CART, minutes=-10.0)], metrics=[_steady_then([200.0] * 3, key=key)]
        ) == pytest.approx(1.0), key


def test_the_strongest_step_of_several_metrics_is_reported() -> None:
    weak = _steady_then([135.0] * 3, key="dt.service.response.time")
    strong = _steady_then([400.0] * 3, key="dt.process.cpu.usage")
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[weak, strong])
    steps = [r for r in st.reasons if "right after the change" in r]
    assert len(steps) == 1 and steps[0].startswith("dt.process.cpu.usage moved 100 → 400")
    st2 = _run([change("d-1", CART, minutes=-10.0)], metrics=[strong, weak])
    steps2 = [r for r in st2.reasons if "right after the change" in r]
    assert len(steps2) == 1 and steps2[0].startswith("dt.process.cpu.usage moved 100 → 400")


def test_no_step_is_read_for_changes_after_the_start_or_without_a_start() -> None:
    # what follows the start (autoscaling, rollbacks) reacts to the problem
    late = _series([100.0 + (1.0 if i % 2 else -1.0) for i in range(30)] + [200.0] * 3, first_minutes=-27.0)
    assert _strength([change("d-1", CART, minutes=3.0)], metrics=[late]) == pytest.approx(0.5 * 0.25)
    # two minutes after the start is still a possible trigger
    at_two = _series([100.0 + (1.0 if i % 2 else -1.0) for i in range(30)] + [200.0] * 3, first_minutes=-28.0)
    assert _strength([change("d-1", CART, minutes=2.0)], metrics=[at_two]) == pytest.approx(1.0)
    no_start = _run(
        [change("d-1", CART, minutes=-10.0)], metrics=[_steady_then([200.0] * 3)], start_known=False
    )
    assert no_start.signals["change"] == pytest.approx(0.25)


# --- Davis's change events -------------------------------------------------------------------


def _davis_evidence(*items: DavisEvidence, changes: list[ChangeEvent] | None = None) -> Evidence:
    prob = problem().model_copy(update={"davis_evidence": list(items), "source": "GET /api/v2/problems/P-1"})
    return evidence(problem=prob, changes=changes or [])


def test_davis_change_events_become_changes_with_kind_time_and_source() -> None:
    ev = _davis_evidence(
        DavisEvidence(
            evidence_type="EVENT",
            display_name="Deployment cart 2.14",
            event_type="CUSTOM_DEPLOYMENT",
            event_id="e-1",
            entity_id=CART,
            start=START - timedelta(minutes=7, seconds=30),
            properties={"version": "2.14"},
        ),
        DavisEvidence(event_type="CONFIGURATION_CHANGE", event_id="e-2", entity_id=PRICE, start=START),
        DavisEvidence(event_type="custom_release", event_id="e-3", entity_id=PRICE),
        DavisEvidence(event_type="ROLLOUT_STARTED", event_id="e-4", entity_id=PRICE),
    )
    out = davis_changes(ev)
    assert [c.event_id for c in out] == ["e-1", "e-2", "e-3", "e-4"]
    first = out[0]
    assert first.kind == "deployment"
    assert first.event_type == "CUSTOM_DEPLOYMENT"
    assert first.name == "Deployment cart 2.14"
    assert first.entity_ids == [CART]
    assert first.timestamp == START - timedelta(minutes=7, seconds=30)
    assert first.minutes_from_start == -7.5
    assert first.details == {"version": "2.14"}
    assert first.source == "GET /api/v2/problems/P-1"
    assert out[1].kind == "configuration" and out[1].minutes_from_start == 0.0
    assert out[2].kind == "deployment" and out[2].minutes_from_start is None
    assert out[3].kind == "deployment"


def test_davis_change_minutes_are_rounded_to_hundredths() -> None:
    ev = _davis_evidence(
        DavisEvidence(
            event_type="CUSTOM_DEPLOYMENT",
            event_id="e-1",
            entity_id=CART,
            start=START - timedelta(seconds=100),
        ),
    )
    assert davis_changes(ev)[0].minutes_from_start == -1.67


def test_davis_events_that_are_not_changes_of_an_entity_are_left_out() -> None:
    ev = _davis_evidence(
        DavisEvidence(event_type="CPU_SATURATED", event_id="e-1", entity_id=CART),
        DavisEvidence(event_type=None, event_id="e-2", entity_id=CART),
        DavisEvidence(event_type="CUSTOM_DEPLOYMENT", event_id="e-3", entity_id=None),
        DavisEvidence(event_type="CUSTOM_DEPLOYMENT", event_id="e-4", entity_id=CART),
    )
    assert [c.event_id for c in davis_changes(ev)] == ["e-4"]


def test_davis_changes_are_counted_once_with_grail_changes() -> None:
    known = change("e-1", CART)
    ev = _davis_evidence(
        DavisEvidence(event_type="CUSTOM_DEPLOYMENT", event_id="e-1", entity_id=CART),
        DavisEvidence(event_type="CUSTOM_DEPLOYMENT", event_id="e-2", entity_id=CART),
        DavisEvidence(event_type="CUSTOM_DEPLOYMENT", event_id="e-2", entity_id=CART),
        changes=[known],
    )
    assert [c.event_id for c in davis_changes(ev)] == ["e-2"]


def test_a_davis_change_without_an_id_is_named_by_type_and_time() -> None:
    ev = _davis_evidence(
        DavisEvidence(event_type="CUSTOM_DEPLOYMENT", entity_id=CART, start=START),
        DavisEvidence(event_type="CUSTOM_DEPLOYMENT", entity_id=CART, start=START),
        DavisEvidence(event_type="CUSTOM_CONFIGURATION", entity_id=CART),
    )
    out = davis_changes(ev)
    assert [c.event_id for c in out] == [f"CUSTOM_DEPLOYMENT@{START.isoformat()}", "CUSTOM_CONFIGURATION@?"]


def test_davis_change_minutes_need_the_problem_start() -> None:
    prob = problem().model_copy(
        update={
            "start": None,
            "davis_evidence": [
                DavisEvidence(event_type="CUSTOM_DEPLOYMENT", event_id="e-1", entity_id=CART, start=START)
            ],
        }
    )
    (out,) = davis_changes(evidence(problem=prob))
    assert out.minutes_from_start is None
    assert out.timestamp == START


# --- edges of the step window ----------------------------------------------------------------


def test_a_later_change_cuts_the_step_window_however_its_time_is_known() -> None:
    first = _event("d-1", -1.5)
    # buckets at -2, -1 and 0 follow the change; the jump is in the bucket at the start
    steady = [100.0 + (1.0 if i % 2 else -1.0) for i in range(20)]
    m = _series([*steady, 100.0, 100.0, 100.0, 600.0], first_minutes=-23.0)
    assert _strength([first], metrics=[m]) == pytest.approx(1.0)  # nothing later: all three count
    stamped = _event("d-2", 0.0, entity_ids=[PRICE]).model_copy(update={"minutes_from_start": None})
    by_minutes = _event("d-3", -1.0, entity_ids=[PRICE], timestamp=None)
    at_start = _event("d-4", 0.0, entity_ids=[PRICE], timestamp=None)
    for later in (stamped, by_minutes, at_start):
        assert _strength([first, later], metrics=[m]) == pytest.approx(0.25), later.event_id
    # a change whose time is not known at all cuts nothing
    untimed = _event("d-5", 0.0, entity_ids=[PRICE], timestamp=None).model_copy(
        update={"minutes_from_start": None}
    )
    assert _strength([first, untimed], metrics=[m]) == pytest.approx(1.0)
    # a later change a minute before the start keeps only the bucket at -2
    m2 = _series([*steady, 100.0, 100.0, 600.0, 600.0], first_minutes=-23.0)
    assert _strength([first, by_minutes], metrics=[m2]) == pytest.approx(0.25)
    assert _strength([first, at_start], metrics=[m2]) == pytest.approx(1.0)


def test_only_the_hour_before_the_change_sets_the_normal_level() -> None:
    # a long high history ending 70 minutes before the change is not its normal level
    old = [300.0] * 130
    steady = [300.0] * 5 + [100.0] * 55
    m = _series([*old, *steady, 200.0, 200.0, 200.0], first_minutes=-200.0)
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[m])
    assert any("moved 100 → 200 right after" in r for r in st.reasons)


def test_a_point_exactly_an_hour_before_the_change_is_part_of_its_normal_level() -> None:
    # three known points before the change: one exactly an hour before it, two just before it
    gap: list[float | None] = [None] * 57
    values: list[float | None] = [100.0, *gap, 101.0, 99.0, 200.0, 200.0, 200.0]
    m = MetricDeviation(
        entity_id=CART,
        metric_key="dt.service.response.time",
        kind="latency",
        series_start=START - timedelta(minutes=70),
        series_step_s=60.0,
        series=values,
    )
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[m])
    assert any("moved 100 → 200 right after" in r for r in st.reasons)


def test_the_points_at_and_after_the_change_are_no_part_of_its_normal_level() -> None:
    # two steady points before the change are too few to tell a step, however high what follows
    m = _series([99.0, 101.0, 200.0, 200.0, 1000.0], first_minutes=-12.0)
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[m])
    assert st.signals["change"] == pytest.approx(0.25)
    assert not any("right after the change" in r for r in st.reasons)


def test_a_step_five_minutes_after_the_change_is_not_its_doing_even_before_a_later_change() -> None:
    gap: list[float | None] = [None] * 5
    values: list[float | None] = [*[100.0 + (1.0 if i % 2 else -1.0) for i in range(10)], *gap, 400.0]
    m = MetricDeviation(
        entity_id=CART,
        metric_key="dt.service.response.time",
        kind="latency",
        series_start=START - timedelta(minutes=20),
        series_step_s=60.0,
        series=values,
    )
    later = _event("d-2", 5.0, entity_ids=[PRICE])
    assert _strength([change("d-1", CART, minutes=-10.0), later], metrics=[m]) == pytest.approx(0.25)


def test_metrics_that_cannot_tell_do_not_hide_one_that_steps() -> None:
    other_entity = _steady_then([400.0] * 3, entity=PRICE)
    traffic = _steady_then([400.0] * 3, key="dt.service.request.count")
    too_short = _steady_then([400.0] * 3, n=2, key="dt.process.memory.usage")
    good = _steady_then([200.0] * 3)
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[other_entity, traffic, too_short, good])
    steps = [r for r in st.reasons if "right after the change" in r]
    assert steps == [
        "dt.service.response.time moved 100 → 200 right after the change (the hour before it was steady)"
    ]


def test_of_two_equally_sharp_steps_the_first_metric_is_reported() -> None:
    a = _steady_then([400.0] * 3, key="dt.process.cpu.usage")
    b = _steady_then([500.0] * 3, key="dt.process.memory.usage")  # also beyond a full step
    st = _run([change("d-1", CART, minutes=-10.0)], metrics=[a, b])
    steps = [r for r in st.reasons if "right after the change" in r]
    assert len(steps) == 1 and steps[0].startswith("dt.process.cpu.usage moved 100 → 400")


def test_a_full_step_adds_no_reason_when_the_deviation_already_counts_as_much() -> None:
    # origin 0.8 is 0.4 of own deviation: as much as a full step counts
    st = _run(
        [change("d-1", CART, minutes=-10.0)], metrics=[_steady_then([400.0] * 3)], signals={"origin": 0.8}
    )
    assert not any("right after the change" in r for r in st.reasons)


def test_changes_that_do_not_count_do_not_hide_one_that_does() -> None:
    restart = _event("r-1", -3.0, kind="other", event_type="PROCESS_RESTART", name="Container OOMKilled")
    skipped = [
        restart,
        change("x-1", PRICE),
        change("x-2", CART, minutes=-200.0),
        change("x-3", CART, minutes=20.0),
    ]
    st = _run([*skipped, change("d-1", CART, minutes=-8.0)], signals={"origin": 0.8})
    assert st.best_change is not None and st.best_change.event_id == "d-1"
    assert [e.records for e in st.evidence] == [["d-1"]]


def test_a_change_within_a_minute_after_the_start_says_after() -> None:
    st = _run([_event("ev-9", 0.6, name="x")], signals={"origin": 0.8})
    assert "1 min after the problem started" in st.reasons[0]


def test_of_two_equally_strong_changes_the_first_is_the_best_change() -> None:
    st = _run([change("d-1", CART, minutes=-8.0), change("d-2", CART, minutes=-5.0)], signals={"origin": 0.8})
    assert st.best_change is not None and st.best_change.event_id == "d-1"
