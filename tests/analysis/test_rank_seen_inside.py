"""Equal anomalies: the one whose callees were checked and found normal ranks first.

A load balancer or remote endpoint in front of a service shows the service's slowdown from
the caller's side; nothing is known about what sits behind it. When its anomaly scores the
same as the service's, the service (whose own callees are normal, so its trouble is its own)
is the better-supported root cause.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Evidence
from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.ranking import pipeline
from dynatrace_agent.analysis.ranking.conclude import conclude
from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.model import Analysis
from dynatrace_agent.analysis.ranking.propagation import seen_inside

from .scenarios import evidence, metric, svc

RT = "dt.service.request.response_time"
FRONT = "SERVICE-0000000000000001"
EDGE = "SERVICE-00000000000000A0"  # sorts before BACK: the id alone would put it first
BACK = "SERVICE-00000000000000B0"
STORE = "SERVICE-00000000000000C0"


def _case(store_slow: bool = False, edge_rise: float = 60_000.0) -> list[str]:
    ev = evidence(
        candidates=[
            svc(FRONT, "frontend", calls=[EDGE, BACK]),
            svc(EDGE, "search-lb.elb.amazonaws.com_remote"),
            svc(BACK, "search", calls=[STORE]),
            svc(STORE, "search-table"),
        ],
        metrics=[
            metric(FRONT, RT, 90_000, 140_000),
            metric(EDGE, RT, 14_000, edge_rise),
            metric(BACK, RT, 6_000, 25_000),
            metric(STORE, RT, 3_000, 9_000 if store_slow else 3_010),
        ],
    )
    return [r.entity_id for r in rank_root_causes(ev).ranked]


def test_the_service_with_normal_callees_beats_the_endpoint_seen_only_from_outside() -> None:
    ranked = _case()
    assert ranked[:2] == [BACK, EDGE]


def test_it_is_only_a_tie_break_a_stronger_anomaly_still_wins() -> None:
    # the endpoint's rise now far weaker than saturation would make equal: no tie to break
    ranked = _case(edge_rise=15_000)
    assert ranked[0] == BACK
    assert ranked.index(EDGE) > ranked.index(BACK)


def test_a_service_whose_callee_is_anomalous_is_not_seen_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    contexts: list[RankContext] = []

    def keep_context(evidence: Evidence, ctx: RankContext) -> Analysis:
        contexts.append(ctx)
        return conclude(evidence, ctx)

    monkeypatch.setattr(pipeline, "conclude", keep_context)
    _case(store_slow=True)
    [ctx] = contexts
    assert not seen_inside(ctx, BACK), "its callee is anomalous: its trouble may come from below"
    assert not seen_inside(ctx, EDGE), "no callees known: nothing is seen inside it"
    assert not seen_inside(ctx, STORE), "a leaf: nothing is seen inside it"
    assert not seen_inside(ctx, FRONT), "its callees are anomalous"
    contexts.clear()
    _case()
    [ctx] = contexts
    assert seen_inside(ctx, BACK), "its only callee is normal"
