"""Payload helpers stated exactly: the redelivery hash and timestamp normalisation.

A redelivered notification must hash the same whatever its key order or spacing (or it is
investigated twice), and Dynatrace sends times in seconds, milliseconds or nanoseconds
depending on the template; both are pinned here.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime

import pytest

from dynatrace_agent.webhook.payloads import _epoch_ms, body_hash


def test_body_hash_is_sha256_of_the_sorted_compact_json() -> None:
    body = {"state": "OPEN", "pid": "P-1", "title": "Défaillance ✓", "n": 3}
    canonical = '{"n":3,"pid":"P-1","state":"OPEN","title":"Défaillance ✓"}'
    assert body_hash(body) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_body_hash_ignores_key_order_and_depends_on_every_value() -> None:
    a = {"pid": "P-1", "state": "OPEN", "nested": {"x": 1, "y": [1, 2]}}
    b = {"nested": {"y": [1, 2], "x": 1}, "state": "OPEN", "pid": "P-1"}
    assert body_hash(a) == body_hash(b)
    assert body_hash({**a, "state": "open"}) != body_hash(a)
    assert body_hash({**a, "nested": {"x": 1, "y": [2, 1]}}) != body_hash(a)
    assert len(body_hash({})) == 64


def test_body_hash_accepts_values_json_cannot_encode_and_lone_surrogates() -> None:
    assert body_hash({"when": math.pi, "odd": {1, 2} and "set"}) == body_hash({"odd": "set", "when": math.pi})
    when = datetime(2025, 3, 4, 10, 15, tzinfo=UTC)
    assert body_hash({"at": when}) == body_hash({"at": str(when)})  # encoded as its text, not an error
    assert body_hash({"text": "\ud800"}) != body_hash({"text": "\udc00"})


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        (1741083300000, 1741083300000),  # milliseconds
        (1741083300, 1741083300000),  # seconds
        (1741083300.5, 1741083300500),
        ("1741083300000", 1741083300000),
        (" 1741083300 ", 1741083300000),
        (1741083300000000000, 1741083300000),  # nanoseconds
        (99_999_999_999, 99_999_999_999_000),  # just below 1e11: seconds
        (100_000_000_000, 100_000_000_000),  # 1e11: milliseconds
        (1741083300000000, 1741083300000),  # microseconds
        (99_999_999_999_999, 99_999_999_999_999),  # below 1e14: milliseconds
    ],
)
def test_epoch_values_become_milliseconds(value: object, ms: int) -> None:
    assert _epoch_ms(value) == ms


@pytest.mark.parametrize(
    "value", [None, True, False, 0, -1, "-1", "soon", "", 1e20, math.inf, math.nan, [1], {"t": 1}]
)
def test_unusable_epoch_values_are_none(value: object) -> None:
    assert _epoch_ms(value) is None
