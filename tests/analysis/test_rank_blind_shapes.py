"""Ranking rules for shapes seen only in converted datasets: URL-named callees, per-pod series,
latency-only faults, throttled data stores, and strong metrics that rule out a false alarm."""

from __future__ import annotations

from datetime import timedelta

from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.ranking.callee_blame import named_hosts
from dynatrace_agent.analysis.signals import metric_deviations

from .scenarios import START, WINDOW, evidence, logs, metric, svc

GATEWAY, PRICE, AUTH, ROUTE, TABLE, SEARCH = (
    "SERVICE-00000000000000D0",
    "SERVICE-00000000000000D1",
    "SERVICE-00000000000000D2",
    "SERVICE-00000000000000D3",
    "SERVICE-00000000000000D4",
    "SERVICE-00000000000000D5",
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


def test_named_hosts_reads_urls_host_ports_and_k8s_dns_names() -> None:
    text = (
        "unexpected value in response from http://ts-price-service:8080/api/v1/price; "
        "retry via ts-auth-service.default.svc.cluster.local and redis:6379, not 10.0.0.1:80"
    )
    assert named_hosts(text) == ["ts-price-service", "ts-auth-service", "redis"]
    assert named_hosts("GET https://user@api.example.com/x") == ["api"]
    assert named_hosts("no address here") == []


def test_a_url_in_the_callers_error_logs_moves_the_blame_to_the_addressed_service() -> None:
    # No traces show failure origins; the gateway fails and names the price service by URL.
    failing = metric(GATEWAY, "dt.service.request.failure_count", 0.2, 30.0, std=0.3)
    ev = evidence(
        candidates=[
            svc(GATEWAY, "ts-gateway-service", relations=["affected"], calls=[AUTH]),
            svc(PRICE, "ts-price-service"),  # not a known callee: topology may miss the call
            svc(AUTH, "ts-auth-service"),
        ],
        metrics=[failing],
        logs=[
            logs(
                GATEWAY,
                0,
                40,
                "java.lang.IllegalStateException: unexpected value in response from "
                "http://ts-price-service:17118/api/v1/price",
            )
        ],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == PRICE
    assert result.category == "code"


def test_an_address_of_an_unknown_host_blames_nobody() -> None:
    failing = metric(GATEWAY, "dt.service.request.failure_count", 0.2, 30.0, std=0.3)
    ev = evidence(
        candidates=[
            svc(GATEWAY, "ts-gateway-service", relations=["affected"]),
            svc(PRICE, "ts-price-service"),
        ],
        metrics=[failing],
        logs=[logs(GATEWAY, 0, 40, "Connection reset by peer while reading from redis:6379")],
    )
    assert rank_root_causes(ev).ranked[0].entity_id == GATEWAY


def test_per_pod_series_of_one_workload_make_one_candidate() -> None:
    base = [20_000.0, 21_000.0, 19_000.0, 20_000.0] * 7
    rows = [
        _series(
            "dt.service.response.time",
            {"k8s.pod.name": f"ts-station-service-5d8f9c7b6d-{sfx}"},
            base,
            [400_000.0] * 30,
        )
        for sfx in ("a1b2c", "d3e4f")
    ]
    rows.append(
        _series(
            "dt.service.response.time",
            {"k8s.pod.name": "ts-news-service-6c7d8e9f0a-zzzzz"},
            base,
            base[:30] + [20_000.0] * 2,
        )
    )
    ev = evidence(
        candidates=[svc(GATEWAY, "ts-gateway-service", relations=["affected"])],
        metrics=metric_deviations(rows, WINDOW),
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == "ts-station-service"
    assert not any("5d8f9c7b6d" in r.entity_id for r in result.ranked)


def test_latency_only_without_cpu_is_network_and_with_cpu_is_resource() -> None:
    slow = metric(ROUTE, "dt.service.response.time", 20_000, 400_000)
    quiet = evidence(candidates=[svc(ROUTE, "ts-route-service", relations=["affected"])], metrics=[slow])
    assert rank_root_causes(quiet).category == "network"
    busy = evidence(
        candidates=[svc(ROUTE, "ts-route-service", relations=["affected"])],
        metrics=[slow, metric(ROUTE, "dt.kubernetes.container.cpu_usage", 200.0, 950.0)],
    )
    assert rank_root_causes(busy).category == "resource"


def test_failures_without_resource_signs_stay_code() -> None:
    ev = evidence(
        candidates=[svc(ROUTE, "ts-route-service", relations=["affected"])],
        metrics=[
            metric(ROUTE, "dt.service.response.time", 20_000, 400_000),
            metric(ROUTE, "dt.service.request.failure_count", 0.2, 40.0, std=0.3),
        ],
        logs=[logs(ROUTE, 0, 30, "java.lang.NullPointerException at RouteController")],
    )
    assert rank_root_causes(ev).category == "code"


def test_a_slow_and_failing_data_store_is_resource() -> None:
    ev = evidence(
        candidates=[
            svc(SEARCH, "petsearch", relations=["affected"], calls=[TABLE]),
            svc(TABLE, "ddb-pets-table"),
        ],
        metrics=[
            metric(TABLE, "dt.service.response.time", 8_000, 300_000),
            metric(TABLE, "dt.service.request.failure_count", 0.1, 25.0, std=0.3),
        ],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == TABLE
    assert result.category == "resource"


def test_a_strong_metric_of_an_affected_entity_is_never_a_confident_false_alarm() -> None:
    # A memory series of the affected service moves strongly; no other signal does.
    strong = metric(ROUTE, "custom.jvm.heap.used", 100.0, 900.0)
    strong = strong.model_copy(update={"kind": "other"})  # a kind the ranking does not score
    ev = evidence(candidates=[svc(ROUTE, "ts-route-service", relations=["affected"])], metrics=[strong])
    result = rank_root_causes(ev)
    assert not result.false_alarm
    assert result.confidence <= 0.4
    assert result.ranked[0].entity_id == ROUTE
    blip = evidence(
        candidates=[svc(ROUTE, "ts-route-service", relations=["affected"])],
        metrics=[metric(ROUTE, "custom.jvm.heap.used", 100.0, 101.0)],
    )
    assert rank_root_causes(blip).false_alarm
