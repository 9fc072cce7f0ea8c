"""Business events → volumes over time per type, and a before/after comparison.

A drop in ``order.placed`` events says more about customer impact than any latency figure.
Volumes are bucketed into about a dozen intervals so a model can see the dip; with
``split_at`` (the problem start) each type's rate per minute before and after is compared.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from dynatrace_agent.summarise._common import Record, counts_line, fmt_num, fmt_time, safe_timestamp, text_of
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    table_section,
    top_n,
)

__all__ = ["summarise_bizevents"]

_STEPS = [timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 180, 360, 720, 1440)]


def _bucket(span: timedelta, buckets: int = 12) -> timedelta:
    for step in _STEPS:
        if span / step <= buckets:
            return step
    return _STEPS[-1]


def summarise_bizevents(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    split_at: datetime | None = None,
    narrow: str | None = "event_type, provider or a shorter timeframe",
) -> str:
    """Counts per event type, volume per time bucket, and before/after rates around ``split_at``."""
    if not records:
        return fit_sections(
            "No business events matched. Check the event type/provider names or widen the timeframe.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    types: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    stamped: list[tuple[datetime, str]] = []
    for r in records:
        kind = text_of(r, "event.type") or "?"
        types[kind] += 1
        providers[text_of(r, "event.provider") or "?"] += 1
        at = safe_timestamp(r.get("timestamp"))
        if at is not None:
            stamped.append((at, kind))
    headline = (
        f"{len(records):,} business events; types: {counts_line(types)}; "
        f"providers: {counts_line(providers, 3)}"
    )
    sections: list[Section] = []
    top_types = [t for t, _ in types.most_common(4)]
    if stamped:
        first = min(at for at, _ in stamped)
        last = max(at for at, _ in stamped)
        step = _bucket(last - first)
        origin = datetime.fromtimestamp(
            first.timestamp() // step.total_seconds() * step.total_seconds(), first.tzinfo
        )
        volumes: dict[int, Counter[str]] = defaultdict(Counter)
        for at, kind in stamped:
            volumes[int((at - origin) / step)][kind] += 1
        rows = [
            [fmt_time(origin + step * index), *(volumes[index].get(t, 0) for t in top_types)]
            for index in range(min(max(volumes) + 1, 500))
        ]
        sections.append(
            table_section(
                f"Volume per {int(step.total_seconds() // 60)} min:",
                ["bucket start", *top_types],
                rows,
                noun="time buckets",
            )
        )
        if split_at is not None:
            before_minutes = max((split_at - first).total_seconds() / 60, 1e-9)
            after_minutes = max((last - split_at).total_seconds() / 60, 1e-9)
            before: Counter[str] = Counter(k for at, k in stamped if at < split_at)
            after: Counter[str] = Counter(k for at, k in stamped if at >= split_at)
            lines = []
            for kind, _ in types.most_common(top_n(budget)):
                rb = before[kind] / before_minutes if before[kind] else 0.0
                ra = after[kind] / after_minutes if after[kind] else 0.0
                change = f"{(ra - rb) / rb * 100:+.0f}%" if rb else ("new" if ra else "–")
                lines.append(
                    f"- {kind}: {fmt_num(rb)}/min before → {fmt_num(ra)}/min after ({change}); "
                    f"{before[kind]:,} → {after[kind]:,} events"
                )
            sections.insert(
                0, Section(f"Before/after {fmt_time(split_at)}:", lines, noun="event types", total=len(types))
            )
    return fit_sections(
        headline, sections, budget=budget, facts=grail_facts_line(grail, returned=len(records)), narrow=narrow
    )
