"""Log records → counts by level and service, top message patterns, new vs usual patterns.

An investigator reading logs wants: how many errors, where, which messages repeat, which
messages are new since the incident began, and *when* each began ("errors started right after
the 14:19 deploy"). Patterns group messages whose variable parts (ids, numbers, quoted values)
differ, so a thousand timeouts read as one line with a count, its first and last time, and an
example trace id and pod to follow up with. Counts may come from a Grail ``summarize`` over the
whole window (``level_counts``, ``service_counts``, ``total``, and ``error_times``: when each
service's errors began and ended) while patterns come from a bounded sample.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dynatrace_agent.analysis.stats import message_pattern
from dynatrace_agent.summarise._common import (
    Record,
    counts_line,
    fmt_pct,
    fmt_time,
    safe_timestamp,
    shorten,
    text_of,
    top,
)
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    top_n,
)

__all__ = ["ERROR_LEVELS", "log_level", "log_service", "span_of", "summarise_logs"]

_LEVEL_ORDER = ("FATAL", "CRITICAL", "ERROR", "SEVERE", "WARN", "WARNING", "INFO", "DEBUG", "TRACE", "NONE")
ERROR_LEVELS = frozenset({"FATAL", "CRITICAL", "ERROR", "SEVERE"})


def log_level(record: Record) -> str:
    """The record's level from ``loglevel`` or ``status``, upper-cased; ``NONE`` when absent."""
    return (text_of(record, "loglevel", "status", "severity") or "NONE").upper()


def log_service(record: Record) -> str:
    """``name (SERVICE-…)`` when both are known, else whichever is, else the host or ``?``."""
    entity = text_of(record, "dt.entity.service")
    name = text_of(record, "service.name")
    if entity and name:
        return f"{name} ({entity})"
    return entity or name or text_of(record, "dt.entity.host", "host.name", "log.source") or "?"


def _level_rank(level: str) -> int:
    return _LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else len(_LEVEL_ORDER)


def span_of(first: datetime | None, last: datetime | None, day: str | None = None) -> str:
    """``14:19:12–14:41:03Z`` (on ``day``, said once elsewhere), else with the date(s) spelled out."""
    if first is None or last is None:
        return ""
    if first.date() == last.date():
        on = "" if day == f"{first:%Y-%m-%d}" else f" on {first:%Y-%m-%d}"
        return f"{first:%H:%M:%S}–{last:%H:%M:%S}Z{on}"
    return f"{fmt_time(first)} – {fmt_time(last)}"


def _example_helps(pattern: str) -> bool:
    """Whether an example says more than the pattern: masked text or ids, or a cut pattern.

    A pattern whose only masks are numbers reads as well as any one message of it.
    """
    masks = _MASK.findall(pattern)
    return len(pattern) > 160 or any(m != "<num>" for m in masks)


_MASK = re.compile(r"<[a-z]+>")


def _one_day(times: Sequence[object]) -> str | None:
    """The date every timestamp falls on, when they share one (said once in a heading)."""
    days = {f"{t:%Y-%m-%d}" for t in (safe_timestamp(v) for v in times) if t is not None}
    return days.pop() if len(days) == 1 else None


@dataclass
class _Pattern:
    """What the sample shows of one message pattern."""

    count: int = 0
    example: str = ""
    levels: Counter[str] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    first: str | None = None  # raw timestamps: ISO text of one format sorts in time order
    last: str | None = None
    trace_id: str | None = None
    pod: str | None = None

    def add(self, record: Record, content: str) -> None:
        self.count += 1
        if not self.example:
            self.example = content
        self.levels[log_level(record)] += 1
        self.services[log_service(record)] += 1
        at = record.get("timestamp")
        if at is not None:
            text = at if isinstance(at, str) else str(at)
            if self.first is None or text < self.first:
                self.first = text
            if self.last is None or text > self.last:
                self.last = text
        self.trace_id = self.trace_id or text_of(record, "trace_id", "trace.id")
        self.pod = self.pod or text_of(record, "k8s.pod.name", "dt.process.name")

    @property
    def level(self) -> str:
        return self.levels.most_common(1)[0][0]


def _patterns(records: Sequence[Record]) -> dict[str, _Pattern]:
    patterns: dict[str, _Pattern] = {}
    cache: dict[str, str] = {}
    for record in records:
        content = text_of(record, "content") or ""
        pattern = cache.get(content)
        if pattern is None:
            pattern = message_pattern(content[:2000]) or "(empty message)"
            if len(cache) < 50_000:
                cache[content] = pattern
        patterns.setdefault(pattern, _Pattern()).add(record, content)
    return patterns


def summarise_logs(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    total: int | None = None,
    level_counts: Mapping[str, int] | None = None,
    service_counts: Mapping[str, int] | None = None,
    error_times: Mapping[str, tuple[object, object]] | None = None,
    baseline: Sequence[Record] | None = None,
    narrow: str | None = "service, level, text or a shorter timeframe",
) -> str:
    """A budgeted summary of log ``records`` (a sample when ``total`` says there are more).

    ``level_counts``/``service_counts`` are whole-window counts from Grail; without them the
    sample is counted. ``error_times`` maps a service label to the first and last time of its
    error-level records over the whole window. With ``baseline`` (records from a quiet period
    before) patterns absent from it are listed first as new.
    """
    levels = Counter(level_counts) if level_counts is not None else Counter(log_level(r) for r in records)
    by_service = (
        Counter(service_counts) if service_counts is not None else Counter(log_service(r) for r in records)
    )
    overall = total if total is not None else (sum(levels.values()) if level_counts else len(records))
    if overall == 0 and not records:
        return fit_sections(
            "No log records matched. Widen the timeframe, drop the level or text filter, "
            "or check the service/host id.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    level_text = ", ".join(
        f"{k} {v:,}" for k, v in sorted(levels.items(), key=lambda kv: (_level_rank(kv[0]), -kv[1]))
    )
    headline = f"{overall:,} log records ({level_text})"
    if len(records) < overall:
        headline += f"; patterns below from a sample of {len(records):,}"

    sections: list[Section] = []
    n = top_n(budget, per_item=150)
    service_rows = top(by_service, max(3, n // 2))
    if error_times is None:  # from the sample: when each service's errors began and ended
        sampled: dict[str, tuple[str, str]] = {}
        for record in records:
            at = record.get("timestamp")
            if at is not None and log_level(record) in ERROR_LEVELS:
                name, text = log_service(record), str(at)
                first, last = sampled.get(name, (text, text))
                sampled[name] = (min(first, text), max(last, text))
        error_times = dict(sampled)

    def service_line(name: str, count: int) -> str:
        text = f"- {name}: {count:,} ({fmt_pct(count, overall)})"
        times = (error_times or {}).get(name)
        if times:
            span = span_of(safe_timestamp(times[0]), safe_timestamp(times[1]), day)
            text += f"; errors {span}" if span else ""
        return text

    patterns = _patterns(records)
    day = _one_day(
        [t for name, _ in service_rows for t in (error_times or {}).get(name, ())]
        + [t for info in patterns.values() for t in (info.first, info.last)]
    )
    on_day = f", times on {day}" if day else ""
    sections.append(
        Section(
            f"By service/source{f' ({on_day[2:]})' if on_day else ''}:",
            [service_line(name, count) for name, count in service_rows],
            noun="services",
            total=len(by_service),
        )
    )

    counts = Counter({p: info.count for p, info in patterns.items()})
    usual: set[str] = set()
    if baseline is not None and not baseline:
        headline += "; the baseline window had no records, so new vs usual is not shown"
        baseline = None
    if baseline is not None:
        usual = {message_pattern((text_of(r, "content") or "")[:2000]) or "(empty message)" for r in baseline}

    def line(pattern: str, count: int) -> str:
        info = patterns[pattern]
        where = counts_line(info.services, 1)
        text = f"- {count:,}× {info.level} [{where}] {shorten(pattern, 160)}"
        span = span_of(safe_timestamp(info.first), safe_timestamp(info.last), day)
        if span:
            text += f" ({span})"
        if info.example and _example_helps(pattern):
            text += f" — e.g. “{shorten(info.example, 120)}”"
        # A trace to follow for failures and warnings; for chatty INFO/DEBUG patterns the pod is enough.
        trace = info.trace_id if _level_rank(info.level) <= _level_rank("WARNING") else None
        follow = [f"trace {trace}" if trace else "", f"pod {info.pod}" if info.pod else ""]
        if any(follow):
            text += " [" + ", ".join(f for f in follow if f) + "]"
        return text

    # Errors first within the ranking: a rare ERROR matters more than a chatty INFO.
    ranked = sorted(
        counts.items(),
        key=lambda kv: (_level_rank(patterns[kv[0]].level) > 3, -kv[1], kv[0]),
    )
    if baseline is not None:
        new = [(p, c) for p, c in ranked if p not in usual]
        old = [(p, c) for p, c in ranked if p in usual]
        sections.append(
            Section(
                f"New patterns (not seen in the baseline of {len(baseline):,} records{on_day}):",
                [line(p, c) for p, c in new[:n]] or ["- none: every pattern also occurred before"],
                noun="new patterns",
                total=max(len(new), 1),
            )
        )
        sections.append(
            Section(
                "Usual patterns (also in the baseline):",
                [line(p, c) for p, c in old[: max(3, n // 2)]],
                noun="usual patterns",
                total=len(old),
            )
        )
    else:
        sections.append(
            Section(
                f"Top message patterns ({len(counts):,} distinct{on_day}):",
                [line(p, c) for p, c in ranked[:n]],
                noun="patterns",
                total=len(counts),
            )
        )
    return fit_sections(
        headline, sections, budget=budget, facts=grail_facts_line(grail, returned=len(records)), narrow=narrow
    )
