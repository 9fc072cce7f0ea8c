"""The budget fitter and every summariser never exceed the token budget, whatever the data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynatrace_agent.summarise import (
    count_tokens,
    summarise_alerting_rules,
    summarise_bizevents,
    summarise_dql,
    summarise_entities,
    summarise_events,
    summarise_logs,
    summarise_metrics,
    summarise_problem,
    summarise_problems,
    summarise_sessions,
    summarise_slos,
    summarise_traces,
)
from dynatrace_agent.summarise.budget import (
    Section,
    check_budget,
    fit_sections,
    grail_facts_line,
    table_section,
    truncate_to_tokens,
)


class FakeGrail:
    scanned_bytes = 12_300_000_000
    scanned_records = 4_500_000
    sampled = True
    record_limit_reached = True


def test_count_tokens_is_cl100k() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") > 1  # special text counted as plain text, never raises


def test_check_budget_bounds() -> None:
    assert check_budget(1500) == 1500
    for bad in (99, 8001, True, 1.5):
        with pytest.raises(ValueError, match="100 to 8000"):
            check_budget(bad)  # type: ignore[arg-type]


def test_fit_sections_priority_and_left_out_line() -> None:
    items = [f"- item number {i} with some words" for i in range(500)]
    text = fit_sections(
        "HEADLINE 500 items",
        [Section("Top:", items, noun="items"), Section("Later:", ["- never shown"] * 50, noun="extras")],
        budget=200,
        facts=grail_facts_line(FakeGrail()),
        narrow="service or level",
    )
    lines = text.splitlines()
    assert count_tokens(text) <= 200
    assert lines[0] == "HEADLINE 500 items"
    assert lines[1] == "Top:" and lines[2] == items[0]
    assert lines[-2].startswith("Grail: scanned 12.3 GB, 4,500,000 records; sampled; record limit reached")
    assert lines[-1].startswith("left out: ") and "more items" in lines[-1] and "50 extras" in lines[-1]
    assert lines[-1].endswith("Narrow with service or level")


def test_fit_sections_without_cuts_has_no_left_out_line() -> None:
    text = fit_sections("head", [Section("S:", ["- a", "- b"])], budget=100)
    assert text == "head\nS:\n- a\n- b"


def test_huge_headline_is_cut() -> None:
    text = fit_sections("word " * 5000, [], budget=60)
    assert count_tokens(text) <= 60 and text.endswith("…")


def test_truncate_to_tokens() -> None:
    assert truncate_to_tokens("short", 10) == "short"
    cut = truncate_to_tokens("lorem ipsum " * 100, 7)
    assert count_tokens(cut) <= 7


def test_table_section_escapes_cells() -> None:
    section = table_section("T:", ["a", "b"], [["x|y", "multi\nline"]])
    assert section.items == ["| x\\|y | multi line |"]


# --- property: every summariser, random records, random budgets -------------------------------

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.sampled_from(
        ["ERROR", "WARN", "FRUSTRATED", "SERVICE-00000000000000A1", "2025-03-04T10:00:00Z", "123"]
    ),
)
keys = st.sampled_from(
    [
        "content",
        "loglevel",
        "status",
        "dt.entity.service",
        "service.name",
        "timestamp",
        "trace.id",
        "span.id",
        "span.parent_id",
        "span.name",
        "duration",
        "request.is_failed",
        "event.type",
        "event.name",
        "event.id",
        "dt.rum.user_tag",
        "frontend.name",
        "error.count",
        "dt.rum.session.id",
        "displayId",
        "problemId",
        "title",
        "severityLevel",
        "entityId",
        "displayName",
        "type",
        "name",
        "target",
        "x",
        "start_time",
        "http.response.status_code",
        "interval",
        "values",
    ]
)
value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=3), max_leaves=8
)
records = st.lists(st.dictionaries(keys, value, max_size=12), max_size=40)

SUMMARISERS: Sequence[Callable[[list[dict[str, Any]], int], str]] = [
    lambda r, b: summarise_logs(r, budget=b, grail=FakeGrail(), baseline=r[:3]),
    lambda r, b: summarise_traces(r, budget=b, grail=FakeGrail()),
    lambda r, b: summarise_metrics(r, budget=b),
    lambda r, b: summarise_sessions(r, budget=b),
    lambda r, b: summarise_bizevents(r, budget=b),
    lambda r, b: summarise_events(r, budget=b),
    lambda r, b: summarise_problems(r, budget=b),
    lambda r, b: summarise_problem(r[0] if r else {}, budget=b),
    lambda r, b: summarise_entities(r, budget=b),
    lambda r, b: summarise_alerting_rules(r, budget=b),
    lambda r, b: summarise_slos(r, budget=b),
    lambda r, b: summarise_dql(r, budget=b, grail=FakeGrail()),
]


@pytest.mark.parametrize("index", range(len(SUMMARISERS)))
@given(data=records, budget=st.integers(50, 5000))
# a fifth of the profile's examples per summariser (12 of them): 20 in a normal run, 200 nightly
@settings(
    max_examples=max(20, settings.default.max_examples // 5),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_summaries_never_exceed_budget(index: int, data: list[dict[str, Any]], budget: int) -> None:
    text = SUMMARISERS[index](data, budget)
    assert isinstance(text, str) and text
    assert count_tokens(text) <= budget


@given(
    items=st.lists(st.text(max_size=400), max_size=200),
    titles=st.lists(st.text(max_size=50), min_size=1, max_size=4),
    budget=st.integers(50, 5000),
    head=st.text(max_size=3000),
)
@settings(max_examples=150, deadline=None)
def test_fit_sections_never_exceeds_budget(
    items: list[str], titles: list[str], budget: int, head: str
) -> None:
    sections = [
        Section(t, items[i :: len(titles)], noun="things", total=len(items) * 3) for i, t in enumerate(titles)
    ]
    text = fit_sections(head, sections, budget=budget, facts=grail_facts_line(FakeGrail()), narrow="x" * 50)
    assert count_tokens(text) <= budget


def test_absurd_metric_interval_does_not_break_the_summary() -> None:
    from dynatrace_agent.summarise.metrics import summarise_metrics

    series = [
        {"interval": 8.64e22, "timeframe": {"start": "2025-03-04T10:00:00Z"}, "avg(x)": [1.0, 1.0, 9.0, 9.0]}
    ]
    assert summarise_metrics(series, budget=300)
