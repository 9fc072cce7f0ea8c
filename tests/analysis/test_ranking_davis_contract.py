"""Contract of Davis's opinion in the ranking: weak evidence, stronger only when nothing else was read.

* ``davis_kind`` names what an evidence item is about, first match wins (a disk alert about
  latency is about the disk);
* an evidence item with a before/after reading is a deviation by how far it moved (a drop for
  availability-like metrics), an anomaly event without a reading counts 0.6, anything else and
  change events (handled with the changes) count nothing;
* where traces, logs or metrics were read it keeps 0.3 of that;
* the entity Davis names as root cause gets the ``davis`` signal, and a counter-argument when the
  failures originate elsewhere.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from dynatrace_agent.analysis.evidence import DavisEvidence, EntityRef, Evidence
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.davis import davis_evidence_signals, davis_kind, davis_signals

from .scenarios import evidence, problem, svc

CART = "SERVICE-00000000000000CA"
HOST = "HOST-00000000000000AB"
SOURCE = "GET /api/v2/problems/-1_1741083600000V2"


def _ctx(ev: Evidence, *, blind: bool = False, any_origins: bool = False) -> RankContext:
    return RankContext(
        evidence=ev,
        index=CandidateIndex(list(ev.candidates)),
        states={c.entity_id: CandidateState(candidate=c) for c in ev.candidates},
        scale=1.0,
        blind=blind,
        any_origins=any_origins,
    )


def _with_evidence(*items: DavisEvidence, blind: bool = True) -> RankContext:
    p = problem().model_copy(update={"davis_evidence": list(items)})
    ev = evidence(
        problem=p,
        candidates=[svc(CART, "cart"), svc(HOST, "node-1", type="HOST")],
    )
    ctx = _ctx(ev, blind=blind)
    davis_evidence_signals(ctx)
    return ctx


def _metric(name: str, before: float, after: float, **kw: Any) -> DavisEvidence:
    kw.setdefault("entity_id", CART)
    return DavisEvidence(evidence_type="METRIC", display_name=name, before=before, after=after, **kw)


# -- what an item is about ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "event_type", "kind"),
    [
        ("Low disk space", None, "disk"),
        ("Inodes exhausted on volume /data", None, "disk"),
        ("Memory saturation", None, "memory"),  # memory before cpu's "saturat"
        ("Container OOM killed", None, "memory"),
        ("Java heap usage high", None, "memory"),
        ("CPU saturation", None, "cpu"),
        ("Host saturated", None, "cpu"),
        ("Network connectivity problem", None, "network"),
        ("High TCP retransmissions", None, "network"),
        ("NIC errors", None, "network"),  # network before failure's "error"
        ("Process unavailable", None, "availability"),
        ("Pod not ready", None, "availability"),
        ("Process crashed", None, "availability"),
        ("Connection lost", None, "availability"),
        ("Response time degradation", None, "latency"),
        # a slowdown is latency, though "down" alone is availability
        ("Slowdown", None, "latency"),
        ("Service slowdown", "SERVICE_SLOWDOWN", "latency"),
        ("Anomaly", "SERVICE_SLOWDOWN", "latency"),
        ("Host down", None, "availability"),
        ("Host", "OSI_GRACEFULLY_SHUTDOWN", "availability"),
        ("Service duration up", None, "latency"),
        ("Failure rate increase", None, "failure"),
        ("Unexpected exception", None, "failure"),
        ("Traffic spike", None, "throughput"),
        ("Request count up", None, "throughput"),
        ("Anomaly", "DISK_FULL", "disk"),  # the event type is read too
        ("Anomaly", "SERVICE_RESPONSE_TIME_DEGRADED", "latency"),  # underscores as spaces
        ("Custom alert", None, "other"),
    ],
)
def test_davis_kind_names_what_an_item_is_about(name: str, event_type: str | None, kind: str) -> None:
    assert davis_kind(DavisEvidence(display_name=name, event_type=event_type)) == kind


# -- evidence details as deviations -----------------------------------------------------------


def test_a_rising_reading_is_a_deviation_of_its_entity_with_the_reading_quoted() -> None:
    ev = _metric("Response time", 120.0, 960.0, unit="ms", event_id="E-7")
    st = _with_evidence(ev).states[CART]
    # ×8 is three doublings: full strength; blind, so it counts whole.
    assert st.signals == {"davis_evidence": 1.0}
    assert st.reasons == ["Davis evidence: Response time 120 → 960 ms"]
    (item,) = st.evidence
    assert (item.kind, item.entity_id, item.source) == ("davis", CART, SOURCE)
    assert item.summary == "Davis evidence: Response time 120 → 960 ms"
    assert item.records == ["E-7"]
    assert st.davis_kinds == {"latency": 1.0}


def test_a_slowdown_reading_deviates_when_it_rises() -> None:
    # A slowdown is not an availability drop: its reading rising is the deviation.
    st = _with_evidence(_metric("Service slowdown", 100.0, 800.0, unit="ms")).states[CART]
    assert st.signals == {"davis_evidence": 1.0}
    assert st.davis_kinds == {"latency": 1.0}


def test_a_reading_without_unit_or_event_id() -> None:
    st = _with_evidence(_metric("Failure rate", 1.5, 3.0)).states[CART]
    assert st.reasons == ["Davis evidence: Failure rate 1.5 → 3"]
    assert st.evidence[0].records == []
    assert st.signals["davis_evidence"] == pytest.approx(1 / 3)  # one doubling of three


def test_where_data_was_read_davis_evidence_keeps_three_tenths() -> None:
    blind = _with_evidence(_metric("Response time", 100.0, 400.0)).states[CART]
    seen = _with_evidence(_metric("Response time", 100.0, 400.0), blind=False).states[CART]
    assert seen.signals["davis_evidence"] == pytest.approx(0.3 * blind.signals["davis_evidence"])
    assert (
        seen.davis_kinds == blind.davis_kinds == {"latency": pytest.approx(2 / 3)}
    )  # the kind is Davis's own


@pytest.mark.parametrize("name", ["Availability", "Success rate", "Apdex", "Process uptime"])
def test_availability_like_readings_deviate_when_they_drop(name: str) -> None:
    drop = _with_evidence(_metric(name, 100.0, 50.0)).states[CART]
    assert drop.signals["davis_evidence"] == pytest.approx(1.0)  # halved: one doubling, full
    rise = _with_evidence(_metric(name, 50.0, 100.0)).states[CART]
    assert rise.signals == {} and rise.davis_kinds == {} and rise.reasons == []


def test_a_reading_that_did_not_move_enough_is_no_deviation() -> None:
    st = _with_evidence(_metric("Response time", 100.0, 125.0)).states[CART]
    assert st.signals == {} and st.evidence == [] and st.davis_kinds == {}


def test_an_anomaly_event_without_a_reading_counts_six_tenths() -> None:
    ev = DavisEvidence(
        evidence_type="EVENT", display_name="Memory saturation", event_type="MEMORY_SATURATED", entity_id=HOST
    )
    st = _with_evidence(ev).states[HOST]
    assert st.signals == {"davis_evidence": pytest.approx(0.6)}
    assert st.reasons == ["Davis evidence: event Memory saturation (MEMORY_SATURATED)"]
    assert st.davis_kinds == {"memory": pytest.approx(0.6)}
    plain = DavisEvidence(evidence_type="EVENT", display_name="Process crashed", entity_id=HOST)
    assert _with_evidence(plain).states[HOST].reasons == ["Davis evidence: event Process crashed"]


def test_an_item_with_neither_reading_nor_event_counts_nothing() -> None:
    half = DavisEvidence(evidence_type="METRIC", display_name="Response time", before=100.0, entity_id=CART)
    other = DavisEvidence(evidence_type="TRANSACTIONAL", display_name="Response time", entity_id=CART)
    ctx = _with_evidence(half, other)
    assert ctx.states[CART].signals == {}


def test_change_events_are_left_to_the_changes() -> None:
    items = [
        DavisEvidence(evidence_type="EVENT", display_name="Deployed v2", event_type=t, entity_id=CART)
        for t in ("CUSTOM_DEPLOYMENT", "CUSTOM_CONFIGURATION", "marked_for_release", "ROLLOUT_STARTED")
    ]
    assert _with_evidence(*items).states[CART].signals == {}


def test_items_find_their_entity_by_id_or_by_name() -> None:
    by_name = _metric("Response time", 100.0, 800.0, entity_id=None, entity_name="Cart")
    unknown = _metric("Response time", 100.0, 800.0, entity_id="SERVICE-0000000000000EEE", entity_name="x")
    ctx = _with_evidence(unknown, by_name)  # an unknown entity is skipped, the next one read
    assert ctx.states[CART].signals["davis_evidence"] == 1.0
    assert ctx.states[HOST].signals == {}


def test_the_strongest_item_of_a_kind_is_kept_per_entity() -> None:
    ctx = _with_evidence(_metric("Response time", 100.0, 800.0), _metric("Response time p90", 100.0, 200.0))
    st = ctx.states[CART]
    assert st.davis_kinds == {"latency": 1.0}
    assert st.signals["davis_evidence"] == 1.0
    assert len(st.reasons) == 2


# -- Davis's root-cause entity -----------------------------------------------------------------


def _named(hint: EntityRef | None, *, any_origins: bool, relations: list[str] | None = None) -> RankContext:
    p = problem().model_copy(update={"root_cause_hint": hint})
    ev = evidence(
        problem=p, candidates=[svc(CART, "Cart", relations=relations or ["affected"]), svc(HOST, "node-1")]
    )
    ctx = _ctx(ev, any_origins=any_origins)
    davis_signals(ctx)
    return ctx


@pytest.mark.parametrize("key", [CART, CART.lower(), "cart", "CART"])
def test_the_entity_davis_names_gets_its_weak_signal(key: str) -> None:
    ctx = _named(EntityRef(id=key), any_origins=False)
    st = ctx.states[CART]
    assert st.signals == {"davis": 1.0}
    assert st.reasons == ["Davis named it as root cause (weak evidence: Davis can name a symptom)"]
    (item,) = st.evidence
    assert (item.kind, item.summary, item.entity_id, item.source) == (
        "davis",
        "Davis root-cause entity",
        CART,
        SOURCE,
    )
    assert st.counter == []
    assert ctx.states[HOST].signals == {}


def test_a_candidate_added_for_davis_s_root_is_named_too() -> None:
    ctx = _named(None, any_origins=False, relations=["davis_root"])
    assert ctx.states[CART].signals == {"davis": 1.0}
    assert ctx.states[HOST].signals == {}


def test_no_hint_names_nobody() -> None:
    ctx = _named(EntityRef(id=""), any_origins=False)
    assert all(st.signals == {} for st in ctx.states.values())
    ctx = _named(EntityRef(id="SERVICE-0000000000000EEE", name="cart"), any_origins=False)
    assert all(st.signals == {} for st in ctx.states.values())  # the id decides, not the name


def test_davis_s_pick_is_contradicted_when_failures_originate_elsewhere() -> None:
    ctx = _named(EntityRef(id=CART), any_origins=True)
    assert ctx.states[CART].counter == ["Davis named it, but the failures do not originate here"]
    # ... but not when they originate in it
    p = problem(davis=CART)
    ev = evidence(problem=p, candidates=[svc(CART, "cart")])
    ctx = _ctx(ev, any_origins=True)
    ctx.states[CART].add("origin", 0.8, "failures originate here")
    davis_signals(ctx)
    assert ctx.states[CART].counter == []


def test_strength_follows_log2_of_the_ratio() -> None:
    st = _with_evidence(_metric("Traffic", 100.0, 283.0)).states[CART]
    assert st.signals["davis_evidence"] == pytest.approx(math.log2(2.83) / 3)
    assert st.davis_kinds == {"throughput": pytest.approx(math.log2(2.83) / 3)}


def test_readings_are_judged_by_ratio_whatever_their_scale() -> None:
    # fractions move by less than one unit, yet ×8 is a full deviation and a halving too
    assert _with_evidence(_metric("Failure rate", 0.01, 0.08)).states[CART].signals["davis_evidence"] == 1.0
    assert _with_evidence(_metric("Availability", 1.0, 0.5)).states[CART].signals["davis_evidence"] == 1.0


def test_availability_kinds_deviate_when_they_drop_whatever_the_name_says() -> None:
    # "running instances down" is about availability though no availability word names it
    drop = _with_evidence(_metric("Running instances down", 4.0, 2.0)).states[CART]
    assert drop.signals == {"davis_evidence": 1.0} and drop.davis_kinds == {"availability": 1.0}


def test_an_event_with_half_a_reading_is_still_an_event() -> None:
    ev = DavisEvidence(evidence_type="EVENT", display_name="Process crashed", entity_id=CART, before=3.0)
    st = _with_evidence(ev).states[CART]
    assert st.signals == {"davis_evidence": pytest.approx(0.6)}


def test_items_that_count_nothing_do_not_hide_the_ones_after_them() -> None:
    skipped = [
        DavisEvidence(
            evidence_type="EVENT", display_name="Deployed", event_type="CUSTOM_DEPLOYMENT", entity_id=CART
        ),
        DavisEvidence(evidence_type="TRANSACTIONAL", display_name="Response time", entity_id=CART),
        _metric("Response time", 100.0, 110.0),
    ]
    for first in skipped:
        st = _with_evidence(first, _metric("Failure rate", 1.0, 8.0)).states[CART]
        assert st.davis_kinds == {"failure": 1.0}, first.display_name
