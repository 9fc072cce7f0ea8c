"""Ranking rules that keep it general beyond one generator's shapes (metrics-only apps, k8s benchmarks)."""

from __future__ import annotations

from datetime import timedelta

from dynatrace_agent.analysis.evidence import CallGap, MetricDeviation
from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.signals import metric_deviations

from .scenarios import START, WINDOW, change, evidence, logs, metric, svc, traces

API, BASIC, PRICE, ROUTE, OTHER, HOST = (
    "CUSTOM_DEVICE-00000000000000A1",
    "SERVICE-00000000000000B0",
    "SERVICE-00000000000000B1",
    "SERVICE-00000000000000B2",
    "SERVICE-00000000000000B3",
    "HOST-00000000000000C0",
)


def _series(
    key: str, dims: dict[str, str], baseline: list[float], incident: list[float]
) -> dict[str, object]:
    start = START - timedelta(minutes=len(baseline))
    return {
        "metric.key": key,
        "dimensions": dims,
        "start": start.isoformat().replace("+00:00", "Z"),
        "interval": "1m",
        "values": [*baseline, *incident],
    }


def test_name_keyed_series_are_attributed_by_service_or_pod_name() -> None:
    base = [10.0, 11.0, 9.0, 10.0] * 7
    rows = [
        _series("dt.service.request.failure_count", {"service.name": "ts-route-service"}, base, [60.0] * 30),
        _series(
            "dt.kubernetes.container.restarts",
            {"k8s.pod.name": "ts-route-service-tmggc8h69-8h69l"},
            [0.0] * 28,
            [1.0, 0.0, 2.0] * 10,
        ),
    ]
    devs = metric_deviations(rows, WINDOW)
    assert {d.entity_id for d in devs} == {"ts-route-service", "ts-route-service-tmggc8h69-8h69l"}
    ev = evidence(
        candidates=[svc(ROUTE, "ts-route-service"), svc(OTHER, "ts-other-service")],
        metrics=devs,
        logs=[logs(ROUTE, 0, 8, "java.lang.OutOfMemoryError: Java heap space")],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == ROUTE
    assert result.category == "resource"
    assert all(r.entity_id != "ts-route-service-tmggc8h69-8h69l" for r in result.ranked)


def test_zero_variance_baseline_caps_the_z_score_and_blips_have_low_persistence() -> None:
    flat = _series("x.count", {"dt.entity.service": BASIC}, [5.0] * 30, [5.0] * 27 + [500.0] * 3)
    (dev,) = metric_deviations([flat], WINDOW)
    assert dev.z_score == 50.0
    assert dev.incident_persistence is not None and dev.incident_persistence < 0.2


def test_availability_drop_with_falling_latency_beats_a_latency_blip_elsewhere() -> None:
    blip = metric(OTHER, "dt.service.request.response_time", 50_000, 80_000)
    blip = blip.model_copy(update={"incident_persistence": 0.25, "incident_points": 7})
    ev = evidence(
        candidates=[svc(BASIC, "PetListAdoptions"), svc(OTHER, "petfood")],
        metrics=[
            metric(BASIC, "custom.availability", 99.9, 75.0, std=0.3),
            metric(BASIC, "dt.service.request.response_time", 60_000, 40_000),
            blip,
        ],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == BASIC
    assert "failure_rate" in result.ranked[0].signals


def test_single_slow_edge_blames_the_callee_when_the_callers_other_calls_are_fine() -> None:
    caller = traces(BASIC, p90=(30, 230), self_p90=(5, 5), network=(1, 200), callees=[PRICE, OTHER])
    caller.call_gaps = {
        "ts-price-service": CallGap(baseline_p90_ms=1.0, incident_p90_ms=200.0, incident_calls=40),
        "ts-other-service": CallGap(baseline_p90_ms=1.0, incident_p90_ms=1.1, incident_calls=40),
    }
    ev = evidence(
        candidates=[
            svc(BASIC, "ts-basic-service", calls=[PRICE, OTHER]),
            svc(PRICE, "ts-price-service", called_by=[BASIC]),
            svc(OTHER, "ts-other-service", called_by=[BASIC]),
        ],
        traces=[
            caller,
            traces(PRICE, p90=(4, 4), self_p90=(4, 4)),
            traces(OTHER, p90=(9, 9), self_p90=(9, 9)),
        ],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == PRICE
    assert result.category == "network"


def test_caller_logs_naming_a_callee_move_the_blame_past_a_decoy_config_change() -> None:
    ev = evidence(
        candidates=[
            svc(BASIC, "ts-basic-service", calls=[PRICE]),
            svc(PRICE, "ts-price-service", called_by=[BASIC]),
        ],
        traces=[
            traces(BASIC, failures=40, origins=40, callees=[PRICE]),
            traces(PRICE),
        ],
        logs=[logs(BASIC, 0, 40, "[queryForTravel] invalid price -1.0 from price service, rejecting travel")],
        changes=[change("cfg-1", BASIC, kind="configuration", minutes=-15)],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == PRICE
    assert result.category == "code"


def test_a_quiet_host_whose_cpu_moved_is_not_saturated() -> None:
    quiet = MetricDeviation(
        entity_id=HOST,
        metric_key="dt.host.cpu.usage",
        kind="cpu",
        unit="Percent",
        baseline_mean=10.0,
        baseline_std=1.0,
        incident_mean=25.0,
        incident_max=30.0,
        z_score=15.0,
        relative_change=1.5,
        baseline_points=30,
        incident_points=30,
    )
    ev = evidence(
        candidates=[
            svc(BASIC, "ts-basic-service", hosts=[HOST]),
            svc(HOST, "node-1", type="HOST"),
        ],
        traces=[traces(BASIC, failures=30, origins=30)],
        metrics=[quiet],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == BASIC
    host = next(r for r in result.ranked if r.entity_id == HOST)
    assert host.signals.get("resource", 0.0) <= 0.3  # a third of what a saturated host gets


def test_metrics_on_a_custom_device_count_like_a_service() -> None:
    ev = evidence(
        candidates=[
            svc(BASIC, "PayForAdoption", calls=[API]),
            svc(API, "PetStatusUpdater API", type="CUSTOM_DEVICE", called_by=[BASIC]),
        ],
        metrics=[
            metric(BASIC, "dt.service.request.response_time", 90_000, 900_000),
            metric(API, "dt.service.request.response_time", 100_000, 950_000),
        ],
    )
    assert rank_root_causes(ev).ranked[0].entity_id == API
