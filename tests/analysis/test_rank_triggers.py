"""A changed, crashing caller against a louder database below it; healthy callees that answer wrongly."""

from __future__ import annotations

from datetime import timedelta

from dynatrace_agent.analysis.evidence import ChangeEvent
from dynatrace_agent.analysis.rank import rank_root_causes

from .scenarios import START, change, evidence, metric, problem, svc, traces

SITE, LIST, DB = (
    "SERVICE-00000000000000D0",
    "SERVICE-00000000000000D1",
    "RELATIONAL_DATABASE_SERVICE-00000000000000D2",
)


def _restart(i: int, entity: str, minutes: float) -> ChangeEvent:
    return ChangeEvent(
        event_id=f"restart-{i}",
        event_type="PROCESS_RESTART",
        name="Container list OOMKilled (exit code 137)",
        kind="other",
        entity_ids=[entity],
        timestamp=START + timedelta(minutes=minutes),
        minutes_from_start=minutes,
        source="fetch events",
    )


def _stack(*, restarts: bool) -> object:
    candidates = [
        svc(SITE, "site", calls=[LIST]),
        svc(LIST, "list", calls=[DB], called_by=[SITE]),
        svc(DB, "orders-aurora", type="RELATIONAL_DATABASE_SERVICE", is_database=True, called_by=[LIST]),
    ]
    changes = [change("cfg-1", LIST, kind="configuration", minutes=-7.0)]
    if restarts:
        changes += [_restart(i, LIST, -2.0 + 6 * i) for i in range(5)]
    return evidence(
        problem=problem(davis=DB, name="orders-aurora"),
        candidates=candidates,
        changes=changes,
        metrics=[
            metric(DB, "app.latency", 8.0, 27.0, std=0.4),
            metric(LIST, "app.latency", 65.0, 105.0, std=3.0),
            metric(LIST, "app.availability", 99.8, 81.8, std=0.1),
            metric(SITE, "app.availability", 99.7, 94.3, std=0.1),
        ],
    )


def test_changed_caller_that_restarts_beats_the_database_it_floods() -> None:
    result = rank_root_causes(_stack(restarts=True))  # type: ignore[arg-type]
    assert result.ranked[0].entity_id == LIST
    assert result.category == "configuration"
    top = result.ranked[0]
    assert any("restarted 5×" in r for r in top.reasons)
    assert any("cfg-1" in r for r in top.reasons)
    # Restarts are trouble, not changes: none of them is credited as the change.
    assert not any("restart-" in r for r in top.reasons if "event " in r)
    db = next(r for r in result.ranked if r.entity_id == DB)
    assert any("likely a consequence" in r for r in db.counter_evidence)


def test_change_without_own_trouble_leaves_the_database_first() -> None:
    result = rank_root_causes(_stack(restarts=False))  # type: ignore[arg-type]
    assert result.ranked[0].entity_id == DB


BASIC, PRICE, STORE = "SERVICE-00000000000000E0", "SERVICE-00000000000000E1", "SERVICE-00000000000000E2"


def _client_failures(target: str, target_name: str, *, database: bool) -> object:
    return evidence(
        candidates=[
            svc(BASIC, "basic-service", calls=[target]),
            svc(target, target_name, called_by=[BASIC], is_database=database),
        ],
        traces=[
            traces("basic-service", failures=30, origins=30, client_origins=30, deps={target_name: 30}),
            traces(target_name),
        ],
    )


def test_healthy_service_blamed_by_failing_calls_is_a_code_fault() -> None:
    result = rank_root_causes(_client_failures(PRICE, "price-service", database=False))  # type: ignore[arg-type]
    assert result.ranked[0].entity_id == PRICE
    assert result.category == "code"


def test_database_blamed_by_failing_calls_stays_a_dependency() -> None:
    result = rank_root_causes(_client_failures(STORE, "orders-db", database=True))  # type: ignore[arg-type]
    assert result.ranked[0].entity_id == STORE
    assert result.category == "dependency"
