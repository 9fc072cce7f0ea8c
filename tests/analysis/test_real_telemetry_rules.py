"""Rules learnt from real incidents, each shown on a small synthetic incident.

Each test states a behaviour true of incidents in general: none names a service or a
threshold fitted to one dataset.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dynatrace_agent.analysis.evidence import CallGap, MetricDeviation, metric_kind
from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.ranking.network import _dominant_locus
from dynatrace_agent.analysis.ranking.trace_signals import excess_origins
from graphs.investigation.nodes.trace_evidence import covered_minutes

from .scenarios import START, change, evidence, healthy, metric, problem, svc, traces

FRONT, MID, DEEP, OTHER, SIDE = (
    "SERVICE-000000000000000F",
    "SERVICE-0000000000000001",
    "SERVICE-0000000000000002",
    "SERVICE-0000000000000003",
    "SERVICE-0000000000000004",
)


def _candidates() -> list:  # type: ignore[type-arg]
    return [
        svc(FRONT, "front", calls=[MID, OTHER], relations=["affected"]),
        svc(MID, "mid", calls=[DEEP, SIDE], called_by=[FRONT], relations=["callee"], hop=1),
        svc(DEEP, "deep", called_by=[MID], relations=["callee"], hop=2),
        svc(OTHER, "other", calls=[SIDE], called_by=[FRONT], relations=["callee"], hop=1),
        svc(SIDE, "side", called_by=[MID, OTHER], relations=["callee"], hop=2),
    ]


def _order(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.entity_id for r in result.ranked]


def test_byte_and_packet_volumes_are_load_not_network_faults() -> None:
    assert metric_kind("dt.kubernetes.pod.network.rx_bytes") == "throughput"
    assert metric_kind("dt.host.net.nic.packets.rx") == "throughput"
    assert metric_kind("dt.host.net.nic.packets.dropped") == "network"
    assert metric_kind("tcp.retransmissions") == "network"


def test_the_place_with_most_added_wire_time_locates_a_network_delay() -> None:
    # Two slow paths into DEEP add two seconds each; four paths elsewhere add 20-200 ms:
    # counting paths would blame the busy place, the added time blames DEEP.
    added = {
        (MID, DEEP): 2000.0,
        (OTHER, DEEP): 1900.0,
        (MID, SIDE): 180.0,
        (OTHER, SIDE): 150.0,
        (FRONT, SIDE): 30.0,
        (FRONT, OTHER): 20.0,
    }
    assert _dominant_locus(added) == DEEP
    # Comparable rises in two separate places do not single one out.
    assert _dominant_locus({(MID, DEEP): 500.0, (OTHER, SIDE): 450.0}) is None


def test_network_delay_on_a_callee_ranks_it_first() -> None:
    mid = traces(MID, p90=(30, 2100), self_p90=(5, 5), network=(3, 2000), callees=[DEEP, SIDE])
    mid.call_gaps = {
        DEEP: CallGap(baseline_p90_ms=3.0, incident_p90_ms=2003.0, incident_calls=20),
        SIDE: CallGap(baseline_p90_ms=4.0, incident_p90_ms=60.0, incident_calls=30),
    }
    other = traces(OTHER, p90=(30, 2100), self_p90=(5, 5), network=(3, 1900), callees=[DEEP, SIDE])
    other.call_gaps = {
        DEEP: CallGap(baseline_p90_ms=3.0, incident_p90_ms=1903.0, incident_calls=15),
        SIDE: CallGap(baseline_p90_ms=4.0, incident_p90_ms=55.0, incident_calls=25),
    }
    ev = evidence(
        problem=problem(FRONT, "front"),
        candidates=_candidates(),
        traces=[
            traces(FRONT, p90=(60, 2200), self_p90=(20, 21), callees=[MID, OTHER]),
            mid,
            other,
            healthy(DEEP),
            healthy(SIDE),
        ],
    )
    assert _order(rank_root_causes(ev))[0] == DEEP


def test_span_latency_a_long_baseline_metric_does_not_confirm_is_discounted() -> None:
    def scenario(metric_rise: float) -> list[str]:
        ev = evidence(
            candidates=_candidates(),
            traces=[
                traces(MID, p90=(40, 90), self_p90=(5, 20), callees=[DEEP]),
                traces(DEEP, p90=(20, 60), self_p90=(10, 30)),
                healthy(FRONT),
                healthy(OTHER),
                healthy(SIDE),
            ],
            metrics=[
                metric(MID, "dt.service.request.response_time", 40_000, 40_000 + metric_rise, std=10_000),
                metric(DEEP, "dt.service.request.response_time", 20_000, 60_000, std=5_000),
            ],
        )
        return _order(rank_root_causes(ev))

    # MID's own time quadrupled in the span sample, DEEP's tripled; MID's metric over a long
    # baseline stays within its usual range, DEEP's confirms the rise: DEEP leads.
    assert scenario(metric_rise=5_000)[0] == DEEP


def test_a_service_whose_cpu_rose_owns_its_slowdown() -> None:
    ev = evidence(
        candidates=_candidates(),
        traces=[
            # DEEP's requests slowed 30x while its "self" time did not: its time went into its
            # own outgoing calls (a database), which a starved process waits on longer.
            traces(DEEP, p90=(14, 400), self_p90=(3, 3)),
            traces(MID, p90=(40, 420), self_p90=(6, 7), callees=[DEEP]),
            healthy(FRONT),
            healthy(OTHER),
            healthy(SIDE),
        ],
        metrics=[metric(DEEP, "dt.kubernetes.container.cpu_usage", 5.0, 150.0, std=1.5)],
    )
    result = rank_root_causes(ev)
    assert _order(result)[0] == DEEP
    top = result.ranked[0]
    assert any("starved" in r for r in top.reasons)
    assert not any("waits on something it calls" in c for c in top.counter_evidence)


def test_traffic_below_the_entry_is_judged_against_the_system_wide_shift() -> None:
    # Every service sees about 1.6x the requests (more users): none of them is a traffic cause.
    ts = [
        traces(FRONT, requests=(100, 160), callees=[MID, OTHER]),
        traces(MID, requests=(100, 165), callees=[DEEP, SIDE]),
        traces(OTHER, requests=(100, 158), callees=[SIDE]),
        traces(DEEP, requests=(100, 162)),
        traces(SIDE, requests=(100, 330)),
    ]
    result = rank_root_causes(evidence(candidates=_candidates(), traces=ts))
    by_id = {r.entity_id: r for r in result.ranked}
    assert by_id[MID].signals.get("throughput", 0.0) == 0.0
    assert by_id[DEEP].signals.get("throughput", 0.0) == 0.0
    # SIDE doubled beyond the shared shift: that still shows.
    assert by_id[SIDE].signals.get("throughput", 0.0) > 0.0


def test_covered_minutes_ignore_stray_spans_at_a_window_edge() -> None:
    assert covered_minutes([3800, 700, 300, 30]) == 2.0
    assert covered_minutes([100, 100, 100]) == 3.0
    assert covered_minutes([]) is None


def test_a_callees_extra_traffic_does_not_explain_its_callers_trouble() -> None:
    # MID was reconfigured and fails; SIDE, which MID calls, gets more requests (MID's retries).
    from .scenarios import change

    ev = evidence(
        candidates=_candidates(),
        changes=[change("cfg-1", MID, kind="configuration", minutes=-5)],
        traces=[healthy(FRONT), healthy(OTHER), healthy(DEEP)],
        metrics=[
            metric(MID, "dt.service.request.failure_count", 0.2, 11.0, std=0.4),
            metric(SIDE, "dt.service.request.count", 0.5, 11.0, std=0.5),
        ],
    )
    result = rank_root_causes(ev)
    assert _order(result)[0] == MID
    side = next(r for r in result.ranked if r.entity_id == SIDE)
    assert "propagation" not in side.signals


def test_an_entity_changed_inside_the_window_is_ranked_even_beyond_the_topology() -> None:
    from .scenarios import change

    far = "SERVICE-00000000000000FA"
    ev = evidence(
        candidates=_candidates(),
        changes=[change("deploy-far", far, minutes=-6)],
        traces=[healthy(FRONT), healthy(MID), healthy(OTHER), healthy(DEEP), healthy(SIDE)],
    )
    result = rank_root_causes(ev)
    assert far in _order(result)


def test_a_mildly_anomalous_callee_does_not_explain_a_strongly_anomalous_caller() -> None:
    from .scenarios import change

    ev = evidence(
        candidates=_candidates(),
        changes=[change("cfg-mid", MID, kind="configuration", minutes=-5)],
        traces=[healthy(FRONT), healthy(OTHER), healthy(SIDE)],
        metrics=[
            metric(MID, "dt.service.request.response_time", 6_000, 1_000_000, std=500),
            metric(MID, "dt.service.request.failure_count", 0.1, 30.0, std=0.3),
            # DEEP rose too, but only in a brief blip of the incident.
            metric(DEEP, "dt.service.request.response_time", 20_000, 40_000, std=500).model_copy(
                update={"incident_persistence": 0.11}
            ),
        ],
    )
    result = rank_root_causes(ev)
    assert _order(result)[0] == MID
    mid = result.ranked[0]
    assert not any("explained by" in c for c in mid.counter_evidence)


def test_a_place_whose_own_requests_slowed_is_not_blamed_for_a_slow_network() -> None:
    # Calls into SIDE spend longer on the wire, but SIDE's own requests slowed as much: it is
    # busy (queueing), not behind a slow network; no network-path blame lands on it.
    def scenario(side_p90: tuple[float, float]) -> dict[str, float]:
        mid = traces(MID, p90=(40, 300), self_p90=(5, 5), callees=[DEEP, SIDE])
        mid.call_gaps = {SIDE: CallGap(baseline_p90_ms=4.0, incident_p90_ms=150.0, incident_calls=40)}
        other = traces(OTHER, p90=(40, 280), self_p90=(5, 5), callees=[SIDE])
        other.call_gaps = {SIDE: CallGap(baseline_p90_ms=4.0, incident_p90_ms=140.0, incident_calls=30)}
        ev = evidence(
            candidates=_candidates(),
            traces=[healthy(FRONT), mid, other, healthy(DEEP), traces(SIDE, p90=side_p90, self_p90=(5, 5))],
        )
        side = next(r for r in rank_root_causes(ev).ranked if r.entity_id == SIDE)
        return side.signals

    assert "path" in scenario((50.0, 52.0))  # its own time steady: the network at it
    assert "path" not in scenario((50.0, 200.0))  # its own requests 4x slower: not the network


def test_smaller_wire_time_rises_away_from_the_dominant_place_are_not_the_fault() -> None:
    # MID's calls to DEEP gain two seconds each (DEEP's network is slow); OTHER's calls to SIDE
    # gain 180 ms (load): OTHER's slow outgoing calls must not outrank DEEP.
    mid = traces(MID, p90=(40, 2100), self_p90=(5, 5), network=(3, 2003), callees=[DEEP, SIDE])
    mid.call_gaps = {
        DEEP: CallGap(baseline_p90_ms=3.0, incident_p90_ms=2003.0, incident_calls=8),
        SIDE: CallGap(baseline_p90_ms=3.0, incident_p90_ms=3.2, incident_calls=40),  # steady
    }
    other = traces(OTHER, p90=(40, 400), self_p90=(5, 5), network=(19, 204), callees=[SIDE])
    other.call_gaps = {SIDE: CallGap(baseline_p90_ms=19.0, incident_p90_ms=204.0, incident_calls=52)}
    ev = evidence(
        candidates=_candidates(),
        traces=[healthy(FRONT), mid, other, healthy(DEEP), healthy(SIDE)],
    )
    result = rank_root_causes(ev)
    assert _order(result)[0] == DEEP
    other_ranked = next(r for r in result.ranked if r.entity_id == OTHER)
    assert any("small next to" in c for c in other_ranked.counter_evidence)


def test_a_service_failing_at_its_usual_rate_on_more_traffic_is_not_where_failures_start() -> None:
    # MID failed 1 of 4 baseline requests and fails 5 of 16 now (the same rate, four times the
    # traffic); DEEP never failed and now originates 6 failures.
    mid = traces(MID, failures=5, origins=5, requests=(4, 16), callees=[DEEP])
    mid.baseline.failures, mid.baseline.failure_origins = 1, 1
    ev = evidence(
        candidates=_candidates(),
        traces=[healthy(FRONT), mid, traces(DEEP, failures=6, origins=6, requests=(300, 300))],
    )
    # Judged by time alone (same window lengths) it would be 5 - 1 = 4 excess failures.
    assert excess_origins(mid, 1.0) == 0.0
    # A real rise in its failure rate still counts.
    mid.incident.failure_origins = 12
    assert excess_origins(mid, 1.0) == pytest.approx(12 - 16 * 2 / 5)
    mid.incident.failure_origins = 5
    assert _order(rank_root_causes(ev))[0] == DEEP


def _latency_series(entity: str, values: list[float], start_minutes: int) -> MetricDeviation:
    """A response-time series at 5-minute steps, its deviation judged over the usual windows."""
    return MetricDeviation(
        entity_id=entity,
        metric_key="dt.service.request.response_time",
        kind="latency",
        baseline_mean=6000.0,
        baseline_std=3000.0,
        incident_mean=6500.0,
        z_score=0.2,
        series_start=START + timedelta(minutes=start_minutes),
        series_step_s=300.0,
        series=values,  # type: ignore[arg-type]
    )


def test_a_step_in_the_changed_entitys_own_metric_right_at_the_change_confirms_it() -> None:
    # The change lands 10 minutes before the start: its step falls in the baseline window and
    # has faded by the incident, so baseline-against-incident sees nothing. The hour before the
    # change was steady and the first points after it jumped: the change did that.
    steady = [5700.0, 5650.0, 5800.0, 5720.0, 5690.0, 5760.0, 5710.0, 5680.0, 5740.0, 5700.0, 5730.0, 5690.0]
    stepped = _latency_series(DEEP, [*steady, 15700.0, 19500.0, 7100.0, 5900.0], -70)
    flat = _latency_series(OTHER, [*steady, 5710.0, 5690.0, 5750.0, 5700.0], -70)
    ev = evidence(
        candidates=_candidates(),
        changes=[
            change("ev-deep", DEEP, "configuration", -10.0),
            change("ev-other", OTHER, "configuration", -10.0),
        ],
        metrics=[stepped, flat, metric(MID, "dt.service.request.response_time", 40.0, 90.0, 5.0)],
    )
    result = rank_root_causes(ev)
    assert _order(result)[0] == DEEP
    deep = result.ranked[0]
    assert any("right after the change" in r for r in deep.reasons)
    other = next(r for r in result.ranked if r.entity_id == OTHER)
    assert any("no deviation of its own" in c for c in other.counter_evidence)


def test_an_entity_only_metrics_bring_in_and_nothing_connects_counts_half() -> None:
    # SIDE's slow wire is a real lead on the call path; "batch-job" appears only in a metric
    # dimension, busier than usual, and nothing ties it to the front service.
    other = traces(OTHER, p90=(40, 90), self_p90=(5, 5), network=(3, 60), callees=[SIDE])
    busy = metric("batch-job", "dt.kubernetes.container.cpu_usage", 4.0, 9.0, 0.5)
    busy.entity_id, busy.dimensions = "batch-job", {"k8s.workload.name": "batch-job"}
    ev = evidence(
        candidates=_candidates(),
        traces=[
            healthy(FRONT),
            healthy(MID),
            other,
            healthy(DEEP),
            traces(SIDE, p90=(30, 95), self_p90=(10, 70)),
        ],
        metrics=[busy],
    )
    result = rank_root_causes(ev)
    batch = next(r for r in result.ranked if r.name == "batch-job")
    assert any("nothing connects it" in c for c in batch.counter_evidence)
    assert _order(result)[0] == SIDE
