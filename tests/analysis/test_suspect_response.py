"""A caller failing right after successful answers from one callee makes that callee a suspect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import TraceStats
from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.ranking.suspect_response import suspect_callee
from dynatrace_agent.analysis.signals import trace_stats

from .scenarios import START, WINDOW, change, evidence, svc

GATEWAY, BASIC, ROUTE, PRICE = "SERVICE-GW", "SERVICE-BASIC", "SERVICE-ROUTE", "SERVICE-PRICE"


def _span(
    trace: str, sid: str, parent: str | None, svc_id: str, minute: float, ms: float, status: int
) -> dict[str, Any]:
    start = START + timedelta(minutes=minute)
    return {
        "trace.id": trace,
        "span.id": sid,
        "span.parent_id": parent,
        "dt.entity.service": svc_id,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(milliseconds=ms)).isoformat(),
        "duration": str(int(ms * 1e6)),
        "http.response.status_code": status,
    }


def _trace(trace: str, minute: float, *, basic_fails: bool, calls: bool = True) -> list[dict[str, Any]]:
    """Gateway → basic; basic calls route then price (each answering 200), then answers itself."""
    code = 500 if basic_fails else 200
    spans = [
        _span(trace, f"{trace}-gw", None, GATEWAY, minute, 40.0, code),
        _span(trace, f"{trace}-basic", f"{trace}-gw", BASIC, minute + 0.00001, 30.0, code),
    ]
    if calls:
        spans.append(_span(trace, f"{trace}-route", f"{trace}-basic", ROUTE, minute + 0.00002, 5.0, 200))
        spans.append(_span(trace, f"{trace}-price", f"{trace}-basic", PRICE, minute + 0.0002, 5.0, 200))
    return spans


def _spans(*, incident_calls: bool) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    for i in range(10):
        spans += _trace(f"b{i}", -20.0 + i, basic_fails=False)
    for i in range(8):
        spans += _trace(f"i{i}", 2.0 + i, basic_fails=True, calls=incident_calls)
    return spans


def _by_service(stats: list[TraceStats]) -> dict[str, TraceStats]:
    return {t.service: t for t in stats}


def test_wrong_return_shape_names_the_last_successful_callee() -> None:
    stats = _by_service(trace_stats(_spans(incident_calls=True), WINDOW))
    outcomes = stats[BASIC].last_calls
    assert outcomes[PRICE].failing_traces == 8
    assert outcomes[PRICE].after_success == 8
    assert (outcomes[PRICE].baseline_calls, outcomes[PRICE].baseline_ok) == (10, 10)
    assert ROUTE not in outcomes  # never the last call
    found = suspect_callee(outcomes)
    assert found is not None and found[0] == PRICE


def test_exception_in_the_caller_before_any_call_stays_silent() -> None:
    stats = _by_service(trace_stats(_spans(incident_calls=False), WINDOW))
    assert suspect_callee(stats[BASIC].last_calls) is None


def test_answers_followed_by_failures_in_the_baseline_too_are_not_suspect() -> None:
    spans = _spans(incident_calls=True)
    for i in range(10):
        spans += _trace(f"bf{i}", -19.5 + i, basic_fails=True)
    stats = _by_service(trace_stats(spans, WINDOW))
    assert suspect_callee(stats[BASIC].last_calls) is None


def _rank(*extra_changes: Any) -> list[str]:
    ev = evidence(
        candidates=[
            svc(GATEWAY, "ts-ui-dashboard"),
            svc(BASIC, "ts-basic-service"),
            svc(ROUTE, "ts-route-service"),
            svc(PRICE, "ts-price-service"),
        ],
        traces=trace_stats(_spans(incident_calls=True), WINDOW),
        changes=list(extra_changes),
    )
    result = rank_root_causes(ev)
    ranked = [r.entity_id for r in result.ranked]
    price = next(r for r in result.ranked if r.entity_id == PRICE)
    assert "suspect_response" in price.signals
    assert price.category in {"code", "deployment"}
    return ranked


def test_suspect_callee_ranks_directly_below_the_failing_caller() -> None:
    assert _rank()[:2] == [BASIC, PRICE]


def test_suspect_callee_ranks_first_only_when_it_was_changed_and_the_caller_was_not() -> None:
    assert _rank(change("deploy-price", PRICE, minutes=-3.0))[0] == PRICE
    assert (
        _rank(change("deploy-price", PRICE, minutes=-3.0), change("deploy-basic", BASIC, minutes=-3.0))[0]
        == BASIC
    )
