"""PetShop metric windows as a tenant's 5-minute service series, with a fault-free baseline first.

An issue window holds only ~25 minutes (five buckets), too little for anyone -- Davis or an
agent -- to tell normal from abnormal. A tenant would show the hours before it too, so the
series start with the last :data:`BASELINE_BUCKETS` buckets of the scenario's fault-free
``noissue/metrics.csv``, shifted in time so they end exactly where the issue window starts,
followed by the issue's own buckets. All times are then moved back by less than one bucket so
buckets start on interval boundaries, as Grail aligns them.

The fault-free file was recorded months after the issues (August vs April 2023), and some
components ran at other levels then (PetSite answered in ~98 ms instead of ~83 ms, some AWS
APIs were called twice as often). Spliced as they are, those level steps would sit at the start
of the issue window as if something had changed there. With ``match_levels`` each latency and
request series of the baseline is scaled so its mean equals the issue's own mean before the
change (the buckets that end before the injection), keeping the baseline's shape and relative
noise; availability is left as recorded. It is off by default: the pre-change level comes from
one or two buckets, noisy for small counts, so both pictures are approximations and the plain
shift is the one that adds nothing. ``source.baseline`` in each case says which was used.

Values are converted to the units and keys a tenant uses: latency (seconds, CloudWatch
``Average``) -> ``dt.service.request.response_time`` in microseconds; requests (``Sum``) ->
``dt.service.request.count``; availability (percent) -> ``dt.service.request.failure_count``
= requests x (1 - availability / 100), rounded to whole requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dynatrace_agent.importers.common import DatasetFormatError, iso
from dynatrace_agent.importers.petshop_files import MetricTable
from dynatrace_agent.importers.petshop_topology import node_id

__all__ = [
    "BASELINE_BUCKETS",
    "FAILURE_COUNT",
    "REQUEST_COUNT",
    "RESPONSE_TIME",
    "Timeline",
    "build_series",
    "column_values",
    "make_timeline",
    "node_values",
]

#: Buckets of fault-free history before the issue window (3 hours of 5-minute buckets).
BASELINE_BUCKETS = 36
RESPONSE_TIME = "dt.service.request.response_time"
REQUEST_COUNT = "dt.service.request.count"
FAILURE_COUNT = "dt.service.request.failure_count"


@dataclass(frozen=True)
class Timeline:
    """Where every source row lands on the case's bucket grid.

    ``offset`` (seconds) is added to the issue's real times (injection, other issues' changes)
    to put them on the case's aligned clock; ``baseline_shift`` is what was added to the
    fault-free rows' times on top of that.
    """

    start: float  # first bucket start, case clock (epoch s)
    step: int
    buckets: int
    baseline_buckets: int
    offset: float
    baseline_shift: float | None
    #: Grid index of the first bucket that does not end before the change (== issue start when none does).
    pre_change: int = 0
    #: Whether the baseline's latency/request levels are matched to the issue's (module doc).
    match_levels: bool = False

    @property
    def end(self) -> float:
        """The end of the last bucket (the case's ``now``)."""
        return self.start + self.buckets * self.step

    @property
    def issue_start(self) -> float:
        """The start of the first issue bucket on the case clock."""
        return self.start + self.baseline_buckets * self.step

    def bucket_end(self, index: int) -> float:
        """The epoch second at which bucket ``index`` ends."""
        return self.start + (index + 1) * self.step


def _grid_index(table: MetricTable, step: int) -> list[int]:
    first = table.times[0]
    indexes = []
    for when in table.times:
        offset = (when - first) / step
        if abs(offset - round(offset)) > 1e-6:
            raise DatasetFormatError(
                table.file, f"row time {when:.0f} is off the {step}-second grid of the file"
            )
        indexes.append(round(offset))
    return indexes


def make_timeline(
    issue: MetricTable, baseline: MetricTable | None, change_at: float, *, match_levels: bool = False
) -> Timeline:
    """The case grid: the baseline's last buckets (if usable) then the issue window, aligned.

    ``change_at`` is the injection time (epoch s, real clock): buckets ending at or before it
    are the issue's pre-change buckets.
    """
    step = issue.step
    if step <= 0 or step % 60:
        raise DatasetFormatError(issue.file, f"rows are {step} s apart; expected whole minutes (300 s)")
    issue_buckets = _grid_index(issue, step)[-1] + 1
    offset = 0.0 - (issue.times[0] % step)  # never -0.0
    base_buckets = 0
    shift: float | None = None
    if baseline is not None and baseline.step == step:
        index = _grid_index(baseline, step)
        last = index[-1]
        base_buckets = min(BASELINE_BUCKETS, last + 1)
        # the baseline row at grid index `last` must end where the issue window starts
        shift = issue.times[0] - (baseline.times[0] + (last + 1) * step)
    start = issue.times[0] + offset - base_buckets * step
    total = base_buckets + issue_buckets
    pre_change = next(
        (i for i in range(base_buckets, total) if start + (i + 1) * step > change_at + offset), total
    )
    return Timeline(
        start=start,
        step=step,
        buckets=total,
        baseline_buckets=base_buckets,
        offset=offset,
        baseline_shift=shift,
        pre_change=pre_change,
        match_levels=match_levels,
    )


#: Metrics whose baseline level is matched to the issue's pre-change level (see the module doc).
_LEVEL_MATCHED = ("latency", "requests")


def _level_matched(values: list[float | None], timeline: Timeline, metric: str) -> list[float | None]:
    """Scale the baseline part so its mean is the mean of the issue buckets before the change."""
    if (
        not timeline.match_levels
        or metric not in _LEVEL_MATCHED
        or timeline.pre_change <= timeline.baseline_buckets
    ):
        return values
    base = [v for v in values[: timeline.baseline_buckets] if v is not None]
    before = [v for v in values[timeline.baseline_buckets : timeline.pre_change] if v is not None]
    if not base or not before:
        return values
    base_mean = sum(base) / len(base)
    if base_mean <= 0:
        return values
    factor = (sum(before) / len(before)) / base_mean
    return [
        None if v is None else (v * factor if i < timeline.baseline_buckets else v)
        for i, v in enumerate(values)
    ]


def column_values(
    timeline: Timeline, issue: MetricTable, baseline: MetricTable | None, node: str, metric: str, stat: str
) -> list[float | None]:
    """One source column (``metric``/``stat`` of ``node``) on the case grid, in its source units.

    The baseline part is level-matched for latency and requests (see the module doc).
    """
    values: list[float | None] = [None] * timeline.buckets
    if baseline is not None and timeline.baseline_shift is not None:
        column = baseline.series(node, metric, stat)
        if column is not None:
            for when, value in zip(baseline.times, column, strict=True):
                index = round(
                    (when + timeline.baseline_shift + timeline.offset - timeline.start) / timeline.step
                )
                if 0 <= index < timeline.baseline_buckets:
                    values[index] = value
    column = issue.series(node, metric, stat)
    if column is not None:
        for when, value in zip(issue.times, column, strict=True):
            index = round((when + timeline.offset - timeline.start) / timeline.step)
            if timeline.baseline_buckets <= index < timeline.buckets:
                values[index] = value
    return _level_matched(values, timeline, metric)


def node_values(
    timeline: Timeline, issue: MetricTable, baseline: MetricTable | None, node: str
) -> dict[str, list[float | None]]:
    """One node's values per metric key, in the tenant's units (None = no data in the bucket)."""
    latency = column_values(timeline, issue, baseline, node, "latency", "Average")
    requests = column_values(timeline, issue, baseline, node, "requests", "Sum")
    availability = column_values(timeline, issue, baseline, node, "availability", "Average")
    failures: list[float | None] = []
    for count, avail in zip(requests, availability, strict=True):
        if count is None or avail is None:
            failures.append(None)
        else:
            failures.append(float(max(0, round(count * (1.0 - avail / 100.0)))))
    return {
        RESPONSE_TIME: [None if v is None else round(v * 1_000_000, 1) for v in latency],
        REQUEST_COUNT: requests,
        FAILURE_COUNT: failures,
    }


_UNITS = {RESPONSE_TIME: "MicroSecond", REQUEST_COUNT: "Count", FAILURE_COUNT: "Count"}


def build_series(
    timeline: Timeline, issue: MetricTable, baseline: MetricTable | None, nodes: list[str]
) -> list[dict[str, Any]]:
    """``metrics.jsonl`` rows: three series per node that has data, keyed by ``dt.entity.service``."""
    rows = []
    interval = f"{timeline.step // 60}m"
    for node in nodes:
        for key, values in node_values(timeline, issue, baseline, node).items():
            if all(v is None for v in values):
                continue
            rows.append(
                {
                    "metric.key": key,
                    "dimensions": {"dt.entity.service": node_id(node)},
                    "start": iso(timeline.start),
                    "interval": interval,
                    "unit": _UNITS[key],
                    "values": values,
                }
            )
    return rows
