"""Contract of the metric pass: which signal a deviating series gives its owner, and how much.

Each test hands :func:`metric_signals` hand-built series and candidates and reads the owner's
signals, the reason a report shows and the cited evidence, plus what later passes read from
the context (own resource use, starvation, network anomalies, which candidates had resource
metrics at all).
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Candidate, MetricDeviation, TraceStats
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.metrics import metric_signals
from dynatrace_agent.analysis.ranking.strength import deviation_strength

from .scenarios import evidence, healthy, metric, svc

APP = "SERVICE-00000000000000A1"
OTHER = "SERVICE-00000000000000A2"
HOST = "HOST-00000000000000B1"
PG = "PROCESS_GROUP-00000000000000C1"
PG_UNLISTED = "PROCESS_GROUP-00000000000000C2"
PG_IDLE = "PROCESS_GROUP-00000000000000C3"


def run(
    cands: list[Candidate],
    metrics: list[MetricDeviation],
    *,
    stats: list[TraceStats] | None = None,
    prepare: dict[str, CandidateState] | None = None,
) -> RankContext:
    index = CandidateIndex(cands)
    states = {c.entity_id: CandidateState(candidate=c) for c in cands}
    states.update(prepare or {})
    for t in stats or []:
        states[t.service].traces = t
    ctx = RankContext(
        evidence=evidence(candidates=cands, metrics=metrics, traces=stats or []),
        index=index,
        states=states,
        scale=1.0,
    )
    metric_signals(ctx)
    return ctx


def app() -> Candidate:
    return svc(APP, "checkout")


def node() -> Candidate:
    return Candidate(entity_id=HOST, name="node-1", type="HOST", relations=["host"])


def test_a_resource_rise_is_the_owners_own_resource_use_with_its_reason_and_evidence() -> None:
    m = metric(APP, "dt.process.memory.usage", 400.0, 1600.0, std=100.0)  # z 12
    ctx = run([app()], [m])
    st = ctx.states[APP]
    assert st.signals == {"resource": deviation_strength(m)}
    assert st.reasons == ["memory rose: dt.process.memory.usage 400 → 1,600 (z=12.0)"]
    (item,) = st.evidence
    assert (item.kind, item.entity_id, item.source, item.records) == (
        "metric",
        APP,
        "timeseries avg(dt.process.memory.usage)",
        ["dt.process.memory.usage"],
    )
    assert item.summary == "dt.process.memory.usage 400 → 1,600 (z=12.0)"
    assert ctx.own_resource == {APP: deviation_strength(m)}
    assert ctx.starved == {}
    assert ctx.resource_seen == {APP}


def test_of_several_resource_series_the_strongest_is_the_own_use() -> None:
    strong = metric(APP, "dt.process.memory.usage", 400.0, 900.0, std=100.0)  # z 5
    weak = metric(APP, "dt.process.cpu.usage", 40.0, 60.0, std=5.0)  # z 4
    ctx = run([app()], [strong, weak])
    assert ctx.own_resource[APP] == deviation_strength(strong)
    assert ctx.states[APP].signals["resource"] == deviation_strength(strong)


def test_throttling_is_starvation_not_consumption() -> None:
    first = metric(APP, "dt.containers.cpu.throttled_time", 10.0, 60.0, std=10.0)  # z 5
    second = metric(APP, "dt.containers.cpu.throttled_time", 10.0, 50.0, std=10.0)  # z 4
    ctx = run([app()], [first, second])
    assert ctx.starved == {APP: deviation_strength(first)}
    assert ctx.own_resource == {}
    assert ctx.states[APP].signals["resource"] == deviation_strength(first)
    assert ctx.states[APP].reasons[0].startswith("cpu rose: dt.containers.cpu.throttled_time 10 → 60")


def test_a_resource_series_that_did_not_move_still_says_resource_data_exists() -> None:
    ctx = run([app()], [metric(APP, "dt.process.cpu.usage", 40.0, 40.5, std=5.0)])
    assert ctx.resource_seen == {APP}
    assert ctx.states[APP].signals == {}
    assert ctx.states[APP].reasons == []
    assert ctx.own_resource == {}


def test_a_series_that_did_not_move_does_not_hide_the_next_one() -> None:
    still = metric(APP, "dt.service.errors.total.count", 2.0, 2.2, std=2.0)
    moved = metric(APP, "dt.host.net.nic.packets.dropped", 1.0, 6.0, std=1.0)
    ctx = run([app()], [still, moved])
    assert set(ctx.states[APP].signals) == {"network"}
    assert ctx.resource_seen == set()


@pytest.mark.parametrize(("peak", "saturated"), [(80.0, True), (79.9, False)])
def test_a_host_counts_as_saturated_from_80_percent(peak: float, saturated: bool) -> None:
    m = metric(HOST, "dt.host.cpu.usage", 20.0, peak, std=2.0)
    ctx = run([node()], [m])
    st = ctx.states[HOST]
    s = deviation_strength(m)
    if saturated:
        assert st.signals["resource"] == s
        assert st.reasons == [f"cpu rose: dt.host.cpu.usage 20 → {peak:.3g} (z={m.z_score:.1f})"]
        assert ctx.own_resource == {HOST: s}
    else:
        # A quiet host whose usage moved is weak evidence, and is not its own heavy use.
        assert st.signals["resource"] == pytest.approx(0.3 * s)
        assert st.reasons[0].startswith("cpu rose (below saturation): dt.host.cpu.usage 20 → 79.9")
        assert st.evidence[0].summary.startswith("dt.host.cpu.usage 20 → 79.9")
        assert ctx.own_resource == {}


def test_a_quiet_host_series_does_not_stop_the_next_one_counting() -> None:
    quiet = metric(HOST, "dt.host.cpu.usage", 20.0, 60.0, std=2.0)
    full = metric(HOST, "dt.host.disk.used", 100.0, 400.0, std=10.0)
    ctx = run([node()], [quiet, full])
    assert ctx.states[HOST].signals["resource"] == deviation_strength(full)
    assert ctx.own_resource == {HOST: deviation_strength(full)}


def test_a_network_anomaly_is_recorded_for_network_localisation() -> None:
    strong = metric(APP, "dt.host.net.nic.packets.dropped", 1.0, 6.0, std=1.0)  # z 5
    weak = metric(APP, "tcp.retransmissions", 10.0, 14.0, std=1.0)  # z 4
    ctx = run([app()], [strong, weak])
    st = ctx.states[APP]
    assert st.signals == {"network": deviation_strength(strong)}
    assert st.reasons[0] == "network metric rose: dt.host.net.nic.packets.dropped 1 → 6 (z=5.0)"
    assert ctx.net_metric == {APP: deviation_strength(strong)}


def test_failures_in_metrics_count_less_when_something_else_explains_the_owner() -> None:
    m = metric(APP, "dt.service.errors.total.count", 2.0, 12.0, std=2.0)  # z 5
    plain = run([app()], [m]).states[APP]
    assert plain.signals == {"failure_metric": deviation_strength(m)}
    assert plain.reasons == ["failures rose: dt.service.errors.total.count 2 → 12 (z=5.0)"]
    explained = CandidateState(candidate=app(), counter=["its failures are relayed"])
    st = run([app()], [m], prepare={APP: explained}).states[APP]
    assert st.signals["failure_metric"] == pytest.approx(0.4 * deviation_strength(m))


@pytest.mark.parametrize(("inc", "counts"), [(150.0, True), (149.0, False)])
def test_throughput_counts_from_half_again_the_baseline(inc: float, counts: bool) -> None:
    m = metric(APP, "dt.service.request.count", 100.0, inc, std=5.0)  # z about 10
    st = run([app()], [m]).states[APP]
    if counts:
        assert st.signals["throughput"] > 0.5
        assert st.reasons == [f"throughput rose: dt.service.request.count 100 → {inc:.0f} (z=10.0)"]
    else:
        assert "throughput" not in st.signals


def test_a_response_time_metric_counts_only_where_no_spans_were_read() -> None:
    m = metric(APP, "dt.service.request.response_time", 40_000.0, 90_000.0, std=5_000.0)
    without = run([app()], [m]).states[APP]
    assert without.signals == {"latency": deviation_strength(m)}
    assert without.reasons == [
        "response time rose: dt.service.request.response_time 40,000 → 90,000 (z=10.0)"
    ]
    with_spans = run([app()], [m], stats=[healthy(APP)]).states[APP]
    assert with_spans.signals == {}


def test_restarts_count_fully_only_when_the_logs_said_out_of_memory() -> None:
    m = metric(APP, "dt.kubernetes.container.restarts", 0.0, 2.5, std=0.5)  # z 5
    plain = run([app()], [m]).states[APP]
    assert plain.signals["resource"] == pytest.approx(0.5 * deviation_strength(m))
    assert plain.reasons == ["restarts rose: dt.kubernetes.container.restarts 0 → 2.5 (z=5.0)"]
    oom = CandidateState(candidate=app(), hints={"resource": 1.0})
    st = run([app()], [m], prepare={APP: oom}).states[APP]
    assert st.signals["resource"] == pytest.approx(deviation_strength(m))


def test_lost_availability_is_a_failure_rate_of_its_size() -> None:
    m = metric(APP, "dt.service.availability", 99.9, 89.9, std=0.5)  # 10 points lost, z -20
    st = run([app()], [m]).states[APP]
    assert st.signals["failure_metric"] == deviation_strength(m) > 0
    assert st.signals["failure_rate"] == pytest.approx(0.5)  # a tenth of requests lost
    assert st.reasons == ["availability fell: dt.service.availability 99.9 → 89.9 (z=-20.0)"]
    assert len(st.evidence) == 1


def test_a_brief_availability_dip_counts_less_as_a_failure_rate() -> None:
    m = metric(APP, "dt.service.availability", 99.9, 89.9, std=0.5).model_copy(
        update={"incident_persistence": 0.1, "incident_points": 30}
    )
    st = run([app()], [m]).states[APP]
    assert st.signals["failure_rate"] == pytest.approx(0.5 * (0.3 + 0.7 * 0.2))


def test_process_group_series_belong_to_the_service_they_run() -> None:
    pg = Candidate(entity_id=PG, name="checkout-pg", type="PROCESS_GROUP")
    idle = Candidate(entity_id=PG_IDLE, name="idle-pg", type="PROCESS_GROUP")
    service = svc(APP, "checkout", process_groups=[PG_IDLE, PG, PG_UNLISTED])
    own = metric(APP, "dt.service.request.response_time", 40_000.0, 90_000.0, std=5_000.0)
    # The listed group's series names it only by a dimension, the unlisted one's by its id.
    listed = metric(None, "dt.process.memory.usage", 400.0, 1600.0, std=100.0)  # type: ignore[arg-type]
    listed = listed.model_copy(update={"dimensions": {"k8s.workload.name": "checkout-pg"}})
    unlisted = metric(PG_UNLISTED, "dt.host.net.nic.packets.dropped", 1.0, 9.0, std=1.0)
    elsewhere = metric(OTHER, "dt.service.errors.total.count", 2.0, 40.0, std=2.0)
    ctx = run([service, idle, pg, svc(OTHER, "other")], [own, listed, unlisted, elsewhere])
    st = ctx.states[APP]
    assert set(st.signals) == {"latency", "resource", "network"}
    assert {item.entity_id for item in st.evidence} == {APP}
    assert ctx.states[PG].signals == {"resource": deviation_strength(listed)}


def test_a_series_is_found_by_the_owners_name_dimension() -> None:
    m = metric(None, "dt.process.memory.usage", 400.0, 1600.0, std=100.0)  # type: ignore[arg-type]
    m = m.model_copy(update={"dimensions": {"k8s.workload.name": "checkout"}})
    ctx = run([app(), svc(OTHER, "other")], [m])
    assert "resource" in ctx.states[APP].signals
    assert ctx.states[OTHER].signals == {}


def test_series_of_no_candidate_and_small_moves_give_nothing() -> None:
    nobody = metric("SERVICE-NOBODY", "dt.process.memory.usage", 400.0, 1600.0, std=100.0)
    small = metric(APP, "dt.host.net.nic.packets.dropped", 1.0, 3.9, std=1.0)  # z 2.9
    ctx = run([app()], [nobody, small])
    assert ctx.states[APP].signals == {}
    assert ctx.net_metric == {}


@pytest.mark.parametrize(
    ("key", "signal"),
    [
        ("dt.host.net.nic.packets.dropped", "network"),
        ("dt.service.errors.total.count", "failure_metric"),
        ("dt.service.request.count", "throughput"),
        ("dt.service.request.response_time", "latency"),
        ("dt.kubernetes.container.restarts", "resource"),
    ],
)
def test_every_signal_from_a_series_cites_that_series(key: str, signal: str) -> None:
    st = run([app()], [metric(APP, key, 10.0, 20.0, std=1.0)]).states[APP]
    assert signal in st.signals
    (item,) = st.evidence
    assert (item.kind, item.entity_id, item.records) == ("metric", APP, [key])
    assert item.summary.startswith(f"{key} 10 → 20 (z=10.0)")
