"""Failures named by error logs, and the deepest failing span found through healthy spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dynatrace_agent.analysis import Window
from dynatrace_agent.analysis.ranking.trace_signals import _minutes
from dynatrace_agent.analysis.signals.span_stats import trace_stats
from graphs.investigation.nodes.trace_evidence import mark_logged_failures

T0 = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
WINDOW = Window(
    baseline_start=T0 - timedelta(hours=1),
    baseline_end=T0,
    incident_start=T0,
    incident_end=T0 + timedelta(minutes=30),
)


def _span(
    sid: str, parent: str | None, service: str, kind: str, at: datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "trace.id": "t1",
        "span.id": sid,
        "span.parent_id": parent,
        "span.name": sid,
        "span.kind": kind,
        "start_time": at.isoformat().replace("+00:00", "Z"),
        "duration": 10_000_000,
        "dt.entity.service": service,
        **extra,
    }


def _chain(at: datetime) -> list[dict[str, Any]]:
    """front (server) -> front (client) -> middle (server) -> middle (client) -> deep (server)."""
    return [
        _span("a", None, "SERVICE-FRONT", "server", at),
        _span("b", "a", "SERVICE-FRONT", "client", at),
        _span("c", "b", "SERVICE-MIDDLE", "server", at),
        _span("d", "c", "SERVICE-MIDDLE", "client", at),
        _span("e", "d", "SERVICE-DEEP", "server", at),
    ]


def test_error_logs_mark_the_spans_they_name_and_only_those() -> None:
    spans = _chain(T0 + timedelta(minutes=1))
    spans[0]["request.is_failed"] = False  # the span's own word wins
    marked = mark_logged_failures(spans, {"a", "c", "e"})
    assert [s.get("request.is_failed") for s in marked] == [False, None, True, None, True]
    assert marked[2]["failure.source"] == "error log"
    assert spans[2].get("request.is_failed") is None  # input untouched


def test_the_deepest_failing_span_is_the_origin_even_with_healthy_spans_between() -> None:
    # Callers log the error they relay; healthy client/server spans sit between them.
    spans = mark_logged_failures(_chain(T0 + timedelta(minutes=1)), {"a", "c", "e"})
    stats = {t.service: t for t in trace_stats(spans, WINDOW)}
    assert stats["SERVICE-DEEP"].incident.failure_origins == 1
    assert stats["SERVICE-MIDDLE"].incident.failure_origins == 0
    assert stats["SERVICE-FRONT"].incident.failure_origins == 0


def test_a_caller_failing_on_its_own_is_still_an_origin() -> None:
    spans = mark_logged_failures(_chain(T0 + timedelta(minutes=1)), {"a"})
    stats = {t.service: t for t in trace_stats(spans, WINDOW)}
    assert stats["SERVICE-FRONT"].incident.failure_origins == 1


def test_rates_use_the_minutes_that_hold_data() -> None:
    assert _minutes(120.0, None) == 120.0
    assert _minutes(120.0, 3.0) == 3.0
    assert _minutes(120.0, 0.2) == 1.0  # never divide by almost nothing
    assert _minutes(10.0, 30.0) == 10.0
