"""Noisy neighbour: on a saturated host, the process whose own use rose is the cause, its neighbours victims.

On a host with resource trouble of its own, a resident whose own resource signal is at least
0.3 is a culprit: it says which neighbours it shares the host with, gets the resource hint
and a ``neighbour`` signal as strong as the worst victim. The other residents' symptoms are
halved and explained by the first culprit; the host's own resource signal drops to 0.6 of it
and names the culprits. Without a culprit, a resident whose own process was measured and is
not saturated only has its latency halved, and if it is starved the host gets the
``neighbour`` signal; residents nothing was measured about are left alone.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Candidate
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.hosts import host_signals

from .scenarios import evidence, svc

HOST, A, B, C = "HOST-0000000000000001", "SERVICE-A", "SERVICE-B", "SERVICE-C"
EXPLAINED = ("latency", "resource", "logs", "failure_rate", "failure_metric", "davis_evidence")


def _ctx(
    *residents: Candidate, host_resource: float = 0.8, own: dict[str, float] | None = None
) -> RankContext:
    candidates = [svc(HOST, "host-1", type="HOST"), *residents]
    ctx = RankContext(
        evidence=evidence(candidates=candidates),
        index=CandidateIndex(candidates),
        states={c.entity_id: CandidateState(candidate=c) for c in candidates},
        scale=1.0,
    )
    ctx.own_resource = {HOST: host_resource, **(own or {})}
    return ctx


def _on_host(entity_id: str, name: str, **kw: object) -> Candidate:
    return svc(entity_id, name, hosts=[HOST], **kw)


def test_the_process_whose_own_use_rose_is_the_noisy_neighbour() -> None:
    ctx = _ctx(_on_host(A, "batch"), _on_host(B, "web"), own={A: 0.5, B: 0.1})
    culprit, victim, host = ctx.states[A], ctx.states[B], ctx.states[HOST]
    victim.signals.update({name: 0.6 for name in EXPLAINED})
    victim.signals["network"] = 0.6
    suffering = victim.deviation()
    host_signals(ctx)
    assert culprit.reasons == ["its own resource use rose on host host-1, which it shares with web"]
    assert culprit.hints == {"resource": 1.0}
    assert culprit.signals["neighbour"] == pytest.approx(suffering)
    for name in EXPLAINED:
        assert victim.signals[name] == pytest.approx(0.3), name
    assert victim.signals["network"] == 0.6
    assert victim.explained_by == [A]
    assert victim.counter == ["its own process is not saturated; host host-1 is saturated by batch"]
    assert host.signals["resource"] == pytest.approx(0.48)
    assert host.counter == ["its saturation is driven by batch"]


def test_own_use_counts_as_the_cause_from_three_tenths() -> None:
    at = _ctx(_on_host(A, "batch"), _on_host(B, "web"), own={A: 0.3})
    host_signals(at)
    assert at.states[A].hints == {"resource": 1.0}
    assert at.states[B].explained_by == [A]
    below = _ctx(_on_host(A, "batch"), _on_host(B, "web"), own={A: 0.29})
    host_signals(below)
    assert below.states[A].hints == {}
    assert below.states[B].explained_by == []
    assert below.states[HOST].counter == [] and "resource" not in below.states[HOST].signals


def test_a_culprit_without_suffering_neighbours_gets_no_neighbour_signal() -> None:
    ctx = _ctx(_on_host(A, "batch"), own={A: 0.5})
    host_signals(ctx)
    assert ctx.states[A].reasons == [
        "its own resource use rose on host host-1, which it shares with other processes"
    ]
    assert "neighbour" not in ctx.states[A].signals


def test_the_culprit_names_at_most_three_neighbours_and_the_host_two_culprits() -> None:
    residents = [_on_host(f"SERVICE-{i}", f"svc-{i}") for i in range(7)]
    own = {"SERVICE-0": 0.5, "SERVICE-1": 0.6, "SERVICE-2": 0.7}
    ctx = _ctx(*residents, own=own)
    host_signals(ctx)
    assert ctx.states["SERVICE-0"].reasons == [
        "its own resource use rose on host host-1, which it shares with svc-3, svc-4, svc-5"
    ]
    assert ctx.states[HOST].counter == ["its saturation is driven by svc-0, svc-1"]
    assert ctx.states["SERVICE-3"].explained_by == ["SERVICE-0"]
    assert ctx.states["SERVICE-3"].counter == [
        "its own process is not saturated; host host-1 is saturated by svc-0, svc-1"
    ]


def test_without_a_culprit_a_measured_unsaturated_process_is_only_slowed_by_its_host() -> None:
    ctx = _ctx(_on_host(A, "web"), _on_host(B, "api"), own={A: 0.1})
    ctx.resource_seen = {A, B}
    a = ctx.states[A]
    a.signals.update({"latency": 0.6, "logs": 0.6})
    ctx.states[B].signals["latency"] = 0.4
    host_signals(ctx)
    assert a.signals == {"latency": pytest.approx(0.3), "logs": 0.6}
    assert a.explained_by == []
    assert a.counter == ["runs on host host-1, which is saturated; its own process is not"]
    assert "neighbour" not in ctx.states[HOST].signals  # not starved: no neighbour signal


def test_a_starved_process_makes_the_host_its_noisy_neighbour() -> None:
    ctx = _ctx(_on_host(A, "web"), _on_host(B, "api"))
    ctx.resource_seen = {A, B}
    ctx.starved = {A: 0.5}
    ctx.states[A].signals.update({"latency": 0.8, "origin": 0.6})
    ctx.states[B].signals["latency"] = 1.0
    host_signals(ctx)
    expected = ctx.states[A].deviation()  # after its own latency was halved
    assert ctx.states[HOST].signals["neighbour"] == pytest.approx(expected)
    assert ctx.states[B].signals["latency"] == pytest.approx(0.5)


def test_a_process_measured_through_its_process_group_counts_as_measured() -> None:
    pg = "PROCESS_GROUP-0000000000000009"
    ctx = _ctx(
        _on_host(A, "web", process_groups=[pg.lower()]),
        _on_host(B, "api", process_groups=["PROCESS_GROUP-X"]),
    )
    ctx.states[pg] = CandidateState(candidate=svc(pg, "web-pg", type="PROCESS_GROUP"))
    ctx.index.add(ctx.states[pg].candidate)
    ctx.resource_seen = {pg, "PROCESS_GROUP-X"}
    for cid in (A, B):
        ctx.states[cid].signals["latency"] = 0.6
    host_signals(ctx)
    assert ctx.states[A].signals["latency"] == pytest.approx(0.3)  # the group it resolves to
    assert ctx.states[B].signals["latency"] == pytest.approx(0.3)  # by its raw id


def test_a_process_nothing_was_measured_about_is_left_alone() -> None:
    ctx = _ctx(_on_host(A, "web"))
    ctx.states[A].signals["latency"] = 0.6
    host_signals(ctx)
    assert ctx.states[A].signals["latency"] == 0.6
    assert ctx.states[A].counter == []


@pytest.mark.parametrize("measured", [True, False])
def test_a_host_without_resource_trouble_of_its_own_changes_nothing(measured: bool) -> None:
    ctx = _ctx(_on_host(A, "batch"), _on_host(B, "web"), host_resource=0.0, own={A: 0.9})
    if not measured:
        del ctx.own_resource[HOST]
    ctx.states[B].signals["latency"] = 0.6
    host_signals(ctx)
    assert ctx.states[A].hints == {} and ctx.states[A].reasons == []
    assert ctx.states[B].signals["latency"] == 0.6
