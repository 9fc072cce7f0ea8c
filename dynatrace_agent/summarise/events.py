"""Change events → a "what changed" timeline, closest to the problem start first.

Deployments and configuration changes shortly before a problem are the usual suspects. The
summary opens with counts (by type, before/after the ``anchor`` — the problem start — and how
many fell in the last 15 minutes and hour before it), names the entities that changed most,
then gives a timeline in which repeats of one change on one entity (the same event type and
the same name once versions and numbers are masked) read as one line: the occurrence closest
to the anchor in full — its name, its description when that says more (the "why" of a change:
"PSP API migration"), version details, the provider that sent it and its event id — and how
many earlier ones it stands for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dynatrace_agent.analysis.stats import message_pattern
from dynatrace_agent.summarise._common import (
    Record,
    counts_line,
    fmt_time,
    label,
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

__all__ = ["event_entity", "event_name", "event_time", "is_change", "summarise_events"]

# Detail fields worth a few tokens, most telling first; shown under their last dotted part.
_DETAIL_KEYS = (
    "dt.event.deployment.version",
    "deployment.version",
    "deployment.previous_version",
    "config.key",
    "config.old_value",
    "config.new_value",
    "dt.event.deployment.release_stage",
    "deployment.release_stage",
    "dt.event.configuration.name",
    "dt.event.deployment.project",
    "deployment.project",
    "artifact.version",
    "task.outcome",
)
_MAX_DETAILS = 2
_CONFIG_KEYS = ("config.key", "dt.event.configuration.name")
# Event types that change the system (shown first), as opposed to informational ones.
_CHANGE_TYPES = frozenset({"CUSTOM_DEPLOYMENT", "CUSTOM_CONFIGURATION", "MARKED_FOR_TERMINATION"})
_SDLC_CHANGE_TYPES = frozenset({"deployment", "release", "rollback"})
# Fallback names for events that carry no entity id (SDLC events from pipelines).
_NAME_FALLBACKS = (
    "dt.source_entity.name",
    "service.name",
    "k8s.workload.name",
    "artifact.name",
    "deployment.name",
)


def event_time(record: Record) -> datetime | None:
    """When the change happened: ``event.start``, else ``start_time``, else ``timestamp`` (UTC)."""
    return _utc(
        safe_timestamp(record.get("event.start"))
        or safe_timestamp(record.get("start_time"))
        or safe_timestamp(record.get("timestamp"))
    )


def _utc(when: datetime | None) -> datetime | None:
    """Times without an offset are taken as UTC, so naive and aware times can be compared."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


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


def _entity_names(records: Sequence[Record]) -> dict[str, str]:
    """Entity id → display name from ``dt.entity.<type>.name`` / ``dt.source_entity.name`` fields."""
    names: dict[str, str] = {}
    for r in records:
        for key, value in r.items():
            named = key.startswith("dt.entity.") or key == "dt.source_entity.name"
            if named and key.endswith(".name") and isinstance(value, str) and value:
                entity = text_of(r, key.removesuffix(".name"))
                if entity and entity not in names:
                    names[entity] = value
    return names


def _relative(at: datetime | None, anchor: datetime | None) -> str:
    """``5 min before`` / ``2.5 h after`` / ``at anchor``; empty without both times."""
    if at is None or anchor is None:
        return ""
    minutes = (anchor - at).total_seconds() / 60
    if abs(minutes) < 1:
        return "at anchor"
    word = "before" if minutes > 0 else "after"
    amount = abs(minutes)
    text = f"{amount:.0f} min" if amount < 120 else f"{amount / 60:.1f} h"
    return f"{text} {word}"


def _details(record: Record, name: str) -> str:
    """Up to two telling fields as ``version 2.14.0``, skipping values the name already says."""
    parts: list[str] = []
    seen: set[str] = set()
    for key in _DETAIL_KEYS:
        value = text_of(record, key)
        short = key.rsplit(".", 1)[-1]
        if not value or value in name or short in seen or value.startswith(("http://", "https://")):
            continue
        if key == "task.outcome" and value.lower() == "success":
            continue
        seen.add(short)
        parts.append(f"{short.replace('_', ' ')} {shorten(value, 40)}")
        if len(parts) == _MAX_DETAILS:
            break
    return (", " + ", ".join(parts)) if parts else ""


def event_name(record: Record) -> str:
    """``event.name`` or ``event.description``; for SDLC events, which have neither, what was done."""
    name = text_of(record, "event.name", "event.description")
    if name:
        return name
    what = text_of(record, "deployment.name", "artifact.name", "task.name", "cicd.pipeline.id") or ""
    version = text_of(record, "deployment.version", "artifact.version") or ""
    status = text_of(record, "event.status") or ""
    return " ".join(p for p in (text_of(record, "event.type"), what, version, status) if p)


def is_change(record: Record) -> bool:
    """Whether the event changed the system: a deployment or configuration change (Davis or SDLC)."""
    kind = text_of(record, "event.type") or ""
    if text_of(record, "event.kind") == "SDLC_EVENT":
        return kind.lower() in _SDLC_CHANGE_TYPES or "deployment.version" in record
    return kind in _CHANGE_TYPES


@dataclass
class _Group:
    """Repeats of one change (type, entity, masked name); ``best`` is the one closest to the anchor."""

    best: Record
    best_at: datetime | None
    rank: tuple[int, float]
    count: int = 1
    earliest: datetime | None = None


class _Clock:
    """Event times in few tokens: ``HH:MM:SS`` when all share one date, else ``MM-DD HH:MM``.

    The headline carries the full dates, so the timeline need not repeat the year.
    """

    def __init__(self, times: Sequence[datetime], anchor: datetime | None) -> None:
        dates = {t.date() for t in times}
        if anchor is not None:
            dates.add(anchor.date())
        self.same_day = len(dates) <= 1
        self.anchor = anchor

    def at(self, when: datetime | None, *, relative: bool = True) -> str:
        if when is None:
            return "?"
        clock = when.strftime("%H:%M:%S" if self.same_day else "%m-%d %H:%M")
        rel = _relative(when, self.anchor) if relative else ""
        return f"{clock} ({rel})" if rel else clock


def _order_key(at: datetime | None, anchor: datetime | None) -> tuple[int, float]:
    """Changes before the anchor (closest first), then those after it, then undated ones."""
    if at is None:
        return (2, 0.0)
    if anchor is None:
        return (0, -at.timestamp())
    delta = (anchor - at).total_seconds()
    return (0, delta) if delta >= 0 else (1, -delta)


def _window_line(times: Sequence[datetime], anchor: datetime, undated: int) -> str:
    before = [anchor - t for t in times if t <= anchor]
    after = len(times) - len(before)
    last15 = sum(1 for d in before if d.total_seconds() <= 15 * 60)
    last60 = sum(1 for d in before if d.total_seconds() <= 3600)
    line = (
        f"Around the anchor {fmt_time(anchor)}: {len(before):,} before it ({last15:,} within "
        f"15 min, {last60:,} within an hour), {after:,} after"
    )
    return line + (f", {undated:,} without a time" if undated else "")


def summarise_events(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    anchor: datetime | None = None,
    entity_names: Mapping[str, str] | None = None,
    narrow: str | None = "event types, entity ids or a timeframe closer to the problem start",
) -> str:
    """A timeline of change events, repeats grouped; with ``anchor`` the closest preceding ones first."""
    if not records:
        return fit_sections(
            "No change events matched: no deployments, configuration changes or custom events were "
            "recorded for these entities in the timeframe. Widen the timeframe or drop the entity filter.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    anchor = _utc(anchor)
    names = {**(entity_names or {}), **_entity_names(records)}
    by_name: dict[str, str | None] = {}
    for entity, name in names.items():
        by_name[name] = None if name in by_name else entity  # None: ambiguous name
    kinds: Counter[str] = Counter()
    per_entity: Counter[str] = Counter()
    groups: dict[tuple[bool, str, str, str], _Group] = {}
    times: list[datetime] = []
    pattern_cache: dict[str, str] = {}
    for r in records:
        kind = text_of(r, "event.type") or "?"
        kinds[kind] += 1
        who = _who(r, names, by_name)
        if who:
            per_entity[who] += 1
        at = event_time(r)
        if at is not None:
            times.append(at)
        # What was changed: the configuration key when there is one (a flag toggled back and
        # forth is one change), else the name with versions and numbers masked.
        name = text_of(r, *_CONFIG_KEYS) or event_name(r)
        pattern = pattern_cache.get(name)
        if pattern is None:
            pattern = pattern_cache[name] = message_pattern(name[:300])
        key = (is_change(r), kind, who, pattern)
        rank = _order_key(at, anchor)
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(r, at, rank, earliest=at)
            continue
        group.count += 1
        if at is not None and (group.earliest is None or at < group.earliest):
            group.earliest = at
        if rank < group.rank:
            group.best, group.best_at, group.rank = r, at, rank

    changes = sum(g.count for (change, *_), g in groups.items() if change)
    span = f", {fmt_time(min(times))} … {fmt_time(max(times))}" if times else ""
    entities = f" on {len(per_entity):,} entities" if len(per_entity) > 1 else ""
    headline = (
        f"{len(records):,} events{entities}, {changes:,} of them deployments or configuration changes "
        f"({counts_line(kinds, 5)}){span}"
    )
    if anchor is not None:
        headline += "\n" + _window_line(times, anchor, len(records) - len(times))

    clock = _Clock(times, anchor)
    order = "closest to the anchor first" if anchor is not None else "newest first"
    grouped = " (repeats on one entity grouped)" if len(groups) < len(records) else ""
    sections = []
    for change, title, per_item in (
        (True, f"Deployments and configuration changes, {order}{grouped}:", 220),
        (False, f"Other events, {order}{grouped}:", 400),
    ):
        chosen = sorted(((k, g) for k, g in groups.items() if k[0] == change), key=lambda kv: kv[1].rank)
        lines = [_group_line(k[1], k[2], g, clock) for k, g in chosen[: top_n(budget, per_item=per_item)]]
        noun = "change groups" if change else "other event groups"
        sections.append(Section(title, lines, noun=noun, total=len(chosen)))
    if len(per_entity) > 1:
        busiest = top(per_entity, top_n(budget, per_item=400))
        sections.append(
            Section(
                "Events per entity:",
                [f"- {who}: {n:,}" for who, n in busiest],
                noun="entity counts",
                total=len(per_entity),
            )
        )
    return fit_sections(
        headline,
        sections,
        budget=budget,
        facts=grail_facts_line(grail, returned=len(records)),
        narrow=narrow,
    )


def _who(record: Record, names: dict[str, str], by_name: dict[str, str | None]) -> str:
    """``name (ENTITY-ID)`` for the event's entity; SDLC events matched to an entity by name."""
    entity = event_entity(record)
    if entity:
        return label(entity, names.get(entity))
    name = text_of(record, *_NAME_FALLBACKS) or ""
    known = by_name.get(name)
    return label(known, name) if known else name


def _description(record: Record, name: str) -> str:
    """`` — “Helm upgrade payment 2.7.4 -> 2.8.0 (PSP API migration)”`` when it says more than the name."""
    text = text_of(record, "event.description")
    if not text or text.strip().casefold() in name.casefold():
        return ""
    return f" — “{shorten(text, 120)}”"


def _provider(record: Record) -> str:
    """``, by argocd``: which tool or pipeline sent the event (who to ask about it)."""
    provider = text_of(record, "event.provider", "dt.event.provider")
    return f", by {shorten(provider, 40)}" if provider else ""


def _group_line(kind: str, who: str, group: _Group, clock: _Clock) -> str:
    """The occurrence closest to the anchor in full, then how many earlier ones it stands for."""
    best = group.best
    name = shorten(event_name(best), 80) or "(no name)"
    line = (
        f"- {clock.at(group.best_at)} {kind} {who or '(no entity)'}: {name}{_description(best, name)}"
        f"{_details(best, name)}{_provider(best)} [id {text_of(best, 'event.id') or '?'}]"
    )
    if group.count > 1:
        since = (
            f" since {clock.at(group.earliest, relative=False)}" if group.earliest != group.best_at else ""
        )
        line += f"; {group.count - 1:,} more like it{since}"
    return line
