"""DQL values stated exactly: numbers, literals, names, ids, times, limits and the single-statement
check. Every value a capability puts into a query goes through these; each accepted input has
one exact rendering and each refused one a message saying what to write instead.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dynatrace_agent.dql import (
    DQLValueError,
    Query,
    assert_single_statement,
    entity_id,
    identifier,
    literal,
    number_literal,
    time_expression,
    timeframe,
)


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (-7, "-7"), (1.5, "1.5"), (1e-7, "1e-07"), (2.0, "2.0")]
)
def test_numbers_render_exactly(value: float, text: str) -> None:
    assert number_literal(value) == text


@pytest.mark.parametrize("value", [True, False, "1", None, [1]])
def test_non_numbers_are_refused(value: object) -> None:
    with pytest.raises(DQLValueError, match="expected a number, got"):
        number_literal(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_refused(value: float) -> None:
    with pytest.raises(DQLValueError, match="must be finite"):
        number_literal(value)


def test_literals_of_every_scalar_kind() -> None:
    assert literal(None) == "null"
    assert literal(True) == "true" and literal(False) == "false"
    assert literal("a") == '"a"'
    assert literal(3) == "3" and literal(0.5) == "0.5"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("dt.entity.service", "dt.entity.service"),
        ("k8s.pod.name", "k8s.pod.name"),
        ("count()", "`count()`"),
        ("my field", "`my field`"),
        ("true", "`true`"),  # a keyword is quoted, not used bare
        ("Desc", "`Desc`"),
        ("x" * 200, "x" * 200),
    ],
)
def test_identifiers(name: str, text: str) -> None:
    assert identifier(name) == text


@pytest.mark.parametrize("name", ["", "x" * 201, "a`b", "a\nb", " padded", 7])
def test_unusable_identifiers_are_refused(name: object) -> None:
    with pytest.raises(DQLValueError):
        identifier(name)  # type: ignore[arg-type]


def test_entity_ids_are_upper_cased_and_checked() -> None:
    assert entity_id(" service-9a1b2c3d4e5f6071 ") == "SERVICE-9A1B2C3D4E5F6071"
    assert entity_id("PROCESS_GROUP_INSTANCE-0000000000000001") == "PROCESS_GROUP_INSTANCE-0000000000000001"
    bad_ids = ("SERVICE-9A1B2C3D4E5F607", "SERVICE-9A1B2C3D4E5F60712", "9A1B2C3D4E5F6071", "S_9A1B2C")
    for bad in bad_ids:
        with pytest.raises(DQLValueError, match="is not a Dynatrace entity id; ids look like"):
            entity_id(bad)
    with pytest.raises(DQLValueError, match="expected an entity id, got int"):
        entity_id(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("now", "now()"),
        ("NOW()", "now()"),
        (" now ", "now()"),
        ("now-2h", "now()-2h"),
        ("-30m", "now()-30m"),
        ("now()-1D", "now()-1d"),
        ("now - 007s", "now()-7s"),
        ("now-2w", "now()-2w"),
        ("2025-03-04T10:15:00Z", '"2025-03-04T10:15:00Z"'),
        ("2025-03-04t10:15z", '"2025-03-04T10:15Z"'),
        ("2025-03-04T10:15:00.123+01:00", '"2025-03-04T10:15:00.123+01:00"'),
        (datetime(2025, 3, 4, 10, 15, tzinfo=UTC), '"2025-03-04T10:15:00Z"'),
        (datetime(2025, 3, 4, 10, 15, tzinfo=timezone(timedelta(hours=2))), '"2025-03-04T10:15:00+02:00"'),
    ],
)
def test_time_expressions(value: str | datetime, text: str) -> None:
    assert time_expression(value) == text


@pytest.mark.parametrize(
    "value", ["yesterday", "now+1h", "now-1y", "2025-03-04T10:15:00", "now-1234567h", ""]
)
def test_unusable_times_are_refused_with_examples(value: str) -> None:
    with pytest.raises(DQLValueError, match="is not a time; use now, now-2h, -30m or an ISO timestamp"):
        time_expression(value)


def test_naive_datetimes_and_other_types_are_refused() -> None:
    with pytest.raises(DQLValueError, match="need a time zone"):
        time_expression(datetime(2025, 3, 4, 10, 15))
    with pytest.raises(DQLValueError, match="expected a time, got int"):
        time_expression(5)  # type: ignore[arg-type]


def test_timeframes() -> None:
    default = timeframe()
    assert (default.start, default.end, default.text) == ("now()-2h", None, "now-2h .. now")
    assert default.render() == "from:now()-2h"
    until_now = timeframe("-1h", "now")
    assert until_now.end is None and until_now.text == "-1h .. now"
    window = timeframe("2025-03-04T10:00:00Z", "2025-03-04T11:00:00Z")
    assert window.render() == 'from:"2025-03-04T10:00:00Z", to:"2025-03-04T11:00:00Z"'
    assert window.text == "2025-03-04T10:00:00Z .. 2025-03-04T11:00:00Z"
    with pytest.raises(DQLValueError):
        timeframe("now-2h", "later")


@pytest.mark.parametrize("count", [1, 100_000])
def test_limit_accepts_1_to_100000(count: int) -> None:
    assert Query.fetch("logs").limit(count).render() == f"fetch logs | limit {count}"


@pytest.mark.parametrize("count", [0, 100_001, -1, True, 5.0])
def test_limit_outside_its_range_is_refused(count: object) -> None:
    with pytest.raises(DQLValueError, match=r"^limit must be a whole number between 1 and 100000$"):
        Query.fetch("logs").limit(count)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "fetch logs",
        "timeseries avg(dt.host.cpu.usage)",
        'fetch logs | filter contains(content, "a // b | c /* d")',
        "fetch logs | fields `weird // name`",
        "data record(a = 1)",
    ],
)
def test_single_read_statements_pass(text: str) -> None:
    assert_single_statement(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('fetch logs | filter content == "open', "unterminated string or field name"),
        ("fetch logs | fields `open", "unterminated string or field name"),
        ("fetch logs\n| limit 1", "line breaks outside strings"),
        ("fetch logs\r| limit 1", "line breaks outside strings"),
        ("fetch logs\u2028| limit 1", "line breaks outside strings"),
        ("fetch logs \x00", "line breaks outside strings"),
        ("fetch logs // note", "must not contain comments"),
        ("fetch logs /* note */", "must not contain comments"),
        ("delete logs", "must start with one of"),
        ("", "must start with one of"),
    ],
)
def test_anything_but_one_read_statement_is_refused(text: str, message: str) -> None:
    with pytest.raises(DQLValueError, match=message):
        assert_single_statement(text)


def test_the_refusal_names_the_first_word() -> None:
    with pytest.raises(DQLValueError, match=r"got 'delete'$"):
        assert_single_statement("delete logs")
    with pytest.raises(DQLValueError, match=r"got 'fetch2'$"):
        assert_single_statement("fetch2, logs")
