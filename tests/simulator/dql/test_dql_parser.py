"""Parse errors: Grail-style error types and 1-based positions; plus a fuzz test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynatrace_agent.simulator.dql_engine import DataSource, DQLParseError, execute, parse
from dynatrace_agent.simulator.dql_engine.ast import FetchCmd, FilterCmd, SummarizeCmd

NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "error_type", "line", "column"),
    [
        ("", "COMMAND_NAME_MISSING", 1, 1),
        ("fetch logs |", "COMMAND_NAME_MISSING", 1, 13),
        ("fetch logz", "UNKNOWN_DATA_OBJECT", 1, 7),
        ("fetch logs\n| filtr x", "UNKNOWN_COMMAND", 2, 3),
        ("fetch logs | Filter x == 1", "UNKNOWN_COMMAND", 1, 14),
        ("fetch logs | join [fetch spans]", "UNSUPPORTED_COMMAND", 1, 14),
        ("filter x == 1", "PARSE_ERROR_INVALID_STARTING_COMMAND", 1, 1),
        ("fetch logs | fetch spans", "PARSE_ERROR_INVALID_COMMAND_POSITION", 1, 14),
        ("fetch logs | filter foo(x)", "UNKNOWN_FUNCTION", 1, 21),
        ('fetch logs | filter Contains(x, "a")', "UNKNOWN_FUNCTION", 1, 21),
        ("fetch logs | filter count() > 1", "AGGREGATION_NOT_ALLOWED", 1, 21),
        ("fetch logs | summarize lower(x)", "PARSE_ERROR_AGGREGATION_EXPECTED", 1, 24),
        ("fetch logs | filter contains(x)", "WRONG_NUMBER_OF_PARAMETERS", 1, 21),
        ('fetch logs | filter contains(x, "a", exact: true)', "UNKNOWN_PARAMETER", 1, 45),
        ('fetch logs | filter x == "abc', "PARSE_ERROR_UNTERMINATED_STRING", 1, 26),
        ("fetch logs | filter x == 5x", "PARSE_ERROR_INVALID_DURATION", 1, 26),
        ("fetch logs | filter x == 1 == 2", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 28),
        ("fetch logs | filter x == null", "PARSE_ERROR_NULL_COMPARISON", 1, 26),
        ("fetch logs | filter x in [1]", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 23),
        ("fetch logs | filter (x == 1", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 28),
        ("fetch logs | limit -1", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 20),
        ("fetch logs | limit 1, 2", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 14),
        ("fetch logs | sort", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 14),
        ('fetch logs, bucket: "x"', "UNSUPPORTED_PARAMETER", 1, 13),
        ("fetch logs, frm: -1h", "UNKNOWN_PARAMETER", 1, 13),
        ("fetch logs | filter timestamp > now()@h", "UNSUPPORTED_SYNTAX", 1, 38),
        ("fetch logs | filter x == 1 # comment", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 28),
        ("fetch logs | summarize percentile(x, 120)", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 38),
        ('fetch logs | filter "text"', "PARSE_ERROR_BOOLEAN_EXPECTED", 1, 21),
        ("fetch logs | fieldsRename a", "PARSE_ERROR_UNEXPECTED_TOKEN", 1, 27),
        ("fetch logs | filter x == 1 /* open", "PARSE_ERROR_UNTERMINATED_COMMENT", 1, 28),
    ],
)
def test_parse_errors(query: str, error_type: str, line: int, column: int) -> None:
    with pytest.raises(DQLParseError) as err:
        parse(query)
    assert err.value.error_type == error_type, err.value.message
    assert (err.value.line, err.value.column) == (line, column), err.value.message
    assert err.value.index <= err.value.end_index
    position = err.value.syntax_error_position()
    assert position["start"] == {"line": line, "column": column, "index": err.value.index}
    assert err.value.message in str(err.value)


def test_unknown_function_suggests_the_right_case() -> None:
    with pytest.raises(DQLParseError) as err:
        parse('fetch logs | filter startswith(content, "a")')
    assert "startsWith" in err.value.message


def test_parse_builds_typed_commands() -> None:
    query = parse(
        'fetch logs, from: -1h\n| filter loglevel == "ERROR"\n'
        "| summarize n = count(), by: {svc = dt.entity.service}"
    )
    fetch, filt, summ = query.commands
    assert isinstance(fetch, FetchCmd) and fetch.table == "logs" and fetch.from_ is not None
    assert isinstance(filt, FilterCmd)
    assert isinstance(summ, SummarizeCmd)
    assert [a.name for a in summ.aggregations] == ["n"] and [b.name for b in summ.by] == ["svc"]


def test_backtick_identifiers_and_triple_quoted_strings() -> None:
    data = DataSource.from_tables(
        {"logs": [{"timestamp": "2025-03-04T10:00:00Z", "my field": 'say "hi" now'}]}
    )
    result = execute(
        'fetch logs | filter `my field` == """say "hi" now""" | fieldsRename `New Name` = `my field`',
        data,
        now=NOW,
    )
    assert result.records[0]["New Name"] == 'say "hi" now'


_FRAGMENTS = st.sampled_from(
    [
        "fetch",
        "logs",
        "spans",
        "timeseries",
        "avg(",
        "dt.x",
        "|",
        "filter",
        "summarize",
        "count()",
        "by:",
        "{",
        "}",
        "(",
        ")",
        ",",
        "==",
        "!=",
        ">=",
        "and",
        "or",
        "not",
        '"a"',
        "'b'",
        "5m",
        "-",
        "now()",
        "in(",
        "contains(",
        "x",
        "1",
        "2.5",
        "sort",
        "desc",
        "limit",
        "fields",
        "=",
        ":",
        "from:",
        "interval:",
        "makeTimeseries",
        "bin(timestamp, 5m)",
        "percentile(x, 90)",
        "fieldsAdd",
        "dedup",
        "\\",
        "`",
        "null",
        "true",
        "/",
        "*",
        "%",
        "\n",
        "//",
        "toTimestamp(",
        "lower(",
        "isNull(",
        "@",
        "[",
        "takeFirst(",
        "countIf(",
    ]
)

_DATA = DataSource.from_tables(
    {
        "logs": [
            {"timestamp": "2025-03-04T10:00:00Z", "x": 1, "content": "a"},
            {"timestamp": "2025-03-04T10:01:00Z", "x": "s", "content": None},
        ]
    },
    [
        {
            "metric.key": "dt.x",
            "dimensions": {"x": "1"},
            "start": "2025-03-04T10:00:00Z",
            "interval": "1m",
            "values": [1.0, None],
        }
    ],
)


def _outcome(query: str) -> None:
    try:
        execute(query, _DATA, now=NOW, max_records=5)
    except DQLParseError as err:
        assert err.error_type and err.message
        assert err.line >= 1 and err.column >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENTS, max_size=14).map(" ".join))
def test_fuzz_token_soup_gives_a_result_or_a_parse_error(query: str) -> None:
    _outcome(query)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_text_gives_a_result_or_a_parse_error(query: str) -> None:
    _outcome(query)
    _outcome("fetch logs | filter " + query)
