"""Any DQL result → a field profile and a few representative example records.

For arbitrary queries we do not know what matters, so the summary says what is there, each
field in the fewest words that keep its information: numbers as min/avg/max, timestamps as a
range, few-valued fields as top values with counts, free text as top message patterns (numbers
and ids masked, as for logs), id-like fields as a distinct count and one example. Fields that
merely repeat another (``status`` equal to ``loglevel``) or name it (``service.name`` for
``dt.entity.service``) are folded into it, so entity ids and names read together. Examples
leave out the fields every record has the same value for (the profile says them once) and are
picked to show different values of the most telling few-valued field.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dynatrace_agent.analysis.stats import message_pattern
from dynatrace_agent.summarise._common import Record, fmt_num, fmt_time, safe_timestamp, shorten
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    table_section,
    top_n,
)
from dynatrace_agent.values import as_float

__all__ = ["summarise_dql"]

PROFILE_ROWS = 5000
# Small, narrow results (aggregations, top-N lists) are shown as a table of rows first.
TABLE_FIELDS = 8
TABLE_ROWS = 50
EXAMPLE_CHARS = 320
VALUE_CHARS = 48
TOP_VALUES = 3
# A field is "few-valued" (top values are telling) up to this many distinct values.
FEW_VALUES = 50
# Free text is shown as patterns when masking numbers/ids leaves at most this share of values.
PATTERN_SHARE = 0.2


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
    return str(value)


@dataclass
class _Field:
    """What one field holds across the profiled rows."""

    name: str
    present: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    numbers: list[float] = field(default_factory=list)
    non_numeric: bool = False
    first: Any = None
    same_as: str | None = None  # identical to this earlier field in every row
    names: str | None = None  # one-to-one with this earlier field (e.g. service.name for its id)
    partner: str | None = None  # the field folded into this one as names

    @property
    def distinct(self) -> int:
        return len(self.counts)


def _collect(names: Sequence[str], rows: Sequence[Record]) -> dict[str, _Field]:
    fields = {n: _Field(n) for n in names}
    for row in rows:
        for name, value in row.items():
            info = fields.get(name)
            if info is None or value is None:
                continue
            info.present += 1
            if info.first is None:
                info.first = value
            info.counts[_scalar(value)] += 1
            if not info.non_numeric:
                number = None if isinstance(value, bool) else as_float(value)
                if number is None:
                    info.non_numeric = True
                else:
                    info.numbers.append(number)
    return fields


_ENTITY_ID = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9A-F]{8,}$")
_ID_VALUE = re.compile(r"^(?:[0-9a-fA-F]{16,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")
_ID_KEY = re.compile(r"(?:^|[._])id$|Id$", re.IGNORECASE)


def _entity_ids(info: _Field) -> bool:
    """Whether a field holds Dynatrace entity ids (``SERVICE-…``), which have display names."""
    return info.name.startswith("dt.entity.") or all(_ENTITY_ID.match(value) for value in info.counts)


def _names_field(info: _Field) -> bool:
    """Whether a field can be the display names of an entity-id field: a ``…name`` field of text."""
    if not info.name.lower().endswith("name") or _ID_KEY.search(info.name):
        return False
    return not any(_ENTITY_ID.match(value) or _ID_VALUE.match(value) for value in info.counts)


def _fold_related(fields: dict[str, _Field], rows: Sequence[Record]) -> None:
    """Mark fields identical to an earlier few-valued field, or naming an earlier entity-id field.

    Only a ``…name`` field can be folded in as the names of an entity-id field
    (``service.name`` for ``dt.entity.service``): one-to-one pairs are common by accident in
    small results (one span per trace, one log file per pod), and folding a span id into a
    trace id, or log paths into pod names, would show one value under the other's label.
    """
    few = [f for f in fields.values() if 1 < f.distinct <= FEW_VALUES and f.non_numeric]
    for i, later in enumerate(few):
        for earlier in few[:i]:
            if earlier.same_as or earlier.names or earlier.partner or later.distinct != earlier.distinct:
                continue
            if earlier.present != later.present:
                continue
            pairs: dict[str, str] = {}
            identical, consistent = True, True
            for row in rows:
                a, b = row.get(earlier.name), row.get(later.name)
                if a is None and b is None:
                    continue
                sa, sb = _scalar(a), _scalar(b)
                identical = identical and sa == sb
                if pairs.setdefault(sa, sb) != sb:
                    consistent = False
                    break
            if not consistent:
                continue
            if identical:
                later.same_as = earlier.name
                break
            if _entity_ids(earlier) and _names_field(later):
                later.names, earlier.partner = earlier.name, later.name
                break


def _pairs_of(fields: dict[str, _Field], key: str, rows: Sequence[Record]) -> dict[str, str]:
    partner = fields[key].partner
    if partner is None:
        return {}
    out: dict[str, str] = {}
    for row in rows:
        a, b = row.get(key), row.get(partner)
        if a is not None and b is not None:
            out.setdefault(_scalar(a), _scalar(b))
    return out


def _top(counts: Counter[str], names: dict[str, str] | None = None, *, chars: int = VALUE_CHARS) -> str:
    """``ERROR 2,180, INFO 1,403, +2 more``; ids shown with their names when ``names`` has them."""
    parts = []
    for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_VALUES]:
        text = shorten(value, chars)
        if names and value in names:
            text = f"{shorten(names[value], 30)} ({text})"
        parts.append(f"{text} {n:,}")
    more = len(counts) - TOP_VALUES
    return ", ".join(parts) + (f", +{more:,} more" if more > 0 else "")


def _time_range(info: _Field) -> str | None:
    """``timestamps 2025-03-04 09:40:00Z … 10:40:00Z`` when every value parses as a time."""
    if not isinstance(info.first, str) or info.first[:1].isalpha():
        return None
    times = []
    for value in info.counts:
        parsed = safe_timestamp(value)
        if parsed is None:
            return None
        times.append(parsed)
    return f"times {fmt_time(min(times))} … {fmt_time(max(times))}"


def _describe(info: _Field, fields: dict[str, _Field], rows: Sequence[Record], total: int) -> str:
    """One line for one field; set counts only when some rows lack it."""
    head = f"- {info.name}:"
    if info.present < total:
        head += f" {info.present:,}/{total:,} set;"
    if info.same_as:
        return f"{head} same as {info.same_as}"
    if info.names:
        return f"{head} names of {info.names} (shown there)"
    if info.numbers and not info.non_numeric:
        nums = info.numbers
        return (
            f"{head} min {fmt_num(min(nums))}, avg {fmt_num(sum(nums) / len(nums))}, max {fmt_num(max(nums))}"
        )
    if info.distinct == 1:
        return f"{head} always {shorten(next(iter(info.counts)), VALUE_CHARS)}"
    if info.distinct <= FEW_VALUES:
        return f"{head} {info.distinct:,} values: {_top(info.counts, _pairs_of(fields, info.name, rows))}"
    times = _time_range(info)
    if times:
        return f"{head} {times}"
    # Free text (mostly values with spaces) reads best as patterns; anything else is id-like.
    texts = sum(n for value, n in info.counts.items() if " " in value.strip())
    if texts * 2 >= info.present:
        patterns: Counter[str] = Counter()
        for value, n in info.counts.items():
            patterns[message_pattern(value[:500])] += n
        if len(patterns) <= max(1, PATTERN_SHARE * info.distinct):
            return (
                f"{head} {info.distinct:,} distinct, {len(patterns):,} patterns: {_top(patterns, chars=70)}"
            )
    return f"{head} {info.distinct:,} distinct, e.g. {shorten(_scalar(info.first), VALUE_CHARS)}"


def _examples(records: Sequence[Record], fields: dict[str, _Field], count: int) -> list[str]:
    """Records with different values of the first few-valued field, constant fields left out."""
    constant = {f.name for f in fields.values() if f.distinct == 1 and f.present == len(records)}
    constant |= {f.name for f in fields.values() if f.same_as}
    spread = next((f for f in fields.values() if 1 < f.distinct <= 10 and not f.same_as), None)
    chosen: list[Record] = []
    if spread is not None:
        seen: set[str] = set()
        for record in records:
            value = _scalar(record.get(spread.name))
            if value not in seen:
                seen.add(value)
                chosen.append(record)
                if len(chosen) == count:
                    break
    for record in records:
        if len(chosen) >= count:
            break
        if all(record is not c for c in chosen):
            chosen.append(record)
    lines = []
    for record in chosen:
        parts = [f"{k}={_scalar(v)}" for k, v in record.items() if k not in constant and v is not None]
        lines.append("- " + shorten("; ".join(parts), EXAMPLE_CHARS))
    return lines


def _is_flat(record: Record) -> bool:
    return all(not isinstance(v, dict | list) for v in record.values())


def summarise_dql(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    narrow: str | None = "a filter, fields, summarize or a lower limit in the query",
) -> str:
    """Field profile of the records, then a few representative example records."""
    if not records:
        return fit_sections(
            "The query returned no records. Check the filter values and the timeframe.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    seen: dict[str, None] = {}
    for record in records[:2000]:
        for key in record:
            seen.setdefault(key, None)
    names = list(seen)
    profiled = records[:PROFILE_ROWS]
    fields = _collect(names, profiled)
    _fold_related(fields, profiled)
    sample = f" (profile of the first {len(profiled):,})" if len(profiled) < len(records) else ""
    headline = f"{len(records):,} records with {len(names):,} fields{sample}"
    sections: list[Section] = []
    if len(records) <= TABLE_ROWS and len(names) <= TABLE_FIELDS and all(_is_flat(r) for r in records):
        # Narrow results (summarize/aggregations, top-N lists) are what was asked for: show the
        # rows themselves, as many as fit, before any profile of them.
        sections.append(
            table_section(
                None,
                names,
                [[_scalar(r.get(n)) for n in names] for r in records[: top_n(budget, per_item=25, high=500)]],
                noun="rows",
                total=len(records),
                max_cell_chars=VALUE_CHARS,
            )
        )
    profile = Section(
        "Fields:",
        [_describe(fields[n], fields, profiled, len(profiled)) for n in names[: top_n(budget, per_item=60)]],
        noun="field profiles",
        total=len(names),
    )
    examples = Section(
        "Examples (fields with one value for all records left out):",
        _examples(profiled, fields, max(1, top_n(budget, per_item=700, low=1))),
        noun="records",
        total=len(records),
    )
    sections += [profile] if sections else [profile, examples]
    return fit_sections(
        headline,
        sections,
        budget=budget,
        facts=grail_facts_line(grail, returned=len(records)),
        narrow=narrow,
    )
