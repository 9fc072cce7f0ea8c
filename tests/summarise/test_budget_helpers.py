"""The small pieces every summary is built from, stated exactly: cells, tables, Grail facts, limits.

Summaries are read by a model and by people; a table whose header drifts from its rows, a
size printed in the wrong unit or a budget range that is off by one all read as plausible
text, so each piece is pinned to its exact output here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dynatrace_agent.summarise.budget import (
    MAX_BUDGET,
    MIN_BUDGET,
    Section,
    _left_out_line,
    _Placed,
    _render,
    check_budget,
    count_tokens,
    fit_sections,
    grail_facts_line,
    md_cell,
    table_section,
    top_n,
)


def test_check_budget_accepts_exactly_the_documented_range() -> None:
    assert check_budget(MIN_BUDGET) == MIN_BUDGET == 100
    assert check_budget(MAX_BUDGET) == MAX_BUDGET == 8000
    for bad in (MIN_BUDGET - 1, MAX_BUDGET + 1, 0, -5):
        with pytest.raises(ValueError, match="from 100 to 8000"):
            check_budget(bad)
    for bad_type in (True, 150.0, "150", None):
        with pytest.raises(ValueError, match="whole number"):
            check_budget(bad_type)  # type: ignore[arg-type]
    assert check_budget(5, low=5, high=5) == 5


def test_top_n_offers_a_dozen_at_the_default_budget_and_stays_within_3_to_100() -> None:
    assert top_n(1500) == 12
    assert top_n(120) == 3 and top_n(359) == 3 and top_n(360) == 3 and top_n(480) == 4
    assert top_n(12_000) == 100 and top_n(12_120) == 100 and top_n(11_999) == 99
    assert top_n(0) == 3


def test_md_cell_makes_one_escaped_line_of_at_most_max_chars() -> None:
    assert md_cell(None) == ""
    assert md_cell(0) == "0"
    assert md_cell("a |b\n  c\t d") == "a \\|b c d"
    exact = "x" * 80
    assert md_cell(exact) == exact
    assert md_cell(exact + "y") == "x" * 79 + "…"
    assert len(md_cell("z" * 500)) == 80
    assert md_cell("abcdef", max_chars=4) == "abc…"


def test_table_section_renders_a_markdown_table_with_one_item_per_row() -> None:
    section = table_section("## Errors", ["service", "count"], [["checkout", 15], ["pay|ment", None]])
    assert section.title == "## Errors\n| service | count |\n|---|---|"
    assert list(section.items) == ["| checkout | 15 |", "| pay\\|ment |  |"]
    assert section.noun == "rows" and section.total is None
    untitled = table_section(None, ["a"], [["1"]], noun="spans", total=7)
    assert untitled.title == "| a |\n|---|"
    assert (untitled.noun, untitled.total, untitled.available) == ("spans", 7, 7)
    long = table_section(None, ["c" * 90], [["v" * 90]])
    assert long.title == "| " + "c" * 79 + "… |\n|---|"
    assert list(long.items) == ["| " + "v" * 79 + "… |"]
    narrow = table_section(None, ["column"], [["value"]], max_cell_chars=3)
    assert narrow.title == "| co… |\n|---|" and list(narrow.items) == ["| va… |"]


@dataclass
class Facts:
    scanned_bytes: int = 0
    scanned_records: int = 0
    sampled: bool = False
    record_limit_reached: bool = False


@pytest.mark.parametrize(
    ("scanned", "shown"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1000, "1 KB"),
        (999_999, "1e+03 KB"),
        (1_000_000, "1 MB"),
        (2_500_000, "2.5 MB"),
        (1_000_000_000, "1 GB"),
        (2_500_000_000, "2.5 GB"),
    ],
)
def test_grail_facts_name_the_scanned_size_in_the_largest_unit(scanned: int, shown: str) -> None:
    line = grail_facts_line(Facts(scanned_bytes=scanned, scanned_records=1234))
    assert line == f"Grail: scanned {shown}, 1,234 records; not sampled"


def test_grail_facts_say_sampled_returned_and_record_limit() -> None:
    assert grail_facts_line(None) is None
    assert grail_facts_line(Facts()) == "Grail: scanned 0 bytes, 0 records; not sampled"
    full = Facts(scanned_bytes=10, scanned_records=5, sampled=True, record_limit_reached=True)
    assert grail_facts_line(full, returned=1000) == (
        "Grail: scanned 10 bytes, 5 records; 1,000 returned; sampled; "
        "record limit reached (results are partial)"
    )

    class Broken:
        scanned_bytes = "lots"
        scanned_records = 1
        sampled = False
        record_limit_reached = False

    assert grail_facts_line(Broken()) is None  # type: ignore[arg-type]


def test_fit_sections_shows_title_items_facts_and_narrow_when_everything_fits() -> None:
    sections = [Section("## A", ["a1", "a2"], noun="rows"), Section(None, ["b1"], noun="spans")]
    text = fit_sections("Head", sections, budget=200, facts="Grail: facts", narrow="a smaller window")
    assert text == "Head\n## A\na1\na2\nb1\nGrail: facts"
    # Nothing left out: no "left out" line and no narrowing hint.


def test_fit_sections_names_the_narrowing_hint_only_when_something_is_left_out() -> None:
    sections = [Section("## A", ["a1", "a2"], noun="rows", total=5)]
    text = fit_sections("Head", sections, budget=200, narrow="a smaller window")
    assert text == "Head\n## A\na1\na2\nleft out: 3 more rows. Narrow with a smaller window"
    assert fit_sections("Head", sections, budget=200).endswith("left out: 3 more rows")


def test_fit_sections_skips_a_section_without_items_and_names_an_empty_total() -> None:
    sections = [Section("## Empty", [], noun="rows"), Section("## Only counted", [], noun="spans", total=1)]
    assert fit_sections("Head", sections, budget=200) == "Head\nleft out: 1 spans"


def test_a_headline_longer_than_half_the_budget_is_cut_to_half() -> None:
    headline = " ".join(f"word{i}" for i in range(400))
    text = fit_sections(headline, [Section(None, ["item"])], budget=200)
    first = text.split("\n")[0]
    assert first.endswith("…") and 95 <= count_tokens(first) <= 100
    assert text.split("\n")[1] == "item"


def test_the_facts_line_is_kept_when_it_fits_and_dropped_when_it_does_not() -> None:
    facts = "Grail: scanned 2.5 GB, 1,234 records; not sampled"
    head = "Head"
    fits = fit_sections(head, [], budget=count_tokens(head) + 1 + count_tokens(facts), facts=facts)
    assert fits == f"{head}\n{facts}"
    too_small = fit_sections(head, [], budget=count_tokens(head) + count_tokens(facts), facts=facts)
    assert too_small == head


def test_an_empty_headline_adds_no_empty_first_line() -> None:
    assert fit_sections("", [Section(None, ["a", "b"])], budget=100) == "a\nb"


def test_a_section_whose_items_were_all_given_back_is_counted_whole_and_not_rendered() -> None:
    """When the final check gives back every item of a placed section, that section is shown
    nowhere and is named in the "left out" line with its full count (not "N more")."""
    emptied = _Placed(Section("## Logs", ["l1", "l2"], noun="log lines", total=9), title_tokens=3)
    one_left = _Placed(Section("## Spans", ["s1"], noun="spans", total=1), title_tokens=3, items=["s1"])
    partly = _Placed(Section("## Events", ["e1", "e2"], noun="events"), title_tokens=3, items=["e1"])
    none_at_all = _Placed(Section("## Nothing", [], noun="rows", total=0), title_tokens=3)
    single = _Placed(Section("## One", ["o1"], noun="ones"), title_tokens=3)
    line = _left_out_line([emptied, none_at_all, single, one_left, partly], [], "a window")
    assert line == "left out: 9 log lines, 1 ones, 1 more events. Narrow with a window"
    text = _render("Head", [emptied, one_left, partly], None, line)
    assert text == f"Head\n## Spans\ns1\n## Events\ne1\n{line}"
