"""Scenario tests of the root-cause ranking: each one a small, realistic synthetic incident."""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import Candidate, Evidence
from dynatrace_agent.analysis.rank import Analysis, rank_root_causes

from .scenarios import change, evidence, healthy, logs, metric, problem, svc, traces

FRONT, CHECKOUT, PAYMENT, CART, DB = (
    "SERVICE-000000000000000F",
    "SERVICE-00000000000000C0",
    "SERVICE-00000000000000A0",
    "SERVICE-00000000000000CA",
    "SERVICE-00000000000000DB",
)


def _chain() -> list[Candidate]:
    return [
        svc(FRONT, "frontend", calls=[CHECKOUT], relations=["affected"]),
        svc(CHECKOUT, "checkout", calls=[PAYMENT], called_by=[FRONT], relations=["callee"], hop=1),
        svc(PAYMENT, "payment", called_by=[CHECKOUT], relations=["callee"], hop=2),
        svc(CART, "cart", called_by=[FRONT], relations=["callee"], hop=1),
    ]


def _top(analysis: Analysis) -> str:
    return analysis.ranked[0].entity_id


def _rank(analysis: Analysis, entity: str) -> int:
    return [r.entity_id for r in analysis.ranked].index(entity) + 1


def test_bad_deploy_cascading_to_callers() -> None:
    ev = evidence(
        problem=problem(FRONT, "frontend"),
        candidates=_chain(),
        changes=[change("deploy-1", CHECKOUT), change("decoy-1", CART, minutes=-25)],
        traces=[
            traces(FRONT, failures=60, origins=0, p90=(80, 950), self_p90=(20, 22), callees=[CHECKOUT]),
            traces(CHECKOUT, failures=60, origins=60, p90=(40, 900), self_p90=(20, 880), callees=[PAYMENT]),
            healthy(PAYMENT),
            healthy(CART),
        ],
        logs=[
            logs(FRONT, 0, 60, "error calling checkout: 500"),
            logs(CHECKOUT, 0, 60, "NullPointerException in Cart"),
        ],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CHECKOUT
    assert result.category == "deployment"
    assert result.triggering_change == "deploy-1"
    top = result.ranked[0]
    assert any("deploy-1" in r for r in top.reasons)
    assert {e.kind for e in top.evidence} >= {"change", "traces"}
    front = next(r for r in result.ranked if r.entity_id == FRONT)
    assert any("relayed" in c for c in front.counter_evidence)
    cart = next(r for r in result.ranked if r.entity_id == CART)
    assert cart.score < 0.2 and any("no deviation" in c for c in cart.counter_evidence)
    assert result.confidence > 0.5


def test_configuration_change() -> None:
    ev = evidence(
        candidates=_chain(),
        changes=[change("cfg-1", PAYMENT, kind="configuration", minutes=-4)],
        traces=[
            traces(CHECKOUT, failures=40, origins=0, callees=[PAYMENT]),
            traces(PAYMENT, failures=40, origins=40),
            healthy(FRONT),
        ],
        logs=[logs(PAYMENT, 1, 40, "invalid property payment.gateway.url")],
    )
    result = rank_root_causes(ev)
    assert _top(result) == PAYMENT
    assert result.category == "configuration"
    assert result.triggering_change == "cfg-1"


def test_code_exception_without_change() -> None:
    ev = evidence(
        candidates=_chain(),
        changes=[change("old-deploy", PAYMENT, minutes=-600)],
        traces=[
            traces(CHECKOUT, failures=30, origins=2, callees=[PAYMENT]),
            traces(PAYMENT, failures=30, origins=28),
            healthy(FRONT),
        ],
        logs=[logs(PAYMENT, 0, 30, "java.lang.IllegalStateException: order <num> has no items")],
    )
    result = rank_root_causes(ev)
    assert _top(result) == PAYMENT
    assert result.category == "code"
    assert result.triggering_change is None


def test_saturated_host_with_noisy_neighbour() -> None:
    host, batch = "HOST-0000000000000001", "PROCESS_GROUP-00000000000000B1"
    ev = evidence(
        candidates=[
            svc(CHECKOUT, "checkout", hosts=[host], relations=["affected"]),
            Candidate(entity_id=host, name="node-1", type="HOST", relations=["host"], hop=1),
            Candidate(entity_id=batch, name="nightly-batch", type="PROCESS_GROUP", hosts=[host], hop=2),
            svc(CART, "cart", relations=["callee"]),
        ],
        traces=[traces(CHECKOUT, p90=(40, 400), self_p90=(20, 380)), healthy(CART)],
        metrics=[
            metric(host, "dt.host.cpu.usage", 35, 98, std=3),
            metric(batch, "dt.process.cpu.usage", 5, 85, std=1),
            metric(CHECKOUT, "dt.service.response.time", 40_000, 400_000, std=2_000),
            metric(CART, "dt.host.cpu.usage", 30, 31, std=2),
        ],
    )
    result = rank_root_causes(ev)
    assert _top(result) == batch
    assert result.category == "resource"
    checkout = next(r for r in result.ranked if r.entity_id == CHECKOUT)
    assert any("saturated by nightly-batch" in c for c in checkout.counter_evidence)
    assert _rank(result, batch) < _rank(result, host)


def test_saturated_host_without_neighbour_blames_host() -> None:
    host = "HOST-0000000000000001"
    ev = evidence(
        candidates=[
            svc(CHECKOUT, "checkout", hosts=[host], relations=["affected"]),
            Candidate(entity_id=host, name="node-1", type="HOST", relations=["host"], hop=1),
        ],
        traces=[traces(CHECKOUT, p90=(40, 90), self_p90=(20, 60))],
        metrics=[metric(host, "dt.host.memory.usage", 40, 99, std=2)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == host
    assert result.category == "resource"


def test_failing_database_dependency() -> None:
    ev = evidence(
        problem=problem(CHECKOUT, "checkout"),
        candidates=[
            svc(FRONT, "frontend", calls=[CHECKOUT]),
            svc(CHECKOUT, "checkout", calls=[DB], called_by=[FRONT], relations=["affected"]),
            svc(DB, "orders-db", called_by=[CHECKOUT], is_database=True, hop=1),
        ],
        traces=[
            traces(FRONT, failures=50, origins=0, callees=[CHECKOUT]),
            traces(CHECKOUT, failures=50, origins=50, client_origins=50, deps={"orders-db": 50}),
        ],
        logs=[logs(CHECKOUT, 0, 50, "Connection refused: orders-db:<num>")],
    )
    result = rank_root_causes(ev)
    assert _top(result) == DB
    assert result.category == "dependency"
    checkout = next(r for r in result.ranked if r.entity_id == CHECKOUT)
    assert any("orders-db" in c for c in checkout.counter_evidence)


def test_failing_unmonitored_dependency_stays_on_caller_as_dependency() -> None:
    ev = evidence(
        candidates=[svc(FRONT, "frontend", calls=[CHECKOUT]), svc(CHECKOUT, "checkout", called_by=[FRONT])],
        traces=[
            traces(FRONT, failures=20, origins=0, callees=[CHECKOUT]),
            traces(CHECKOUT, failures=20, origins=20, client_origins=18, deps={"api.stripe.com": 18}),
        ],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CHECKOUT
    assert result.category == "dependency"


def test_network_latency_between_services() -> None:
    ev = evidence(
        candidates=_chain(),
        traces=[
            traces(FRONT, p90=(80, 600), self_p90=(20, 21), callees=[CHECKOUT], network=(2, 3)),
            traces(CHECKOUT, p90=(40, 560), self_p90=(20, 22), callees=[PAYMENT], network=(3, 500)),
            healthy(PAYMENT),
            healthy(CART),
        ],
        metrics=[metric(CHECKOUT, "dt.host.net.nic.packets.retransmitted", 2, 60, std=1)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CHECKOUT
    assert result.category == "network"


def test_traffic_spike_on_entry_service() -> None:
    ev = evidence(
        candidates=_chain(),
        traces=[
            traces(FRONT, requests=(300, 1500), p90=(80, 300), self_p90=(20, 25), callees=[CHECKOUT]),
            traces(CHECKOUT, requests=(300, 1450), p90=(40, 250), self_p90=(20, 60), callees=[PAYMENT]),
            traces(PAYMENT, requests=(300, 1400), p90=(20, 190), self_p90=(15, 180)),
            healthy(CART),
        ],
        metrics=[metric(FRONT, "dt.service.request.count", 10, 50, std=1)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == FRONT
    assert result.category == "traffic"


def test_davis_names_a_symptom() -> None:
    ev = evidence(
        problem=problem(FRONT, "frontend"),
        candidates=_chain(),
        traces=[
            traces(FRONT, failures=80, origins=0, callees=[CHECKOUT]),
            traces(CHECKOUT, failures=80, origins=0, callees=[PAYMENT]),
            traces(PAYMENT, failures=80, origins=80),
            healthy(CART),
        ],
        logs=[logs(FRONT, 2, 80, "upstream checkout returned 500"), logs(PAYMENT, 0, 80, "TypeError: x")],
    )
    result = rank_root_causes(ev)
    assert _top(result) == PAYMENT
    front = next(r for r in result.ranked if r.entity_id == FRONT)
    assert "davis" in front.signals
    assert any("Davis named it" in c for c in front.counter_evidence)


def test_false_alarm() -> None:
    ev = evidence(
        problem=problem(CHECKOUT, "checkout"),
        candidates=_chain(),
        changes=[change("decoy", CART, minutes=-10)],
        traces=[healthy(FRONT), healthy(CHECKOUT), healthy(PAYMENT), healthy(CART)],
        logs=[logs(CHECKOUT, 3, 4)],
        metrics=[metric(CHECKOUT, "dt.service.response.time", 40_000, 41_000, std=1_500)],
    )
    result = rank_root_causes(ev)
    assert result.category == "none"
    assert result.false_alarm
    assert result.triggering_change is None
    assert all(r.category == "none" for r in result.ranked)


def test_decoy_change_on_healthy_service() -> None:
    ev = evidence(
        candidates=_chain(),
        changes=[change("decoy", CART, minutes=-3)],
        traces=[
            traces(FRONT, failures=25, origins=0, callees=[CHECKOUT]),
            traces(CHECKOUT, failures=25, origins=25),
            healthy(CART),
        ],
        logs=[logs(CHECKOUT, 0, 25, "KeyError: 'sku'")],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CHECKOUT
    assert result.category == "code"
    assert result.triggering_change is None


def test_no_candidates_and_empty_evidence() -> None:
    result = rank_root_causes(Evidence(problem=problem()))
    assert result.ranked == [] and result.category == "none"
    davis_only = rank_root_causes(Evidence(problem=problem(CHECKOUT, "checkout")))
    assert davis_only.ranked[0].entity_id == CHECKOUT
    # Nothing could be measured: not a (confident) false alarm, and the category comes from what
    # is known — the problem's title says failures rose.
    assert not davis_only.false_alarm
    assert davis_only.confidence <= 0.2
    assert davis_only.category == "code"
    assert davis_only.ranked[0].category == "none"  # Davis alone is not a deviation of the entity


def test_ranking_is_deterministic_and_scores_bounded() -> None:
    ev = evidence(
        candidates=list(reversed(_chain())),
        traces=[traces(PAYMENT, failures=10, origins=10), traces(CART, failures=10, origins=10)],
    )
    first = rank_root_causes(ev)
    second = rank_root_causes(ev.model_copy(deep=True))
    assert first.model_dump() == second.model_dump()
    assert all(0.0 <= r.score <= 1.0 for r in first.ranked)
    assert first.ranked[0].score == first.ranked[1].score
    assert first.ranked[0].entity_id < first.ranked[1].entity_id  # ties break on id


# --------------------------------------------------------------------------- propagation rules


def test_metrics_only_the_deepest_anomalous_callee_is_the_root() -> None:
    """Classic RCA: with only metrics and the call graph, an anomaly below explains those above."""
    ms = 1000.0
    ev = evidence(
        candidates=_chain(),
        metrics=[
            metric(FRONT, "dt.service.request.response_time", 80 * ms, 700 * ms),
            metric(CHECKOUT, "dt.service.request.response_time", 40 * ms, 650 * ms),
            metric(PAYMENT, "dt.service.request.response_time", 20 * ms, 600 * ms),
            metric(CART, "dt.service.request.response_time", 20 * ms, 20.5 * ms),
        ],
        changes=[change("deploy-front", FRONT, minutes=-5)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == PAYMENT
    front = next(r for r in result.ranked if r.entity_id == FRONT)
    assert any("anomalous too" in c for c in front.counter_evidence)
    assert result.triggering_change is None  # the change is on a caller whose trouble is explained
    payment = result.ranked[0]
    assert "propagation" in payment.signals and any("explains" in r for r in payment.reasons)


def test_metrics_only_a_healthy_callee_leaves_the_blame_on_the_caller() -> None:
    ms = 1000.0
    ev = evidence(
        candidates=_chain(),
        metrics=[
            metric(FRONT, "dt.service.request.response_time", 80 * ms, 500 * ms),
            metric(CHECKOUT, "dt.service.request.failure_count", 1, 40, std=1),
            metric(PAYMENT, "dt.service.request.response_time", 20 * ms, 20.2 * ms),
        ],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CHECKOUT


def test_availability_drop_counts_as_failure() -> None:
    ev = evidence(
        candidates=_chain(),
        metrics=[metric(CART, "service.availability", 99.9, 60.0, std=0.05)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CART and "failure_metric" in result.ranked[0].signals


def test_entities_only_in_data_become_candidates() -> None:
    """A pod name in a metric dimension finds its workload; a span-only service is rankable."""
    ev = evidence(
        candidates=[svc(FRONT, "frontend", relations=["affected"]), svc(CART, "cart")],
        traces=[
            traces(FRONT, failures=30, origins=0, callees=["ts-order-service"]),
            traces("ts-order-service", failures=30, origins=30),
        ],
        metrics=[metric("cart-7d9f8c6b5-x2k4q", "container.memory.usage", 100, 400, std=5)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == "ts-order-service"
    assert "resource" in next(r for r in result.ranked if r.entity_id == CART).signals


def test_network_trouble_is_where_the_slow_calls_meet() -> None:
    from dynatrace_agent.analysis.evidence import CallGap

    host = "HOST-00000000000000E4"
    slow = CallGap(baseline_p90_ms=1.0, incident_p90_ms=380.0, incident_calls=20)
    front = traces(FRONT, p90=(80, 480), self_p90=(20, 21), callees=[CHECKOUT], network=(1, 380))
    front.call_gaps = {CHECKOUT: slow}
    cart = traces(CART, p90=(60, 450), self_p90=(20, 20), callees=[CHECKOUT], network=(1, 370))
    cart.call_gaps = {CHECKOUT: slow}
    ev = evidence(
        problem=problem(CHECKOUT, "checkout"),
        candidates=[
            svc(FRONT, "frontend", calls=[CHECKOUT]),
            svc(CART, "cart", calls=[CHECKOUT]),
            svc(CHECKOUT, "checkout", called_by=[FRONT, CART], hosts=[host], relations=["affected"]),
            Candidate(entity_id=host, name="node-4", type="HOST", relations=["host"], hop=1),
        ],
        traces=[front, cart, healthy(CHECKOUT)],
        metrics=[metric(host, "dt.host.net.nic.packets.dropped", 0.3, 1600, std=0.2)],
        changes=[change("deploy-front", FRONT, kind="configuration", minutes=-10)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == host
    assert result.category == "network"
    assert any("explained by the network" in c for r in result.ranked[1:] for c in r.counter_evidence)


def test_failures_that_begin_later_belong_to_another_problem() -> None:
    from datetime import timedelta

    from .scenarios import START

    early = traces(CHECKOUT, failures=40, origins=40)
    early.first_incident_failure = START
    late = traces(CART, failures=40, origins=40)
    late.first_incident_failure = START + timedelta(minutes=9)
    ev = evidence(
        candidates=_chain(),
        traces=[traces(FRONT, failures=40, origins=0, callees=[CHECKOUT]), early, late],
        changes=[change("cfg-cart", CART, kind="configuration", minutes=-12)],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CHECKOUT
    cart = next(r for r in result.ranked if r.entity_id == CART)
    assert any("began 9 min after" in c for c in cart.counter_evidence)


def test_classic_only_problem_record_ranks_from_davis_evidence() -> None:
    """No Grail data: Davis's change points and its deployment event still rank, with low confidence."""
    from datetime import timedelta

    from dynatrace_agent.analysis.evidence import DavisEvidence, Gap

    from .scenarios import START

    info = problem(FRONT, "frontend")
    info.davis_evidence = [
        DavisEvidence(
            evidence_type="TRANSACTIONAL",
            display_name="Failure rate",
            entity_id=FRONT,
            root_cause_relevant=True,
            before=0.14,
            after=4.1,
            unit="Percent",
        ),
        DavisEvidence(
            evidence_type="TRANSACTIONAL",
            display_name="Failure rate",
            entity_id=CHECKOUT,
            before=0.1,
            after=21.0,
            unit="Percent",
        ),
        DavisEvidence(
            evidence_type="EVENT",
            display_name="checkout 3.1.0",
            entity_id=CHECKOUT,
            event_type="CUSTOM_DEPLOYMENT",
            event_id="ev-77",
            start=START - timedelta(minutes=3),
        ),
    ]
    ev = evidence(
        problem=info,
        candidates=_chain(),
        gaps=[Gap(capability=c, reason="no OAuth client") for c in ("traces", "logs", "metrics", "events")],
    )
    result = rank_root_causes(ev)
    assert _top(result) == CHECKOUT
    assert result.category == "deployment" and result.triggering_change == "ev-77"
    assert not result.false_alarm and result.confidence <= 0.2


def test_blind_disk_problem_on_a_host_is_infrastructure() -> None:
    from dynatrace_agent.analysis.evidence import DavisEvidence

    host = "HOST-00000000000000D1"
    info = problem(host, "db-01")
    info.title = "Low disk space"
    info.davis_evidence = [
        DavisEvidence(
            evidence_type="EVENT",
            display_name="Low disk space",
            entity_id=host,
            event_type="LOW_DISK_SPACE",
            root_cause_relevant=True,
        ),
        DavisEvidence(
            evidence_type="TRANSACTIONAL",
            display_name="Failure rate",
            entity_id=CHECKOUT,
            before=0.2,
            after=54.0,
            unit="Percent",
        ),
    ]
    ev = evidence(
        problem=info,
        candidates=[
            svc(CHECKOUT, "checkout", calls=[DB], relations=["affected"]),
            svc(DB, "PostgreSQL", called_by=[CHECKOUT], hosts=[host], is_database=True, hop=1),
            Candidate(entity_id=host, name="db-01", type="HOST", relations=["affected"]),
        ],
    )
    result = rank_root_causes(ev)
    assert _top(result) == host
    assert result.category == "infrastructure"
    assert not result.false_alarm


def test_noisy_count_from_nothing_is_not_a_deviation() -> None:
    ev = evidence(
        candidates=_chain(),
        metrics=[metric(CART, "dt.service.request.failure_count", 0.0, 0.03, std=1e-9)],
    )
    assert rank_root_causes(ev).false_alarm
