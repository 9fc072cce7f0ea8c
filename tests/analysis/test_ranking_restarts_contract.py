"""Restart events: a process that keeps crashing has resource trouble of its own.

An "other" event whose type or name says restart, OOM kill, out of memory, crash loop,
eviction, exit code 137 or killed, on the candidate or one of its process groups, from 15
minutes before the problem to 120 minutes into it, counts: ``resource`` of 0.3 + 0.15 per
restart (at most 1), a reason with the count and the first event's text, and a change
evidence item citing up to five of the events.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dynatrace_agent.analysis.evidence import Candidate, ChangeEvent
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.restarts import is_restart, restart_signals

from .scenarios import START, evidence, svc

LIST, OTHER, PG = "SERVICE-LIST", "SERVICE-OTHER", "PROCESS_GROUP-0000000000000007"


def _event(
    i: int,
    entity: str = LIST,
    minutes: float | None = 1.0,
    *,
    name: str = "Container list OOMKilled",
    event_type: str = "PROCESS_RESTART",
    kind: str = "other",
) -> ChangeEvent:
    return ChangeEvent(
        event_id=f"restart-{i}",
        event_type=event_type,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        entity_ids=[entity],
        timestamp=None if minutes is None else START + timedelta(minutes=minutes),
        minutes_from_start=minutes,
        source=f"fetch events #{i}",
    )


def _ctx(changes: list[ChangeEvent], *candidates: Candidate) -> RankContext:
    cands = list(candidates) or [svc(LIST, "list"), svc(OTHER, "other")]
    return RankContext(
        evidence=evidence(candidates=cands),
        index=CandidateIndex(cands),
        states={c.entity_id: CandidateState(candidate=c) for c in cands},
        scale=1.0,
        changes=changes,
    )


def _resource(changes: list[ChangeEvent], entity: str = LIST) -> float | None:
    ctx = _ctx(changes)
    restart_signals(ctx)
    return ctx.states[entity].signals.get("resource")


@pytest.mark.parametrize(
    ("event_type", "name"),
    [
        ("PROCESS_RESTART", ""),
        ("CUSTOM_INFO", "Container cart OOMKilled"),
        ("CUSTOM_INFO", "oom-kill of pid 42"),
        ("CUSTOM_INFO", "java.lang.OutOfMemoryError: Out of memory"),
        ("K8S_EVENT", "Back-off restarting: CrashLoopBackOff"),
        ("K8S_EVENT", "Pod evicted: node pressure"),
        ("CUSTOM_INFO", "container exited with exit code 137"),
        ("CUSTOM_INFO", "worker killed by the supervisor"),
    ],
)
def test_restarts_kills_and_evictions_are_restarts(event_type: str, name: str) -> None:
    assert is_restart(_event(1, name=name, event_type=event_type)) is True


def test_deployments_and_unrelated_events_are_not_restarts() -> None:
    assert is_restart(_event(1, name="deployment restarts the pods", kind="deployment")) is False
    assert is_restart(_event(1, name="config reloaded", kind="configuration")) is False
    assert is_restart(_event(1, name="cache warmed", event_type="CUSTOM_INFO")) is False


def test_each_restart_adds_to_the_resource_trouble_up_to_one() -> None:
    assert _resource([_event(1)]) == pytest.approx(0.45)
    assert _resource([_event(i) for i in range(2)]) == pytest.approx(0.6)
    assert _resource([_event(i) for i in range(4)]) == pytest.approx(0.9)
    assert _resource([_event(i) for i in range(5)]) == 1.0


def test_restarts_count_from_fifteen_minutes_before_to_two_hours_into_the_problem() -> None:
    assert _resource([_event(1, minutes=-15.0)]) == pytest.approx(0.45)
    assert _resource([_event(1, minutes=120.0)]) == pytest.approx(0.45)
    assert _resource([_event(1, minutes=-15.1)]) is None
    assert _resource([_event(1, minutes=120.1)]) is None
    assert _resource([_event(1, minutes=None)]) is None


def test_only_the_candidates_own_restarts_count_by_id_or_process_group_in_any_case() -> None:
    changes = [_event(1, OTHER), _event(2, PG.lower()), _event(3, LIST.lower())]
    ctx = _ctx(
        changes, svc(LIST, "list", process_groups=[PG]), svc(OTHER, "other"), svc("SERVICE-Q", "quiet")
    )
    restart_signals(ctx)
    assert ctx.states[LIST].signals == {"resource": pytest.approx(0.6)}
    assert ctx.states[OTHER].signals == {"resource": pytest.approx(0.45)}
    assert ctx.states["SERVICE-Q"].signals == {}
    assert ctx.states["SERVICE-Q"].evidence == []


def test_the_reason_and_evidence_cite_the_restarts() -> None:
    changes = [_event(i, minutes=float(i)) for i in range(7)]
    changes.insert(0, _event(99, name="cache warmed", event_type="CUSTOM_INFO"))  # not a restart
    ctx = _ctx(changes)
    restart_signals(ctx)
    st = ctx.states[LIST]
    assert st.reasons == ["restarted 7× during the problem: “Container list OOMKilled”"]
    (item,) = st.evidence
    assert item.kind == "change"
    assert item.summary == "7 restart events on list"
    assert item.entity_id == LIST
    assert item.source == "fetch events #0"
    assert item.records == ["restart-0", "restart-1", "restart-2", "restart-3", "restart-4"]


def test_the_reason_quotes_the_event_type_without_a_name_and_at_most_120_characters() -> None:
    ctx = _ctx([_event(1, name="")])
    restart_signals(ctx)
    assert ctx.states[LIST].reasons == ["restarted 1× during the problem: “PROCESS_RESTART”"]
    long_name = "Container list OOMKilled " + "x" * 200
    ctx = _ctx([_event(1, name=long_name)])
    restart_signals(ctx)
    assert ctx.states[LIST].reasons == [f"restarted 1× during the problem: “{long_name[:120]}”"]
