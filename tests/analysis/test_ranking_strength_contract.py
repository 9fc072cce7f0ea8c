"""How strongly a metric deviation counts: the thresholds both the metric pass and discovery rely on.

A deviation counts from z 3 and a 20 % change (availability-like metrics: falling by z 3 and
2 %), rising with z (``z/8 + 0.25``, capped at 1); a count must rise by at least one per two
intervals; a brief blip counts less than a sustained move; a host is saturated from 80 %
utilisation; an availability drop is read as a share of requests lost.
"""

from __future__ import annotations

from typing import Any

import pytest

from dynatrace_agent.analysis.evidence import MetricDeviation
from dynatrace_agent.analysis.ranking.strength import (
    availability_loss,
    deviation_strength,
    metric_strength,
    persistence,
    saturated_level,
)

from .scenarios import metric


def _dev(key: str = "app.latency", *, z: float | None, rel: float | None, **update: Any) -> MetricDeviation:
    """A deviation with the given z-score and relative change (means 100 → 150 unless updated)."""
    base = metric("SERVICE-A", key, 100.0, 150.0)
    return base.model_copy(update={"z_score": z, "relative_change": rel, **update})


# --- metric_strength: z 3 and 20 % ----------------------------------------------------------


def test_a_deviation_counts_from_z_three_and_twenty_percent_inclusive() -> None:
    assert metric_strength(_dev(z=3.0, rel=0.2)) == pytest.approx(0.625)
    assert metric_strength(_dev(z=2.99, rel=0.5)) == 0.0
    assert metric_strength(_dev(z=5.0, rel=0.19)) == 0.0
    assert metric_strength(_dev(z=2.0, rel=0.1)) == 0.0


def test_strength_rises_with_z_and_is_capped_at_one() -> None:
    assert metric_strength(_dev(z=3.9, rel=0.5)) == pytest.approx(3.9 / 8 + 0.25)
    assert metric_strength(_dev(z=4.0, rel=0.5)) == pytest.approx(0.75)
    assert metric_strength(_dev(z=6.0, rel=0.5)) == pytest.approx(1.0)
    assert metric_strength(_dev(z=40.0, rel=0.5)) == 1.0


def test_the_relative_change_threshold_can_be_raised_by_the_caller() -> None:
    assert metric_strength(_dev(z=4.0, rel=0.3)) == pytest.approx(0.75)  # default 20 %
    assert metric_strength(_dev(z=4.0, rel=0.3), min_rel=0.5) == 0.0


def test_an_unknown_z_or_change_counts_nothing() -> None:
    assert metric_strength(_dev(z=None, rel=0.5)) == 0.0
    assert metric_strength(_dev(z=5.0, rel=None)) == 0.0


# --- deviation_strength: counts, availability-like metrics, persistence -----------------------


def _count(
    base: float, inc: float, *, key: str = "app.errors.Total", kind: str = "failure"
) -> MetricDeviation:
    return metric("SERVICE-A", key, base, inc).model_copy(update={"kind": kind})


def test_a_count_must_rise_by_half_a_unit_per_interval() -> None:
    assert deviation_strength(_count(0.0, 0.5)) > 0.0  # exactly one per two intervals
    assert deviation_strength(_count(0.0, 1.2)) > 0.0
    assert deviation_strength(_count(0.3, 0.7)) == 0.0  # a big relative jump of a fraction of one
    assert deviation_strength(_count(0.1, 0.5)) == 0.0  # "Total" matches whatever its case
    assert deviation_strength(_count(0.1, 0.4, key="app.requests.count", kind="throughput")) == 0.0


def test_the_count_rule_is_only_for_counts_of_failures_and_requests() -> None:
    assert deviation_strength(_count(0.1, 0.4, key="app.failure.ratio")) > 0.0  # a rate, not a count
    assert deviation_strength(_count(0.1, 0.4, kind="other")) > 0.0


def _availability(z: float | None, rel: float | None, **update: Any) -> MetricDeviation:
    return _dev("app.availability", z=z, rel=rel, kind="availability", **update)


def test_an_availability_like_metric_counts_when_it_falls_by_z_three_and_two_percent() -> None:
    assert deviation_strength(_availability(-3.0, -0.02)) == pytest.approx(0.625)
    assert deviation_strength(_availability(-4.0, -0.5)) == pytest.approx(0.75)
    assert deviation_strength(_availability(-12.0, -0.5)) == 1.0
    assert deviation_strength(_availability(-2.9, -0.5)) == 0.0  # not far enough in z
    assert deviation_strength(_availability(-10.0, -0.01)) == 0.0  # less than 2 % down
    assert deviation_strength(_availability(5.0, 0.1)) == 0.0  # availability rising is no trouble
    assert deviation_strength(_availability(None, -0.5)) == 0.0
    assert deviation_strength(_availability(-5.0, None)) == 0.0


@pytest.mark.parametrize("key", ["app.success.rate", "web.apdex", "host.Uptime"])
def test_success_apdex_and_uptime_read_like_availability(key: str) -> None:
    assert deviation_strength(_dev(key, z=-4.0, rel=-0.1)) == pytest.approx(0.75)
    assert deviation_strength(_dev(key, z=4.0, rel=0.5)) == 0.0


def test_a_brief_blip_counts_less_than_a_sustained_move_in_both_directions() -> None:
    blip: dict[str, Any] = {"incident_persistence": 0.25, "incident_points": 30}
    assert deviation_strength(_availability(-4.0, -0.5, **blip)) == pytest.approx(0.75 * 0.65)
    assert deviation_strength(_dev(z=4.0, rel=0.5, **blip)) == pytest.approx(0.75 * 0.65)


def test_persistence_weighs_the_share_of_points_beyond_three_deviations() -> None:
    def p(share: float | None, points: int = 30) -> float:
        return persistence(_dev(z=4.0, rel=0.5, incident_persistence=share, incident_points=points))

    assert p(None) == 1.0  # unknown: counts fully
    assert p(0.0) == pytest.approx(0.3)
    assert p(0.25) == pytest.approx(0.65)
    assert p(0.5) == pytest.approx(1.0)  # half the points is sustained
    assert p(1.0) == pytest.approx(1.0)
    assert p(0.25, points=3) == pytest.approx(0.65)  # three points are enough to judge
    assert p(0.25, points=2) == 1.0  # two are not


# --- saturated_level: 80 % ---------------------------------------------------------------------


def _usage(
    key: str = "host.cpu.usage",
    *,
    kind: str = "cpu",
    unit: str | None = "percent",
    peak: float | None,
    mean: float,
) -> MetricDeviation:
    return _dev(key, z=5.0, rel=0.5, kind=kind, unit=unit, incident_max=peak, incident_mean=mean)


def test_a_host_is_saturated_from_eighty_percent() -> None:
    assert saturated_level(_usage(peak=80.0, mean=60.0)) is True
    assert saturated_level(_usage(peak=79.9, mean=60.0)) is False


def test_the_peak_is_the_incident_maximum_else_the_mean() -> None:
    assert saturated_level(_usage(peak=85.0, mean=60.0)) is True
    assert saturated_level(_usage(peak=60.0, mean=85.0)) is False
    assert saturated_level(_usage(peak=None, mean=85.0)) is True
    assert saturated_level(_usage(peak=None, mean=60.0)) is False


@pytest.mark.parametrize(("kind", "key"), [("memory", "host.mem.usage"), ("disk", "host.disk.used.percent")])
def test_memory_and_disk_in_percent_need_eighty_percent_too(kind: str, key: str) -> None:
    assert saturated_level(_usage(key, kind=kind, peak=50.0, mean=40.0)) is False
    assert saturated_level(_usage(key, kind=kind, peak=90.0, mean=40.0)) is True


def test_percent_is_read_from_the_unit_or_without_one_from_the_key() -> None:
    assert saturated_level(_usage(unit="%", peak=50.0, mean=40.0)) is False
    assert saturated_level(_usage(unit="Percent", peak=50.0, mean=40.0)) is False
    assert saturated_level(_usage(unit=None, peak=50.0, mean=40.0)) is False  # "usage" in the key
    assert saturated_level(_usage("host.cpu.util", unit=None, peak=50.0, mean=40.0)) is False


def test_other_units_and_other_kinds_are_trusted() -> None:
    assert saturated_level(_usage(unit="millicores", peak=50.0, mean=40.0)) is True
    assert saturated_level(_usage("host.cpu.seconds", unit=None, peak=50.0, mean=40.0)) is True
    assert saturated_level(_usage("app.errors.percent", kind="failure", peak=5.0, mean=4.0)) is True
    assert saturated_level(_usage("app.other.usage", kind="other", peak=5.0, mean=4.0)) is True


def test_starvation_metrics_count_as_saturated_at_any_level() -> None:
    assert saturated_level(_usage("container.cpu.throttled.percent", peak=10.0, mean=5.0)) is True
    assert saturated_level(_usage("host.cpu.steal.usage", peak=10.0, mean=5.0)) is True
    assert saturated_level(_usage("host.cpu.iowait.usage", peak=10.0, mean=5.0)) is True


# --- availability_loss ---------------------------------------------------------------------------


def _avail(base: float | None, inc: float | None) -> MetricDeviation:
    return _dev("app.availability", z=-5.0, rel=-0.1, baseline_mean=base, incident_mean=inc)


def test_availability_loss_is_the_share_of_requests_lost_in_percent_or_fraction() -> None:
    assert availability_loss(_avail(99.9, 89.9)) == pytest.approx(0.1)
    assert availability_loss(_avail(2.0, 1.0)) == pytest.approx(0.01)  # still percent
    assert availability_loss(_avail(0.999, 0.899)) == pytest.approx(0.1)
    assert availability_loss(_avail(1.0, 0.25)) == pytest.approx(0.75)


def test_availability_loss_is_zero_for_a_rise_or_unknown_means() -> None:
    assert availability_loss(_avail(90.0, 99.0)) == 0.0
    assert availability_loss(_avail(None, 50.0)) == 0.0
    assert availability_loss(_avail(99.0, None)) == 0.0
    assert availability_loss(_avail(100.0, -50.0)) == 1.0  # capped at everything lost
