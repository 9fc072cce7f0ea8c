"""The arithmetic every pass scores with: how a rise becomes a strength, how numbers read, how signals add up.

``ratio_strength`` turns a rise into 0..1 (log2 of the ratio over ``span`` doublings, nothing
below an absolute rise of ``min_abs`` or a ratio of 1.3, a rise from zero counted as 16×);
``fmt`` writes the numbers of reason sentences; ``combine`` adds signals as independent
weighted evidence, where a name without a weight adds nothing.
"""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.ranking.scoring import WEIGHTS, clamp, combine, fmt, ratio_strength

# --- ratio_strength ---------------------------------------------------------------------------


def test_a_rise_counts_as_log2_of_its_ratio_over_the_span() -> None:
    assert ratio_strength(10.0, 20.0, min_abs=1.0) == pytest.approx(0.5)  # one doubling of two
    assert ratio_strength(10.0, 20.0, min_abs=1.0, span=1.0) == pytest.approx(1.0)
    assert ratio_strength(10.0, 40.0, min_abs=1.0, span=4.0) == pytest.approx(0.5)
    assert ratio_strength(10.0, 400.0, min_abs=1.0) == 1.0  # capped


def test_the_absolute_rise_must_reach_min_abs() -> None:
    assert ratio_strength(10.0, 15.0, min_abs=5.0) == pytest.approx(0.2925, abs=1e-4)
    assert ratio_strength(10.0, 14.9, min_abs=5.0) == 0.0
    assert ratio_strength(10.0, 5.0, min_abs=1.0) == 0.0  # a fall is no rise


def test_the_ratio_must_reach_one_point_three() -> None:
    assert ratio_strength(10.0, 13.0, min_abs=1.0) == pytest.approx(0.1893, abs=1e-4)
    assert ratio_strength(100.0, 129.0, min_abs=1.0) == 0.0


def test_a_rise_from_zero_counts_as_sixteen_times() -> None:
    assert ratio_strength(0.0, 5.0, min_abs=1.0, span=8.0) == pytest.approx(0.5)
    assert ratio_strength(0.0, 5.0, min_abs=1.0) == 1.0
    assert ratio_strength(0.0, 0.5, min_abs=1.0) == 0.0  # still below min_abs


def test_an_unknown_value_is_no_rise() -> None:
    assert ratio_strength(None, 50.0, min_abs=1.0) == 0.0
    assert ratio_strength(10.0, None, min_abs=1.0) == 0.0


# --- fmt -----------------------------------------------------------------------------------------


def test_numbers_read_with_thousands_separated_or_three_significant_digits() -> None:
    assert fmt(None) == "n/a"
    assert fmt(None, " ms") == "n/a"
    assert fmt(1234.4, " ms") == "1,234 ms"
    assert fmt(250.0) == "250"
    assert fmt(12.345, "%") == "12.3%"
    assert fmt(0.012345) == "0.0123"
    assert fmt(5.0) == "5"
    assert fmt(-2500.0, " ms") == "-2,500 ms"


# --- combine and clamp -----------------------------------------------------------------------------


def test_signals_combine_as_independent_weighted_evidence() -> None:
    assert combine({}) == 0.0
    assert combine({"origin": 1.0}) == pytest.approx(WEIGHTS["origin"])
    both = combine({"origin": 1.0, "latency": 0.5})
    assert both == pytest.approx(1 - (1 - WEIGHTS["origin"]) * (1 - WEIGHTS["latency"] * 0.5))
    assert both < WEIGHTS["origin"] + WEIGHTS["latency"] * 0.5  # never a plain sum


def test_a_signal_without_a_weight_adds_nothing() -> None:
    assert combine({"no_such_signal": 1.0}) == 0.0
    assert combine({"no_such_signal": 1.0, "origin": 1.0}) == pytest.approx(WEIGHTS["origin"])


def test_a_strength_beyond_one_counts_as_one() -> None:
    assert combine({"origin": 3.0}) == pytest.approx(WEIGHTS["origin"])
    assert combine({"origin": -1.0}) == 0.0


def test_the_weights_order_what_they_exist_to_order() -> None:
    # a cut code path outranks the errors its callers log and their failure rate together
    assert combine({"path_cut": 1.0}) > combine({"logs": 1.0, "failure_rate": 1.0})
    # Davis's opinion alone is weak next to any deviation the data shows
    assert combine({"davis": 1.0}) < combine({"failure_rate": 1.0})
    # a change shortly before the start adds to a deviation, it does not replace one
    assert combine({"change": 1.0}) < combine({"origin": 1.0, "change": 1.0})


def test_clamp_limits_to_the_range() -> None:
    assert clamp(1.5) == 1.0
    assert clamp(-0.5) == 0.0
    assert clamp(0.4) == 0.4
    assert clamp(5.0, 1.0, 3.0) == 3.0
