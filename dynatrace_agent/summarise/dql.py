"""Any DQL result → a field profile and a few example records.

For arbitrary queries we do not know what matters, so the summary says what is there: each
field's type of values, distinct count and top values (or min/avg/max for numbers), then as
many compact example records as the budget allows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from dynatrace_agent.summarise._common import Record, fmt_num, shorten
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    top_n,
)
from dynatrace_agent.values import as_float

__all__ = ["summarise_dql"]

EXAMPLE_CHARS = 400


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list):
        return shorten(json.dumps(value, default=str, ensure_ascii=False), 60)
    return shorten(str(value), 60)


def _profile(name: str, values: list[Any], rows: int) -> str:
    present = [v for v in values if v is not None]
    numbers = [as_float(v) for v in present if not isinstance(v, bool)]
    # Numbers (and Grail longs sent as strings) get a range; everything else top values.
    if present and len(numbers) == len(present) and all(n is not None for n in numbers):
        nums = [n for n in numbers if n is not None]
        return (
            f"- {name}: {len(present):,}/{rows:,} set; min {fmt_num(min(nums))}, "
            f"avg {fmt_num(sum(nums) / len(nums))}, max {fmt_num(max(nums))}"
        )
    counts = Counter(_scalar(v) for v in present)
    top = ", ".join(f"{v} ({n:,})" for v, n in counts.most_common(4))
    return f"- {name}: {len(present):,}/{rows:,} set, {len(counts):,} distinct; top: {top or '–'}"


def summarise_dql(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    narrow: str | None = "a filter, fields, summarize or a lower limit in the query",
) -> str:
    """Field profile of the records, then example records as one-line JSON."""
    if not records:
        return fit_sections(
            "The query returned no records. Check the filter values and the timeframe.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    fields: dict[str, None] = {}
    for record in records[:2000]:
        for key in record:
            fields.setdefault(key, None)
    names = list(fields)
    profiled = records[:5000]
    headline = (
        f"{len(records):,} records with {len(names):,} fields: "
        + ", ".join(names[:20])
        + (" …" if len(names) > 20 else "")
    )
    profile = Section(
        "Fields:",
        [
            _profile(n, [r.get(n) for r in profiled], len(profiled))
            for n in names[: top_n(budget, per_item=150)]
        ],
        noun="field profiles",
        total=len(names),
    )
    examples = Section(
        "Examples:",
        [
            "- "
            + shorten(json.dumps(r, default=str, ensure_ascii=False, separators=(",", ":")), EXAMPLE_CHARS)
            for r in records[: max(2, top_n(budget, per_item=600))]
        ],
        noun="records",
        total=len(records),
    )
    return fit_sections(
        headline,
        [profile, examples],
        budget=budget,
        facts=grail_facts_line(grail, returned=len(records)),
        narrow=narrow,
    )
