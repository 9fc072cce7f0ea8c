"""Shapes converted research datasets use: bare metric keys, counters, availability, custom devices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dynatrace_agent.analysis import rank_root_causes
from dynatrace_agent.analysis.evidence import EntityRef, metric_kind
from dynatrace_agent.analysis.signals import metric_deviations
from dynatrace_agent.analysis.signals.metrics import counter_increments

from .scenarios import START, WINDOW, change, evidence, metric, problem, svc


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("latency", "latency"),
        ("latency_p50", "latency"),
        ("latency_p90", "latency"),
        ("aws.lambda.duration", "latency"),
        ("http.server.request.duration", "latency"),
        ("cpu", "cpu"),
        ("container_cpu_usage_seconds_total", "cpu"),
        ("aws.dynamodb.throttled_requests", "cpu"),
        ("dt.kubernetes.container.cpu_throttled", "cpu"),
        ("memory", "memory"),
        ("container_memory_working_set_bytes", "memory"),
        ("requests", "throughput"),
        ("request_count", "throughput"),
        ("invocations", "throughput"),
        ("errors", "failure"),
        ("error_count", "failure"),
        ("fail_rate", "failure"),
        ("availability", "availability"),
        ("custom.availability", "availability"),
        # Byte and packet volumes are load; loss, drops and retransmits are network faults.
        ("pod.network.receive_bytes", "throughput"),
        ("net.rx", "throughput"),
        ("bytes_sent", "throughput"),
        ("net.errors", "failure"),
        ("tcp_retransmits", "network"),
        ("packets_dropped", "network"),
        ("dt.kubernetes.container.restarts", "other"),
        ("kube_pod_container_status_restarts_total", "other"),
        ("dt.service.request.count", "throughput"),
        ("dt.service.request.failure_count", "failure"),
    ],
)
def test_bare_and_prometheus_keys_are_classified(key: str, kind: str) -> None:
    assert metric_kind(key) == kind


def test_counters_become_increments_and_gauges_stay() -> None:
    assert counter_increments("cpu_seconds_total", [1.0, 3.0, None, 6.0, 1.0, 2.0]) == [
        None,
        2.0,
        None,
        3.0,
        1.0,  # a reset: the new value is the increase
        1.0,
    ]
    wobbling = [5.0, 4.0, 6.0, 3.0, 7.0, 2.0]
    assert counter_increments("queue_total", wobbling) == wobbling  # falls often: not a counter
    assert counter_increments("cpu", [1.0, 2.0, 3.0]) == [1.0, 2.0, 3.0]


def _series(key: str, dims: dict[str, str], values: list[float]) -> dict[str, Any]:
    start = WINDOW.baseline_start
    return {
        "metric.key": key,
        "dimensions": dims,
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interval": "1m",
        "values": values,
    }


def test_a_steady_counter_does_not_deviate_but_a_faster_one_does() -> None:
    steady = [float(i * 6) for i in range(60)]
    faster = [float(i * 6) for i in range(30)] + [174.0 + i * 30.0 for i in range(1, 31)]
    rows = [
        _series("container_cpu_usage_seconds_total", {"service.name": "steady"}, steady),
        _series("container_cpu_usage_seconds_total", {"service.name": "busy"}, faster),
    ]
    by_owner = {m.entity_id: m for m in metric_deviations(rows, WINDOW)}
    assert abs(by_owner["steady"].z_score or 0.0) < 1.0
    assert (by_owner["busy"].z_score or 0.0) > 3.0 and (by_owner["busy"].relative_change or 0.0) > 2.0


def test_an_availability_drop_near_the_ceiling_is_a_strong_deviation() -> None:
    values = [99.9, 99.8, 100.0, 99.85] * 8 + [86.5] * 28
    (m,) = metric_deviations([_series("availability", {"name": "statusupdater"}, values[:60])], WINDOW)
    assert m.entity_id == "statusupdater" and m.kind == "availability"
    assert (m.z_score or 0.0) < -20.0
    # A wobble of a tenth of a point stays noise.
    quiet = [99.9, 99.8, 100.0, 99.85] * 8 + [99.8] * 28
    (q,) = metric_deviations([_series("availability", {"name": "x"}, quiet[:60])], WINDOW)
    assert (q.z_score or 0.0) > -3.0


def test_series_named_only_by_name_are_attributed_to_custom_devices() -> None:
    values = [50.0, 52.0, 49.0, 51.0] * 8 + [400.0] * 28
    devs = metric_deviations([_series("latency", {"name": "pethistory"}, values[:60])], WINDOW)
    site = svc("CUSTOM_DEVICE-00000000000000A1", "PetSite", type="CUSTOM_DEVICE", relations=["affected"])
    history = svc(
        "CUSTOM_DEVICE-00000000000000A2", "pethistory", type="CUSTOM_DEVICE", relations=["callee"], hop=1
    )
    ev = evidence(candidates=[site, history], metrics=devs)
    analysis = rank_root_causes(ev)
    assert analysis.ranked[0].entity_id == history.entity_id
    assert not analysis.false_alarm


def test_ranking_is_by_score_unless_it_is_a_false_alarm() -> None:
    """A quiet alerted entity is never listed above a candidate that scored."""
    site = svc("SERVICE-00000000000000A1", "site", relations=["affected"])
    history = svc("SERVICE-00000000000000A2", "history", relations=["callee"], hop=1)
    other = svc("SERVICE-00000000000000A3", "other", relations=["callee"], hop=1)
    ev = evidence(
        problem=problem(),
        candidates=[site, history, other],
        metrics=[metric(history.entity_id, "availability", 99.9, 80.0, std=0.1)],
        changes=[change("E1", other.entity_id, "configuration", minutes=-10)],
    )
    analysis = rank_root_causes(ev)
    scores = [r.score for r in analysis.ranked]
    assert scores == sorted(scores, reverse=True)
    assert analysis.ranked[0].entity_id == history.entity_id


def test_a_credited_configuration_change_names_the_category_when_metrics_are_quiet() -> None:
    history = svc("CUSTOM_DEVICE-00000000000000A2", "history", type="CUSTOM_DEVICE", relations=["callee"])
    site = svc("CUSTOM_DEVICE-00000000000000A1", "site", type="CUSTOM_DEVICE", relations=["affected"])
    ev = evidence(
        problem=problem(davis=history.entity_id, name="history").model_copy(
            update={"affected": [EntityRef(id=site.entity_id, name="site")]}
        ),
        candidates=[site, history],
        changes=[change("E1", history.entity_id, "configuration", minutes=-10)],
    )
    analysis = rank_root_causes(ev)
    assert not analysis.false_alarm
    assert analysis.ranked[0].entity_id == history.entity_id
    assert analysis.category == "configuration"
    # A deployment says deployment; a change long before the start says nothing.
    ev.changes[0] = change("E2", history.entity_id, "deployment", minutes=-12)
    assert rank_root_causes(ev).category == "deployment"
    ev.changes[0] = change("E3", history.entity_id, "configuration", minutes=-600)
    assert rank_root_causes(ev).category == "code"
    assert ev.changes[0].timestamp == START - timedelta(minutes=600)


def test_a_change_that_leaks_into_the_baseline_does_not_hide_a_doubling() -> None:
    """The last baseline points already moved (a change before the start): still a deviation."""
    base = [40.0, 42.0, 41.0, 43.0, 39.0, 42.0] * 4 + [41.0, 40.0, 96.0, 95.0, 100.0, 98.0]
    values = base + [100.0, 104.0, 98.0, 102.0] * 7 + [101.0, 99.0]
    (m,) = metric_deviations([_series("latency", {"name": "pethistory"}, values)], WINDOW)
    plain_z = ((m.incident_mean or 0.0) - (m.baseline_mean or 0.0)) / (m.baseline_std or 1.0)
    assert plain_z < 3.0  # the standard deviation alone would call it noise
    assert (m.z_score or 0.0) >= 3.0 and (m.relative_change or 0.0) > 0.8
    # A uniformly noisy baseline keeps its spread: no alarm from a move inside the noise.
    noisy = [20.0, 80.0, 35.0, 65.0, 50.0, 25.0] * 5 + [60.0] * 30
    (n,) = metric_deviations([_series("latency", {"name": "x"}, noisy)], WINDOW)
    assert (n.z_score or 0.0) < 3.0
