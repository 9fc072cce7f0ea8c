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


def span_of(first: datetime | None, last: datetime | None) -> str:
    """``14:19:12–14:41:03Z on 2025-03-11``, or both dates when the span crosses midnight."""
    if first is None or last is None:
        return ""
    if first.date() == last.date():
        return f"{first:%H:%M:%S}–{last:%H:%M:%S}Z on {first:%Y-%m-%d}"
    return f"{fmt_time(first)} – {fmt_time(last)}"


@dataclass
class _Pattern:
    """What the sample shows of one message pattern."""

    count: int = 0
    example: str = ""
    levels: Counter[str] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    trace_id: str | None = None
    pod: str | None = None

    def add(self, record: Record, content: str) -> None:
        self.count += 1
        if not self.example:
            self.example = content
        self.levels[log_level(record)] += 1
        self.services[log_service(record)] += 1
        at = safe_timestamp(record.get("timestamp"))
        if at is not None:
            self.first = at if self.first is None or at < self.first else self.first
            self.last = at if self.last is None or at > self.last else self.last
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
    n = top_n(budget)
    service_rows = top(by_service, max(3, n // 2))
    if error_times is None:  # from the sample: when each service's errors began and ended
        sampled: dict[str, tuple[datetime, datetime]] = {}
        for record in records:
            if log_level(record) in ERROR_LEVELS:
                name, at = log_service(record), safe_timestamp(record.get("timestamp"))
                if at is not None:
                    first, last = sampled.get(name, (at, at))
                    sampled[name] = (min(first, at), max(last, at))
        error_times = dict(sampled)

    def service_line(name: str, count: int) -> str:
        text = f"- {name}: {count:,} ({fmt_pct(count, overall)})"
        times = (error_times or {}).get(name)
        if times:
            span = span_of(safe_timestamp(times[0]), safe_timestamp(times[1]))
            text += f"; errors {span}" if span else ""
        return text

    sections.append(
        Section(
            "By service/source:",
            [service_line(name, count) for name, count in service_rows],
            noun="services",
            total=len(by_service),
        )
    )

    patterns = _patterns(records)
    counts = Counter({p: info.count for p, info in patterns.items()})
    usual: set[str] = set()
    if baseline is not None and not baseline:
        headline += "; the baseline window had no records, so new vs usual is not shown"
        baseline = None
    if baseline is not None:
        usual = {message_pattern((text_of(r, "content") or "")[:2000]) or "(empty message)" for r in baseline}

    def line(pattern: str, count: int) -> str:
        info = patterns[pattern]
        where = counts_line(info.services, 2)
        text = f"- {count:,}× {info.level} [{where}] {shorten(pattern, 160)}"
        span = span_of(info.first, info.last)
        if span:
            text += f" ({span})"
        if info.example and shorten(info.example, 160) != shorten(pattern, 160):
            text += f" — e.g. “{shorten(info.example, 160)}”"
        follow = [f"trace {info.trace_id}" if info.trace_id else "", f"pod {info.pod}" if info.pod else ""]
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
                f"New patterns (not seen in the baseline of {len(baseline):,} records):",
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
                f"Top message patterns ({len(counts):,} distinct):",
                [line(p, c) for p, c in ranked[:n]],
                noun="patterns",
                total=len(counts),
            )
        )
    return fit_sections(
        headline, sections, budget=budget, facts=grail_facts_line(grail, returned=len(records)), narrow=narrow
    )
