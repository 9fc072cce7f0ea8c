"""Contract of the trace pass: failure origins, failure rate, own latency, wire time, traffic.

Each test hands :func:`trace_signals` (or one of its helpers) hand-built span statistics and
reads what a report reader sees: which signal a service gets and how strong it is relative
to another, the reason with its numbers and units, the cited evidence, and the counter
evidence that tells a relaying or waiting caller from the service at fault.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dynatrace_agent.analysis.evidence import MetricDeviation, TraceStats, TraceWindowStats, Window
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.trace_signals import (
    excess_origins,
    latency_unconfirmed,
    trace_signals,
    traffic_shift,
    window_scale,
)

from .scenarios import START, WINDOW, evidence, metric, svc, traces

FRONT = "SERVICE-00000000000000A1"
CART = "SERVICE-00000000000000A2"
PAY = "SERVICE-00000000000000A3"
SHIP = "SERVICE-00000000000000A4"
MAIL = "SERVICE-00000000000000A5"
NAMES = {FRONT: "frontend", CART: "cart", PAY: "payment", SHIP: "shipping", MAIL: "mail"}


def window(baseline_min: float = 30, incident_min: float = 30) -> Window:
    return Window(
        baseline_start=START - timedelta(minutes=baseline_min),
        baseline_end=START,
        incident_start=START,
        incident_end=START + timedelta(minutes=incident_min),
    )


def run(
    stats: list[TraceStats],
    *,
    metrics: list[MetricDeviation] | None = None,
    win: Window | None = WINDOW,
    scale: float | None = None,
) -> dict[str, CandidateState]:
    cands = [svc(t.service, NAMES[t.service]) for t in stats]
    ev = evidence(candidates=cands, traces=stats, metrics=metrics or [], window=win)
    states = {c.entity_id: CandidateState(candidate=c) for c in cands}
    for t in stats:
        states[t.service].traces = t
    scale = window_scale(ev) if scale is None else scale
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(cands),
        states=states,
        scale=scale,
        total_excess=sum(excess_origins(t, scale) for t in stats),
        any_origins=sum(t.incident.failure_origins for t in stats) > 0,
    )
    trace_signals(ctx)
    return states


def origins(service: str, inc: int, base: int = 0, *, client: int = 0, requests: int = 300) -> TraceStats:
    t = traces(service, failures=inc, origins=inc, client_origins=client, requests=(requests, requests))
    t.baseline.failure_origins = base
    t.example_trace_ids = ["trace-1", "trace-2"]
    return t


# --- window scale ----------------------------------------------------------------------------


def test_the_window_scale_compares_incident_minutes_with_baseline_minutes() -> None:
    assert window_scale(evidence(window=None)) == 1.0
    assert window_scale(evidence(window=window(60, 30))) == 0.5


def test_the_window_scale_uses_the_minutes_that_hold_spans() -> None:
    unknown = traces(FRONT)
    covered = traces(CART)
    covered.baseline.covered_minutes = 10.0
    covered.incident.covered_minutes = 20.0
    assert window_scale(evidence(traces=[unknown, covered])) == 2.0
    # Coverage never stretches a window, and less than a minute counts as one minute.
    covered.baseline.covered_minutes = 45.0
    covered.incident.covered_minutes = 0.2
    assert window_scale(evidence(traces=[unknown, covered])) == pytest.approx(1 / 30)


# --- failure origins ---------------------------------------------------------------------------


def test_origins_beyond_the_baseline_are_excess_scaled_to_the_incident_length() -> None:
    assert excess_origins(origins(FRONT, 10), 1.0) == 10.0
    assert excess_origins(origins(FRONT, 10, base=2), 2.0) == 6.0
    # Per request too: 2 of 100 baseline requests failed; on 600 requests, 18 are usual.
    busier = origins(FRONT, 20, base=2, requests=100)
    busier.incident.requests = 600
    assert excess_origins(busier, 1.0) == pytest.approx(20 - 600 * 3 / 101)
    # Without baseline requests the per-request view says nothing.
    unknown = origins(FRONT, 10, base=2, requests=100)
    unknown.baseline.requests = 0
    assert excess_origins(unknown, 1.0) == 8.0
    # A service that never failed before has every origin in excess, whatever its traffic.
    assert excess_origins(origins(FRONT, 3, requests=100), 1.0) == 3.0
    assert excess_origins(origins(FRONT, 1, base=3), 1.0) == 0.0


def test_a_single_baseline_request_that_failed_makes_failing_normal() -> None:
    t = origins(FRONT, 5, base=1, requests=1)
    t.incident.requests = 5
    assert excess_origins(t, 1.0) == 0.0
    # Even in a much shorter incident window, its one failing request is the usual rate.
    one = origins(FRONT, 1, base=1, requests=1)
    assert excess_origins(one, 0.1) == 0.0


def test_failures_originating_in_a_service_blame_it_with_reason_and_evidence() -> None:
    states = run([origins(PAY, 4)])
    st = states[PAY]
    assert st.signals["origin"] == 1.0
    assert st.client_origin is False
    assert st.reasons[0] == (
        "failures originate here in its own spans: 4 incident traces (baseline 0), "
        "100% of all failure origins"
    )
    item = st.evidence[0]
    assert (item.kind, item.summary, item.entity_id, item.source, item.records) == (
        "traces",
        "deepest failing span in 4 traces",
        PAY,
        "fetch spans",
        ["trace-1", "trace-2"],
    )


def test_origins_are_shared_by_share_of_all_excess_origins() -> None:
    states = run([origins(PAY, 4), origins(SHIP, 12)])
    assert states[PAY].signals["origin"] == pytest.approx(0.25)
    assert states[SHIP].signals["origin"] == pytest.approx(0.75)
    assert "25% of all failure origins" in states[PAY].reasons[0]


@pytest.mark.parametrize(("count", "strength"), [(1, 0.0), (2, 1 / 3), (3, 2 / 3), (4, 1.0), (6, 1.0)])
def test_one_failing_trace_is_noise_and_four_count_fully(count: int, strength: float) -> None:
    st = run([origins(PAY, count)])[PAY]
    assert st.signals.get("origin", 0.0) == pytest.approx(strength)


def test_a_fraction_of_a_trace_beyond_the_baseline_counts_a_little() -> None:
    # Half the incident's length: one baseline origin predicts half a one; two are 1.5 excess.
    t = origins(PAY, 2, base=1)
    t.baseline.requests = 0  # no per-request view
    st = run([t], scale=0.5)[PAY]
    assert st.signals["origin"] == pytest.approx(0.5 / 3)


@pytest.mark.parametrize(
    ("inc", "client", "outgoing"),
    [(4, 2, True), (4, 1, False), (3, 1, False), (1, 1, True)],
)
def test_failures_from_outgoing_calls_mark_a_client_origin(inc: int, client: int, outgoing: bool) -> None:
    st = run([origins(PAY, inc, client=client)])[PAY]
    assert st.client_origin is outgoing
    if inc > 1:
        where = "in its outgoing calls" if outgoing else "in its own spans"
        assert st.reasons[0].startswith(f"failures originate here {where}: ")


def test_origins_the_baseline_explains_set_nothing() -> None:
    quiet = origins(PAY, 4, base=4, client=4)
    st = run([quiet, origins(SHIP, 4)])[PAY]
    assert "origin" not in st.signals
    assert st.client_origin is False


# --- failure rate -------------------------------------------------------------------------------


@pytest.mark.parametrize(("failures", "counts"), [(6, True), (5, False)])
def test_a_failure_rate_counts_from_two_points_more(failures: int, counts: bool) -> None:
    st = run([traces(CART, failures=failures)])[CART]  # 300 requests, no origins anywhere
    if counts:
        assert st.signals["failure_rate"] == pytest.approx(0.1)
        assert st.reasons == ["failure rate 0.0% → 2.0% (6 of 300 requests)"]
        item = st.evidence[0]
        assert (item.summary, item.entity_id, item.source) == (
            "failure rate 0.0% → 2.0%",
            CART,
            "fetch spans",
        )
    else:
        assert "failure_rate" not in st.signals


def test_a_failure_rate_needs_three_failures() -> None:
    assert "failure_rate" not in run([traces(CART, failures=2, requests=(50, 50))])[CART].signals
    st = run([traces(CART, failures=3, requests=(50, 50))])[CART]
    assert st.signals["failure_rate"] == pytest.approx(0.3)


def test_relayed_failures_weigh_less_and_name_where_they_originate() -> None:
    caller = traces(FRONT, failures=60)  # 20 %, none originating here
    states = run([caller, origins(PAY, 10), origins(SHIP, 30), origins(MAIL, 5)])
    st = states[FRONT]
    assert st.signals["failure_rate"] == pytest.approx(0.2)  # a fifth of an own failure rate
    assert st.counter == ["most of its failures are relayed: they originate downstream in shipping, payment"]
    own = run([traces(FRONT, failures=60, origins=60)])[FRONT]
    assert own.signals["failure_rate"] == pytest.approx(1.0)
    assert own.counter == []


def test_a_service_failing_mostly_on_its_own_is_not_called_a_relay() -> None:
    st = run([traces(FRONT, failures=60, origins=20), origins(PAY, 10)])[FRONT]
    assert st.signals["failure_rate"] == pytest.approx(1.0 * (0.2 + 0.8 * 20 / 60))
    assert st.counter == []


def test_relayed_failures_with_no_other_origin_name_elsewhere() -> None:
    # The only excess origins are its own few; a healthy service is no origin either.
    st = run([traces(FRONT, failures=60, origins=2), traces(CART)])[FRONT]
    assert st.counter == ["most of its failures are relayed: they originate downstream in elsewhere"]


def test_a_service_with_a_single_excess_origin_is_named_as_where_failures_originate() -> None:
    st = run([traces(FRONT, failures=60), origins(PAY, 1), traces(CART)])[FRONT]
    assert st.counter == ["most of its failures are relayed: they originate downstream in payment"]


def test_a_service_originating_three_in_ten_of_its_failures_is_no_relay() -> None:
    st = run([traces(FRONT, failures=60, origins=18), origins(PAY, 10)])[FRONT]
    assert st.counter == []


def test_the_failure_rate_rise_is_over_the_baseline_rate() -> None:
    t = traces(CART, failures=18)  # 6 % now
    t.baseline.failure_rate = 0.05
    t.baseline.failures = 15
    assert "failure_rate" not in run([t])[CART].signals
    t.baseline.failure_rate = 0.01
    st = run([t])[CART]
    assert st.signals["failure_rate"] == pytest.approx(0.25)
    assert st.reasons == ["failure rate 1.0% → 6.0% (18 of 300 requests)"]


# --- latency -------------------------------------------------------------------------------------


def test_own_time_rising_is_latency_with_its_numbers() -> None:
    st = run([traces(PAY, p90=(40, 160), self_p90=(20, 80))])[PAY]
    assert st.signals["latency"] == pytest.approx(1.0)
    assert st.reasons == ["own (self) time p90 20 ms → 80 ms"]
    item = st.evidence[0]
    assert (item.summary, item.entity_id, item.source) == ("self time p90 20 → 80 ms", PAY, "fetch spans")
    assert st.counter == []


@pytest.mark.parametrize(("after", "rises"), [(15.0, True), (14.9, False)])
def test_own_time_must_rise_by_five_ms(after: float, rises: bool) -> None:
    st = run([traces(PAY, self_p90=(10, after))])[PAY]
    assert ("latency" in st.signals) is rises


@pytest.mark.parametrize(("requests", "share"), [(5, 1.0), (4, 0.8), (1, 0.2)])
def test_a_p90_of_few_spans_is_trusted_only_partly(requests: int, share: float) -> None:
    st = run([traces(PAY, self_p90=(20, 40), requests=(300, requests))])[PAY]  # doubled: 0.5
    assert st.signals["latency"] == pytest.approx(0.5 * share)


def latency_metric(z: float, points: int = 30, **kw: object) -> MetricDeviation:
    m = metric(PAY, "dt.service.request.response_time", 20_000.0, 20_000.0 + z * 1_000.0, std=1_000.0)
    return m.model_copy(update={"baseline_points": points, **kw})


def test_a_long_baseline_response_time_metric_without_a_rise_discounts_span_latency() -> None:
    slow = traces(PAY, self_p90=(20, 80))
    st = run([slow], metrics=[latency_metric(1.0)])[PAY]
    assert st.signals["latency"] == pytest.approx(0.3)
    doubled = run([traces(PAY, self_p90=(20, 40))], metrics=[latency_metric(1.0)])[PAY]
    assert doubled.signals["latency"] == pytest.approx(0.3 * 0.5)
    assert st.counter == ["its response-time metric over a longer baseline shows no unusual rise"]
    confirmed = run([slow], metrics=[latency_metric(1.0), latency_metric(2.0)])[PAY]
    assert confirmed.signals["latency"] == pytest.approx(1.0)
    assert confirmed.counter == []


def test_a_steady_own_time_is_not_contradicted_by_a_quiet_metric() -> None:
    st = run([traces(PAY, self_p90=(20, 20))], metrics=[latency_metric(1.0)])[PAY]
    assert st.counter == []
    assert "latency" not in st.signals


def test_which_metrics_can_contradict_span_latency() -> None:
    def unconfirmed(*ms: MetricDeviation) -> bool:
        ev = evidence(metrics=list(ms))
        ctx = RankContext(evidence=ev, index=CandidateIndex([]), states={}, scale=1.0)
        return latency_unconfirmed(ctx, PAY)

    assert unconfirmed(latency_metric(1.0)) is True
    assert unconfirmed(latency_metric(1.9, points=10)) is True
    assert unconfirmed(latency_metric(1.0, points=9)) is False  # a baseline no longer than the spans'
    assert unconfirmed(latency_metric(2.0)) is False
    assert unconfirmed() is False
    assert unconfirmed(latency_metric(1.0, z_score=None)) is False
    cpu = metric(PAY, "dt.process.cpu.usage", 20.0, 21.0, std=1.0).model_copy(update={"baseline_points": 30})
    assert unconfirmed(cpu) is False
    other = latency_metric(1.0, entity_id="SERVICE-OTHER")
    assert unconfirmed(other) is False
    by_name = latency_metric(1.0, entity_id=None, dimensions={"dt.entity.service": PAY})
    assert unconfirmed(by_name) is True
    mislabelled = latency_metric(1.0, entity_id="SERVICE-OTHER", dimensions={"service.name": "payment"})
    assert unconfirmed(mislabelled) is False


def test_without_self_time_the_whole_response_time_counts_half() -> None:
    t = traces(PAY, p90=(40, 160))
    t.baseline.self_p90_ms = None
    st = run([t])[PAY]
    assert st.signals["latency"] == pytest.approx(0.5)
    assert st.reasons == ["response time p90 40 ms → 160 ms"]
    assert st.evidence[0].summary == "response time p90 rose"
    assert st.evidence[0].source == "fetch spans"
    assert st.evidence[0].entity_id == PAY


def test_a_caller_whose_own_time_is_steady_waits_on_what_it_calls() -> None:
    st = run([traces(FRONT, p90=(40, 160), self_p90=(20, 20))])[FRONT]
    assert "latency" not in st.signals
    assert st.counter == [
        "response time rose (40 → 160 ms) but its own time did not: it waits on something it calls"
    ]
    steady = run([traces(FRONT, p90=(40, 44), self_p90=(20, 20))])[FRONT]
    assert steady.counter == []


# --- wire time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("after", "rises"), [(13.0, True), (12.9, False)])
def test_wire_time_of_outgoing_calls_is_network_from_ten_ms_more(after: float, rises: bool) -> None:
    st = run([traces(FRONT, network=(3, after))])[FRONT]
    if rises:
        assert st.signals["network"] == pytest.approx(1.0)
        assert st.reasons == [
            f"time on the wire of its outgoing calls p90 3 ms → {after:.3g} ms "
            "while the callees' own time is steady"
        ]
        item = st.evidence[0]
        assert (item.summary, item.entity_id, item.source) == ("outgoing call gap rose", FRONT, "fetch spans")
    else:
        assert "network" not in st.signals


# --- traffic --------------------------------------------------------------------------------------


def test_a_request_rate_jump_at_an_entry_is_throughput() -> None:
    st = run([traces(FRONT, requests=(300, 1200))])[FRONT]
    assert st.signals["throughput"] == pytest.approx(1.0)
    assert st.reasons == ["request rate 10.0/min → 40.0/min"]
    item = st.evidence[0]
    assert (item.summary, item.entity_id, item.source) == ("request rate jump", FRONT, "fetch spans")


@pytest.mark.parametrize(("inc", "counts"), [(450, True), (449, False)])
def test_throughput_counts_from_half_again_the_baseline_rate(inc: int, counts: bool) -> None:
    st = run([traces(FRONT, requests=(300, inc))])[FRONT]
    assert ("throughput" in st.signals) is counts


@pytest.mark.parametrize(("inc", "counts"), [(20, True), (19, False)])
def test_throughput_needs_twenty_incident_requests(inc: int, counts: bool) -> None:
    st = run([traces(FRONT, requests=(5, inc))])[FRONT]
    assert ("throughput" in st.signals) is counts


def test_throughput_is_judged_per_minute_of_each_window() -> None:
    # The same count in a baseline twice as long is twice the rate now.
    st = run([traces(FRONT, requests=(600, 600))], win=window(60, 30))[FRONT]
    assert st.reasons == ["request rate 10.0/min → 20.0/min"]
    assert "throughput" in st.signals
    assert "throughput" not in run([traces(FRONT, requests=(600, 600))], win=None)[FRONT].signals


def test_throughput_rates_use_the_minutes_that_hold_spans() -> None:
    t = traces(FRONT, requests=(300, 900))
    t.baseline.covered_minutes = 10.0
    t.incident.covered_minutes = 10.0
    st = run([t], scale=1.0)[FRONT]
    assert st.reasons == ["request rate 30.0/min → 90.0/min"]


def fan_out(shared: int, cart: int) -> list[TraceStats]:
    """frontend calls four services; three of them see ``shared`` requests instead of 300."""
    return [
        traces(FRONT, requests=(300, 300), callees=[CART, PAY, SHIP, MAIL]),
        traces(CART, requests=(300, cart)),
        traces(PAY, requests=(300, shared)),
        traces(SHIP, requests=(300, shared)),
        traces(MAIL, requests=(300, shared)),
    ]


def test_below_the_entry_a_rate_change_is_judged_against_the_whole_systems_shift() -> None:
    # Every service below the entry sees twice the traffic: none of them is the cause ...
    states = run(fan_out(shared=600, cart=600))
    assert not any("throughput" in st.signals for st in states.values())
    # ... but one that sees four times as much stands out.
    states = run(fan_out(shared=600, cart=1200))
    assert [s for s, st in states.items() if "throughput" in st.signals] == [CART]
    assert states[CART].reasons == ["request rate 20.0/min → 40.0/min"]


def test_the_system_shift_is_the_median_ratio_and_never_below_one() -> None:
    entries, shift = traffic_shift(evidence(traces=fan_out(shared=600, cart=1200)))
    assert (entries, shift) == ({FRONT}, 2.0)
    assert traffic_shift(evidence(traces=fan_out(shared=150, cart=150)))[1] == 1.0
    # Three services are needed to speak of a shift of the whole system.
    few = fan_out(shared=600, cart=600)[:3]
    assert traffic_shift(evidence(traces=few))[1] == 1.0
    # Services with fewer than ten requests in either window do not vote.
    sparse = fan_out(shared=600, cart=600)
    for t in sparse[2:]:
        t.baseline = TraceWindowStats(requests=9, p90_ms=40.0, self_p90_ms=20.0)
    assert traffic_shift(evidence(traces=sparse))[1] == 1.0
    ten = fan_out(shared=600, cart=600)
    for t in ten[1:]:
        t.baseline = TraceWindowStats(requests=10, p90_ms=40.0, self_p90_ms=20.0)
        t.incident = TraceWindowStats(requests=10, p90_ms=40.0, self_p90_ms=20.0)
    assert traffic_shift(evidence(traces=ten))[1] == 1.0
    ten[2].incident = TraceWindowStats(requests=30, p90_ms=40.0, self_p90_ms=20.0)
    ten[3].incident = TraceWindowStats(requests=30, p90_ms=40.0, self_p90_ms=20.0)
    assert traffic_shift(evidence(traces=ten))[1] == 3.0


def test_the_system_shift_is_per_minute_of_each_window() -> None:
    # Twice the baseline minutes: 600 requests then are half the rate of 600 now.
    stats = fan_out(shared=600, cart=600)
    for t in stats[1:]:
        t.baseline.requests = 600
    assert traffic_shift(evidence(traces=stats, window=window(60, 30)))[1] == 2.0


def test_three_services_below_the_entry_are_enough_for_a_system_shift() -> None:
    stats = fan_out(shared=600, cart=600)[:4]
    assert traffic_shift(evidence(traces=stats))[1] == 2.0


@pytest.mark.parametrize(("after", "rises"), [(15.0, True), (14.9, False)])
def test_whole_response_time_must_rise_by_five_ms(after: float, rises: bool) -> None:
    t = traces(PAY, p90=(10, after))
    t.incident.self_p90_ms = None
    st = run([t])[PAY]
    assert ("latency" in st.signals) is rises
    waiting = run([traces(FRONT, p90=(10, after), self_p90=(5, 5))])[FRONT]
    assert bool(waiting.counter) is rises
