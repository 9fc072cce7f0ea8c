"""The candidate set and call graph every pass works on.

Traces and logs attach to the candidate their entity id or name resolves to (the first one
wins); calls come from topology (``calls``, ``called_by``) and from trace callees, never to
the candidate itself. Entities seen only in the data become candidates: trace services, the
targets of deployments and configuration changes, entities logging errors, and owners of
deviating metric series (every pod of a workload as one candidate), typed from their Dynatrace
id when it is one, else as services, at hop 2 with relation ``other``.
"""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import Candidate, Evidence, LogStats, MetricDeviation, TraceStats
from dynatrace_agent.analysis.ranking.candidates import attach_evidence, augment_candidates
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext

from .scenarios import change, evidence, logs, metric, svc, traces

A, B, C = "SERVICE-000000000000000A", "SERVICE-000000000000000B", "SERVICE-000000000000000C"


def _attached(ev: Evidence) -> RankContext:
    candidates = list(ev.candidates)
    index = CandidateIndex(candidates)
    ctx = RankContext(
        evidence=ev,
        index=index,
        states={c.entity_id: CandidateState(candidate=c) for c in candidates},
        scale=1.0,
    )
    attach_evidence(ctx)
    return ctx


def _augmented(ev: Evidence) -> dict[str, Candidate]:
    """The candidates after discovery, by entity id (the evidence's own ones included)."""
    candidates = list(ev.candidates)
    augment_candidates(ev, candidates, CandidateIndex(candidates))
    return {c.entity_id: c for c in candidates}


def _named(t: TraceStats, name: str) -> TraceStats:
    return t.model_copy(update={"name": name})


# --- attaching traces and logs --------------------------------------------------------------


def test_traces_attach_by_entity_id_or_by_service_name() -> None:
    by_id = traces(A, failures=5)
    by_name = _named(traces("SERVICE-FFFFFFFFFFFFFFFF", failures=7), "Checkout")
    ctx = _attached(evidence(candidates=[svc(A, "cart"), svc(B, "checkout")], traces=[by_id, by_name]))
    assert ctx.states[A].traces is by_id
    assert ctx.states[B].traces is by_name


def test_the_first_trace_and_log_statistics_of_a_candidate_win() -> None:
    first, second = traces(A, failures=5), traces(A, failures=50)
    first_logs, second_logs = logs(A, 0, 10, "boom"), logs(A, 0, 99, "bang")
    ctx = _attached(
        evidence(candidates=[svc(A, "cart")], traces=[first, second], logs=[first_logs, second_logs])
    )
    assert ctx.states[A].traces is first
    assert ctx.states[A].logs is first_logs


def test_logs_attach_by_entity_id_or_by_name() -> None:
    by_id = logs(A, 0, 10, "boom")
    by_name = LogStats(entity="unknown-entity", name="checkout", incident_errors=4, source="fetch logs")
    ctx = _attached(evidence(candidates=[svc(A, "cart"), svc(B, "checkout")], logs=[by_id, by_name]))
    assert ctx.states[A].logs is by_id
    assert ctx.states[B].logs is by_name


def test_data_about_entities_that_are_no_candidate_is_not_attached() -> None:
    ctx = _attached(
        evidence(
            candidates=[svc(A, "cart")],
            traces=[traces("SERVICE-NOWHERE")],
            logs=[logs("PROCESS_GROUP-NOWHERE", 0, 5, "x")],
        )
    )
    assert ctx.states[A].traces is None and ctx.states[A].logs is None


# --- the call graph -----------------------------------------------------------------------------


def test_calls_come_from_topology_in_both_directions_and_never_loop_to_itself() -> None:
    ctx = _attached(
        evidence(
            candidates=[
                svc(A, "front", calls=[B, A, "SERVICE-NOWHERE"]),
                svc(B, "cart"),
                svc(C, "db", called_by=[B, C, "SERVICE-NOWHERE"]),
            ]
        )
    )
    assert ctx.callees == {A: {B}, B: {C}, C: set()}
    assert ctx.callers == {A: set(), B: {A}, C: {B}}


def test_calls_seen_in_traces_complete_the_graph_by_id_or_name() -> None:
    ctx = _attached(
        evidence(
            candidates=[svc(A, "front"), svc(B, "cart"), svc(C, "db")],
            traces=[traces(A, callees=[B, "db", A, "nowhere"])],
        )
    )
    assert ctx.callees[A] == {B, C}
    assert ctx.callers[B] == {A} and ctx.callers[C] == {A}
    assert ctx.callers[A] == set()


# --- discovering candidates ----------------------------------------------------------------------


def test_a_service_seen_only_in_spans_becomes_a_service_candidate_with_its_calls() -> None:
    found = _augmented(
        evidence(candidates=[svc(A, "front")], traces=[_named(traces("payments", callees=[A]), "Pay")])
    )
    new = found["payments"]
    assert (new.name, new.type, new.relations, new.hop, new.calls) == ("Pay", "SERVICE", ["other"], 2, [A])


def test_a_dynatrace_id_gives_the_new_candidate_its_type() -> None:
    pgi = "PROCESS_GROUP_INSTANCE-0123456789ABCDEF"
    found = _augmented(evidence(traces=[traces(pgi), traces("cache-node"), traces("SERVICE-12345")]))
    assert found[pgi].type == "PROCESS_GROUP_INSTANCE"
    assert found["cache-node"].type == "SERVICE"
    assert found["SERVICE-12345"].type == "SERVICE"  # not a 16-digit Dynatrace id: a name
    assert found["SERVICE-12345"].hop == 2


def test_entities_already_known_by_id_or_name_or_unknown_are_not_added_again() -> None:
    existing = [svc(A, "cart")]
    found = _augmented(
        evidence(
            candidates=existing,
            traces=[
                traces(A.lower()),  # the same id, other case
                _named(traces("SERVICE-FFFFFFFFFFFFFFFF"), "Cart"),  # another id, a known name
                traces("Unknown"),
                traces(""),
            ],
        )
    )
    assert list(found) == [A]


def test_deployment_and_configuration_targets_become_candidates_other_events_do_not() -> None:
    other = change("ev-3", "SERVICE-OTHERKIND").model_copy(update={"kind": "other"})
    found = _augmented(
        evidence(
            changes=[
                change("ev-1", "SERVICE-DEPLOYED"),
                change("ev-2", "SERVICE-CONFIGURED", kind="configuration"),
                other,
            ]
        )
    )
    assert set(found) == {"SERVICE-DEPLOYED", "SERVICE-CONFIGURED"}
    assert found["SERVICE-CONFIGURED"].name is None


def test_an_entity_logging_at_least_one_error_becomes_a_candidate() -> None:
    one = LogStats(entity="worker", name="Worker", incident_errors=1, source="fetch logs")
    none = LogStats(
        entity="quiet", name="Quiet", incident_errors=0, incident_warnings=50, source="fetch logs"
    )
    found = _augmented(evidence(logs=[one, none]))
    assert set(found) == {"worker"}
    assert (found["worker"].name, found["worker"].calls) == ("Worker", [])


def _series(
    entity: str | None, dims: dict[str, str], base: float = 100.0, inc: float = 200.0
) -> MetricDeviation:
    m = metric(entity or "x", "app.latency", base, inc)
    return m.model_copy(update={"entity_id": entity, "dimensions": dims})


def test_the_owner_of_a_deviating_series_becomes_a_candidate_named_by_its_dimensions() -> None:
    found = _augmented(
        evidence(
            metrics=[
                _series("SERVICE-00000000000000EE", {"service.name": "ledger", "name": "ledger-x"}),
                _series("custom-device-1", {}),
            ]
        )
    )
    assert found["SERVICE-00000000000000EE"].name == "ledger"
    assert found["custom-device-1"].name is None


def test_a_series_that_does_not_deviate_or_has_no_entity_or_an_owner_adds_nothing() -> None:
    found = _augmented(
        evidence(
            candidates=[svc(A, "cart")],
            metrics=[
                _series("SERVICE-QUIET", {}, base=100.0, inc=101.0),
                _series(None, {"service.name": "ghost"}),
                _series("SERVICE-FFFFFFFFFFFFFFFF", {"service.name": "cart"}),  # owned by cart
            ],
        )
    )
    assert list(found) == [A]


def test_every_pod_of_a_workload_is_one_candidate() -> None:
    pods = ["cart-7d9f8c6b5-x2k4q", "cart-7d9f8c6b5-p9z8w"]
    found = _augmented(evidence(metrics=[_series(p, {"k8s.pod.name": p}) for p in pods]))
    assert list(found) == ["cart"]
    assert found["cart"].name == "cart"


def test_only_a_pod_name_is_reduced_to_its_workload() -> None:
    # the id looks like a pod name but the series does not say it is one
    found = _augmented(evidence(metrics=[_series("cart-7d9f8c6b5-x2k4q", {"service.name": "Cart Svc"})]))
    assert found["cart-7d9f8c6b5-x2k4q"].name == "Cart Svc"
    # a pod without a generated suffix keeps its spelling
    plain = _augmented(evidence(metrics=[_series("Cart", {"k8s.pod.name": "Cart"})]))
    assert list(plain) == ["Cart"]
