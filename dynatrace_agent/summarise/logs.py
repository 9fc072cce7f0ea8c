"""Log records → counts by level and service, top message patterns, new vs usual patterns.

An investigator reading logs wants: how many errors, where, which messages repeat, and which
messages are new since the incident began. Patterns group messages whose variable parts
(ids, numbers, quoted values) differ, so a thousand timeouts read as one line with a count.
Counts may come from a Grail ``summarize`` over the whole window (``level_counts``,
``service_counts``, ``total``) while patterns come from a bounded sample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from dynatrace_agent.analysis.stats import message_pattern
from dynatrace_agent.summarise._common import Record, counts_line, fmt_pct, shorten, text_of, top
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    top_n,
)

__all__ = ["log_level", "log_service", "summarise_logs"]

_LEVEL_ORDER = ("FATAL", "CRITICAL", "ERROR", "SEVERE", "WARN", "WARNING", "INFO", "DEBUG", "TRACE", "NONE")


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


def _patterns(
    records: Sequence[Record],
) -> tuple[Counter[str], dict[str, str], dict[str, Counter[str]], dict[str, Counter[str]]]:
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    levels: dict[str, Counter[str]] = {}
    services: dict[str, Counter[str]] = {}
    cache: dict[str, str] = {}
    for record in records:
        content = text_of(record, "content") or ""
        pattern = cache.get(content)
        if pattern is None:
            pattern = message_pattern(content[:2000]) or "(empty message)"
            if len(cache) < 50_000:
                cache[content] = pattern
        counts[pattern] += 1
        if pattern not in examples:
            examples[pattern] = content
            levels[pattern] = Counter()
            services[pattern] = Counter()
        levels[pattern][log_level(record)] += 1
        services[pattern][log_service(record)] += 1
    return counts, examples, levels, services


def summarise_logs(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    total: int | None = None,
    level_counts: Mapping[str, int] | None = None,
    service_counts: Mapping[str, int] | None = None,
    baseline: Sequence[Record] | None = None,
    narrow: str | None = "service, level, text or a shorter timeframe",
) -> str:
    """A budgeted summary of log ``records`` (a sample when ``total`` says there are more).

    ``level_counts``/``service_counts`` are whole-window counts from Grail; without them the
    sample is counted. With ``baseline`` (records from a quiet period before) patterns absent
    from it are listed first as new.
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
    sections.append(
        Section(
            "By service/source:",
            [f"- {name}: {count:,} ({fmt_pct(count, overall)})" for name, count in service_rows],
            noun="services",
            total=len(by_service),
        )
    )

    counts, examples, pattern_levels, pattern_services = _patterns(records)
    usual: set[str] = set()
    if baseline is not None and not baseline:
        headline += "; the baseline window had no records, so new vs usual is not shown"
        baseline = None
    if baseline is not None:
        usual = {message_pattern((text_of(r, "content") or "")[:2000]) or "(empty message)" for r in baseline}

    def line(pattern: str, count: int) -> str:
        level = pattern_levels[pattern].most_common(1)[0][0]
        where = counts_line(pattern_services[pattern], 2)
        example = examples[pattern]
        text = f"- {count:,}× {level} [{where}] {shorten(pattern, 160)}"
        if example and shorten(example, 160) != shorten(pattern, 160):
            text += f" — e.g. “{shorten(example, 160)}”"
        return text

    # Errors first within the ranking: a rare ERROR matters more than a chatty INFO.
    ranked = sorted(
        counts.items(),
        key=lambda kv: (_level_rank(pattern_levels[kv[0]].most_common(1)[0][0]) > 3, -kv[1], kv[0]),
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
