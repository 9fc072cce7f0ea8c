"""The budget fitter's promises beyond "fits": what is cut is marked, what is dropped is named.

``count_tokens(text) <= budget`` holds trivially (the final trim guarantees it), so these
tests state the rest of the contract: text that fits comes back unchanged; cut text is a
prefix ending in the marker; every item that is not shown is counted, exactly, in the
"left out" line; and room for that line is reserved up front, so the whole text is verified
once instead of being re-counted item by item.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynatrace_agent.summarise import budget as budget_module
from dynatrace_agent.summarise.budget import Section, count_tokens, fit_sections, truncate_to_tokens

HEADLINE = "HEADLINE 42 problems"


@given(text=st.text(max_size=400), max_tokens=st.integers(1, 120))
def test_truncation_marks_only_text_that_was_cut(text: str, max_tokens: int) -> None:
    result = truncate_to_tokens(text, max_tokens)
    assert count_tokens(result) <= max_tokens
    if count_tokens(text) <= max_tokens:
        assert result == text
    elif result:
        assert result.endswith("…")
        assert text.startswith(result[: -len("…")])
        assert "\ufffd" not in result or "\ufffd" in text


def test_text_of_exactly_the_budget_is_returned_unchanged() -> None:
    text = "alpha beta gamma delta"
    n = count_tokens(text)
    assert truncate_to_tokens(text, n) == text
    cut = truncate_to_tokens(text, n - 1)
    assert cut != text and cut.endswith("…") and text.startswith(cut[:-1])
    assert truncate_to_tokens(text, n - 1, marker=" [cut]").endswith(" [cut]")
    assert truncate_to_tokens(text, 0) == ""


_item = st.text(alphabet=st.characters(categories=["L", "N", "Zs", "P"]), min_size=1, max_size=60).map(
    lambda s: " ".join(s.split()) or "x"
)


@st.composite
def _sections(draw: st.DrawFn) -> list[Section]:
    count = draw(st.integers(1, 4))
    sections = []
    for s in range(count):
        items = draw(st.lists(_item, max_size=30))
        # Unique, recognisable items: "<s>.<i> text"
        tagged = [f"#{s}.{i} {text}" for i, text in enumerate(items)]
        extra = draw(st.integers(0, 50))
        title = draw(st.one_of(st.none(), st.just(f"## Section {s}")))
        sections.append(Section(title, tagged, noun=f"thing{s}s", total=len(tagged) + extra))
    return sections


def _shown(text: str, section: int) -> list[str]:
    return [line for line in text.split("\n") if line.startswith(f"#{section}.")]


@given(sections=_sections(), budget=st.integers(100, 700))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_every_item_not_shown_is_counted_in_the_left_out_line(sections: list[Section], budget: int) -> None:
    text = fit_sections(HEADLINE, sections, budget=budget, narrow="a narrower timeframe")
    assert count_tokens(text) <= budget
    lines = text.split("\n")
    assert lines[0] == HEADLINE
    expected: list[str] = []
    for index, section in enumerate(sections):
        shown = _shown(text, index)
        # Items appear in priority order: a prefix of the section, never a later one alone.
        assert shown == list(section.items[: len(shown)])
        if shown:
            missing = section.available - len(shown)
            if missing:
                expected.append(f"{missing:,} more {section.noun}")
        elif section.available:
            expected.append(f"{section.available:,} {section.noun}")
    left_out = [line for line in lines if line.startswith("left out: ")]
    if not expected:
        assert left_out == []
    else:
        assert len(left_out) == 1 and left_out[0] == lines[-1]
        listed = re.sub(r"\. Narrow with .*$", "", left_out[0][len("left out: ") :])
        # Partly shown sections first, then sections left out entirely, each in priority order.
        assert sorted(listed.split(", ")) == sorted(expected)


def test_a_dropped_section_is_named_with_its_total() -> None:
    big = Section("## Logs", [f"#0.{i} " + "word " * 30 for i in range(40)], noun="log lines", total=900)
    later = Section("## Traces", [f"#1.{i} span" for i in range(5)], noun="spans", total=5, min_items=5)
    text = fit_sections(HEADLINE, [big, later], budget=300, narrow="a shorter timeframe")
    shown = _shown(text, 0)
    assert 0 < len(shown) < 40
    left_out = f"left out: {900 - len(shown):,} more log lines, 5 spans. Narrow with a shorter timeframe"
    assert text.endswith("\n" + left_out)


def test_room_for_the_left_out_line_is_reserved_so_the_text_is_verified_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Items are taken by running total leaving room for the "left out" line; the assembled
    text is then counted once. Filling the budget first and trimming afterwards would count
    the whole text again for every item it has to give back."""
    whole_text_counts: list[str] = []
    real = budget_module.count_tokens

    def counting(text: str) -> int:
        if text.startswith(HEADLINE + "\n"):
            whole_text_counts.append(text)
        return real(text)

    monkeypatch.setattr(budget_module, "count_tokens", counting)
    facts_line = "Grail: scanned 2.5 GB, 1,234 records; not sampled"
    for budget in range(100, 1600, 61):
        for width in (1, 4, 9, 25):
            for facts in (None, facts_line):
                for titled in range(3):
                    whole_text_counts.clear()
                    sections = [
                        Section(_title("A", titled), [f"| a{i} | " + "alpha " * width for i in range(60)],
                                noun="rows", total=200),
                        Section(_title("B", titled), [f"| b{i} | " + "beta " * width for i in range(60)],
                                noun="spans"),
                    ]  # fmt: skip
                    text = fit_sections(
                        HEADLINE, sections, budget=budget, facts=facts, narrow="a shorter timeframe"
                    )
                    assert "left out: " in text
                    if facts and budget > 200:
                        assert facts_line in text
                    assert len(whole_text_counts) == 1, (budget, width, facts, titled, len(whole_text_counts))


def _title(name: str, kind: int) -> str | None:
    """No title, a heading, or a heading with a table header (three lines)."""
    return [None, f"## {name}", f"## {name}\n| service | count |\n|---|---|"][kind]
