"""The problem a tenant would raise for a PetShop issue: when the alerted metric leaves its baseline.

Davis raises a problem when a service's response time or failure rate leaves its learned
baseline, which happens after the change that caused it, and at the end of a measured bucket
(the data must be in). So the problem starts at the end of the first bucket, at or after the
injection, whose value crosses the threshold learned from the baseline buckets:

* latency: above mean + max(3 sigma, 10 % of the mean) -- the relative floor keeps a very steady
  baseline from alerting on noise;
* availability: below the lowest baseline value and below mean - 3 sigma.

When the scenario has no fault-free file (large files may be missing from a download), the
issue's own buckets before the injection are the baseline, and the case says so in ``source``.
The problem closes at the end of the first later bucket that is back within the threshold.
An issue whose metric never crosses gets no problem: a tenant would not have alerted, so the
importer skips it with that reason.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

__all__ = ["Detection", "NoAlert", "detect"]

_MIN_BASELINE = 3
_SIGMAS = 3.0
_RELATIVE_FLOOR = 0.10


class NoAlert(Exception):
    """The target metric never crossed its threshold (or had no baseline): no problem to raise."""


@dataclass(frozen=True)
class Detection:
    """Where the problem starts and ends on the case grid, and the figures behind it."""

    first_bucket: int
    last_bucket: int | None  # the last abnormal bucket when the metric recovered, else None
    threshold: float
    baseline_mean: float
    peak: float
    baseline_source: str  # "noissue" or "pre-change"


def _threshold(metric: str, values: list[float]) -> float:
    mean = statistics.fmean(values)
    sigma = statistics.pstdev(values) if len(values) > 1 else 0.0
    if metric == "latency":
        return mean + max(_SIGMAS * sigma, _RELATIVE_FLOOR * mean)
    return min(min(values), mean - _SIGMAS * sigma)


def _abnormal(metric: str, value: float | None, threshold: float) -> bool:
    if value is None:
        return False
    return value > threshold if metric == "latency" else value < threshold


def detect(
    metric: str,
    values: list[float | None],
    baseline_buckets: int,
    first_candidate: int,
) -> Detection:
    """Find the alert in ``values`` (baseline buckets first).

    Buckets before ``first_candidate`` end before the change: they can be a baseline, not the alert.
    """
    baseline = [v for v in values[:baseline_buckets] if v is not None]
    source = "noissue"
    if len(baseline) < _MIN_BASELINE:
        baseline = [v for v in values[baseline_buckets:first_candidate] if v is not None]
        source = "pre-change"
    if not baseline:
        raise NoAlert(
            "no baseline for the target metric (no fault-free data and no bucket before the change)"
        )
    threshold = _threshold(metric, baseline)
    first = next(
        (i for i in range(first_candidate, len(values)) if _abnormal(metric, values[i], threshold)),
        None,
    )
    if first is None:
        raise NoAlert(
            f"the target {metric} never crosses its threshold {threshold:.4g}: "
            "a tenant would raise no problem"
        )
    recovered = next(
        (
            i
            for i in range(first + 1, len(values))
            if values[i] is not None and not _abnormal(metric, values[i], threshold)
        ),
        None,
    )
    after = [v for v in values[first:] if v is not None]
    peak = max(after) if metric == "latency" else min(after)
    return Detection(
        first_bucket=first,
        last_bucket=None if recovered is None else recovered - 1,
        threshold=threshold,
        baseline_mean=statistics.fmean(baseline),
        peak=peak,
        baseline_source=source,
    )
