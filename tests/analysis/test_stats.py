"""Tests of the pure statistics helpers."""

from __future__ import annotations

from typing import Any

import pytest

from dynatrace_agent.analysis.stats import (
    failure_origins,
    message_pattern,
    percentile,
    span_duration_ms,
    span_failed,
    span_service,
)


class TestPercentile:
    def test_linear_interpolation(self) -> None:
        assert percentile([1, 2, 3, 4], 50) == 2.5
        assert percentile([10, 20, 30, 40, 50], 90) == pytest.approx(46.0)

    def test_bounds_and_unsorted_input(self) -> None:
        assert percentile([5, 1, 3], 0) == 1
        assert percentile([5, 1, 3], 100) == 5
        assert percentile([5, 1, 3], 150) == 5

    def test_empty_and_single(self) -> None:
        assert percentile([], 50) is None
        assert percentile([7.0], 99) == 7.0

    def test_ignores_non_finite(self) -> None:
        assert percentile([float("nan"), 2.0, float("inf"), 4.0], 50) == 3.0


class TestMessagePattern:
    def test_replaces_variable_parts(self) -> None:
        text = (
            'Connection refused to 10.0.0.3:5432 for user "bob" order '
            "3fa85f64-5717-4562-b3fc-2c963f66afa6 after 123 ms trace abcdef0123456789 by a.b@example.com"
        )
        assert message_pattern(text) == (
            "Connection refused to <ip> for user <str> order <id> after <num> ms trace <id> by <email>"
        )

    def test_same_message_with_other_values_groups_together(self) -> None:
        a = message_pattern("Timeout after 3000 ms calling SERVICE-9A1B2C3D4E5F6071")
        b = message_pattern("Timeout  after 15 ms calling SERVICE-0F1E2D3C4B5A6978")
        assert a == b == "Timeout after <num> ms calling <id>"

    def test_keeps_words_with_digits(self) -> None:
        assert message_pattern("db2 error on node-7 code=0x1F") == "db2 error on node-<num> code=<id>"

    def test_caps_length_and_tolerates_non_text(self) -> None:
        assert len(message_pattern("word " * 200)) == 200
        assert message_pattern(None) == ""  # type: ignore[arg-type]


def test_span_service_prefers_entity_id() -> None:
    assert span_service({"dt.entity.service": "SERVICE-1", "service.name": "a"}) == "SERVICE-1"
    assert span_service({"service.name": "a"}) == "a"
    assert span_service({"dt.entity.service": " ", "service.name": None}) is None


@pytest.mark.parametrize(
    ("span", "failed"),
    [
        ({"request.is_failed": True}, True),
        ({"request.is_failed": "true"}, True),
        ({"request.is_failed": "false"}, False),
        ({"http.response.status_code": "503"}, True),
        ({"http.response.status_code": 404}, False),
        ({"span.status_code": "error"}, True),
        ({"span.status_code": "ok"}, False),
        ({}, False),
    ],
)
def test_span_failed(span: dict[str, Any], failed: bool) -> None:
    assert span_failed(span) is failed


def test_span_duration() -> None:
    assert span_duration_ms({"duration": 2_500_000}) == 2.5
    assert span_duration_ms({"duration": "1000000"}) == 1.0
    assert span_duration_ms(
        {"start_time": "2025-03-04T10:00:00Z", "end_time": "2025-03-04T10:00:00.250Z"}
    ) == pytest.approx(250.0)
    assert span_duration_ms({"duration": "garbage"}) is None


def _span(trace: str, sid: str, parent: str | None, service: str, failed: bool) -> dict[str, Any]:
    return {
        "trace.id": trace,
        "span.id": sid,
        "span.parent_id": parent,
        "dt.entity.service": service,
        "request.is_failed": failed,
    }


def test_failure_origin_is_deepest_failing_span() -> None:
    spans = [
        # trace 1: frontend -> checkout -> payment; payment fails and both callers relay it.
        _span("t1", "a", None, "frontend", True),
        _span("t1", "b", "a", "checkout", True),
        _span("t1", "c", "b", "payment", True),
        # trace 2: checkout fails by itself; payment is healthy.
        _span("t2", "a", None, "frontend", True),
        _span("t2", "b", "a", "checkout", True),
        _span("t2", "c", "b", "payment", False),
        # trace 3: payment fails twice in one trace: counted once.
        _span("t3", "a", None, "frontend", True),
        _span("t3", "b", "a", "payment", True),
        _span("t3", "c", "a", "payment", True),
        # trace 4: healthy.
        _span("t4", "a", None, "frontend", False),
    ]
    assert failure_origins(spans) == {"payment": 2, "checkout": 1}


def test_failure_origins_ignores_spans_without_trace() -> None:
    assert failure_origins([{"span.id": "x", "request.is_failed": True, "service.name": "a"}]) == {}
