"""Log records → per-entity ``LogStats``: error and warning counts and new message patterns."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from dynatrace_agent.analysis.evidence import (
    LogPattern,
    LogStats,
    Window,
)
from dynatrace_agent.analysis.signals.records import Record, clean_text, first_time
from dynatrace_agent.analysis.stats import (
    message_pattern,
)

_MAX_PATTERNS = 5


_MAX_EXAMPLE_CHARS = 300


_ERROR_LEVELS = {"ERROR", "ERR", "FATAL", "SEVERE", "CRITICAL", "CRIT", "EMERG", "EMERGENCY", "ALERT"}


_WARN_LEVELS = {"WARN", "WARNING"}


def log_level(record: Record) -> str | None:
    """``ERROR``, ``WARN``, or None for any other level (or none given)."""
    for key in ("loglevel", "status", "severity", "level"):
        value = clean_text(record.get(key))
        if value is None:
            continue
        upper = value.upper()
        if upper in _ERROR_LEVELS:
            return "ERROR"
        if upper in _WARN_LEVELS:
            return "WARN"
        if upper not in {"NONE", "UNKNOWN"}:
            return None
    return None


def _log_entity(record: Record) -> tuple[str, str | None]:
    for key in ("dt.entity.service", "dt.entity.process_group", "dt.entity.host"):
        value = clean_text(record.get(key))
        if value:
            return value, clean_text(record.get("service.name")) or clean_text(record.get("host.name"))
    for key in ("service.name", "k8s.deployment.name", "host.name", "log.source"):
        value = clean_text(record.get(key))
        if value:
            return value, value
    return "unknown", None


def log_stats(
    logs: Iterable[Record],
    window: Window,
    *,
    names: Mapping[str, str] | None = None,
    source: str | None = None,
) -> list[LogStats]:
    """Error/warning counts per entity, baseline vs incident, and message patterns new in the incident.

    A pattern is *new* when it appears among the incident's errors/warnings of an entity but
    never in its baseline. Logs without a level that reads as error or warning are ignored.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    patterns: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(dict)
    pattern_examples: dict[tuple[str, str, str], str] = {}
    entity_names: dict[str, str] = dict(names or {})
    first_error: dict[str, datetime] = {}
    for record in logs:
        if not isinstance(record, Mapping):
            continue
        level = log_level(record)
        if level is None:
            continue
        ts = first_time(record, "timestamp")
        if window.in_incident(ts):
            phase = 1
        elif window.in_baseline(ts):
            phase = 0
        else:
            continue
        entity, name = _log_entity(record)
        if name and entity not in entity_names:
            entity_names[entity] = name
        counts[entity][f"{level}:{phase}"] += 1
        if (
            phase == 1
            and level == "ERROR"
            and ts is not None
            and (entity not in first_error or ts < first_error[entity])
        ):
            first_error[entity] = ts
        content = clean_text(record.get("content")) or ""
        pattern = message_pattern(content)
        slot = patterns[entity].setdefault((level, pattern), [0, 0])
        slot[phase] += 1
        if phase == 1:
            pattern_examples.setdefault((entity, level, pattern), content[:_MAX_EXAMPLE_CHARS])

    result: list[LogStats] = []
    for entity in sorted(counts):
        c = counts[entity]
        items = [
            LogPattern(
                pattern=pattern,
                level=level,
                baseline_count=b,
                incident_count=i,
                example=pattern_examples.get((entity, level, pattern), ""),
            )
            for (level, pattern), (b, i) in patterns[entity].items()
            if i > 0
        ]
        items.sort(key=lambda p: (p.level != "ERROR", -p.incident_count, p.pattern))
        result.append(
            LogStats(
                entity=entity,
                name=entity_names.get(entity),
                baseline_errors=c["ERROR:0"],
                incident_errors=c["ERROR:1"],
                baseline_warnings=c["WARN:0"],
                incident_warnings=c["WARN:1"],
                new_patterns=[p for p in items if p.baseline_count == 0][:_MAX_PATTERNS],
                top_patterns=items[:_MAX_PATTERNS],
                first_incident_error=first_error.get(entity),
                source=source,
            )
        )
    return result
