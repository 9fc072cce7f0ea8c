"""Change events → a "what changed" timeline, closest to the problem start first.

Deployments and configuration changes shortly before a problem are the usual suspects; the
timeline says when each happened relative to an ``anchor`` (the problem start) and on which
entity, keeping event ids so a report can cite them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from dynatrace_agent.summarise._common import (
    Record,
    counts_line,
    fmt_time,
    label,
    safe_timestamp,
    shorten,
    text_of,
)
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    top_n,
)

__all__ = ["event_entity", "event_time", "summarise_events"]

_DETAIL_PREFIXES = ("deployment.", "config.", "dt.event.deployment", "dt.event.configuration")


def event_time(record: Record) -> datetime | None:
    """When the change happened: ``event.start``, else ``timestamp``."""
    return safe_timestamp(record.get("event.start")) or safe_timestamp(record.get("timestamp"))


def event_entity(record: Record) -> str | None:
    """The entity the event is about: ``dt.source_entity``, a ``dt.entity.*`` field, or an affected id."""
    direct = text_of(record, "dt.source_entity")
    if direct:
        return direct
    for key, value in record.items():
        if key.startswith("dt.entity.") and not key.endswith(".name") and isinstance(value, str | list):
            found = text_of(record, key)
            if found:
                return found
    return text_of(record, "affected_entity_ids")


def _relative(at: datetime | None, anchor: datetime | None) -> str:
    if at is None or anchor is None:
        return ""
    minutes = (anchor - at).total_seconds() / 60
    if abs(minutes) < 1:
        return " (at problem start)"
    word = "before" if minutes > 0 else "after"
    amount = abs(minutes)
    text = f"{amount:.0f} min" if amount < 120 else f"{amount / 60:.1f} h"
    return f" ({text} {word})"


def _details(record: Record) -> str:
    parts = [
        f"{k}={shorten(str(v), 40)}"
        for k, v in record.items()
        if k.startswith(_DETAIL_PREFIXES) and v not in (None, "", [])
    ]
    return ("; " + ", ".join(parts[:4])) if parts else ""


def summarise_events(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    anchor: datetime | None = None,
    narrow: str | None = "event types, entity ids or a timeframe closer to the problem start",
) -> str:
    """A timeline of change events; with ``anchor`` the closest preceding ones come first."""
    if not records:
        return fit_sections(
            "No change events matched: no deployments, configuration changes or custom events were "
            "recorded for these entities in the timeframe. Widen the timeframe or drop the entity filter.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    kinds = Counter(text_of(r, "event.type") or "?" for r in records)
    headline = f"{len(records):,} change events ({counts_line(kinds)})"
    if anchor is not None:
        headline += f"; relative to {fmt_time(anchor)}"

    def order(r: Record) -> tuple[int, float]:
        at = event_time(r)
        if at is None:
            return (2, 0.0)
        if anchor is None:
            return (0, -at.timestamp())
        delta = (anchor - at).total_seconds()
        # Changes before the anchor (closest first), then those after it.
        return (0, delta) if delta >= 0 else (1, -delta)

    names = {}
    for r in records:
        for key, value in r.items():
            if key.startswith("dt.entity.") and key.endswith(".name") and isinstance(value, str):
                entity = text_of(r, key.removesuffix(".name"))
                if entity:
                    names[entity] = value
    lines = []
    for r in sorted(records, key=order)[: top_n(budget, per_item=180)]:
        at = event_time(r)
        entity = event_entity(r)
        lines.append(
            f"- {fmt_time(at)}{_relative(at, anchor)} {text_of(r, 'event.type') or '?'}: "
            f"{shorten(text_of(r, 'event.name', 'event.description') or '', 90)}"
            f" on {label(entity, names.get(entity or ''))} [event.id {text_of(r, 'event.id') or '?'}]"
            f"{_details(r)}"
        )
    return fit_sections(
        headline,
        [Section("Timeline:", lines, noun="events", total=len(records))],
        budget=budget,
        facts=grail_facts_line(grail, returned=len(records)),
        narrow=narrow,
    )
