"""Safe DQL building: literals, identifiers, ids, times, and hostile input that must stay inert."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynatrace_agent import dql
from dynatrace_agent.dql import (
    DQLValueError,
    Query,
    assert_single_statement,
    contains,
    duration,
    entity_field,
    entity_id,
    eq,
    identifier,
    in_,
    metric_key,
    string_literal,
    time_expression,
    timeframe,
)
from dynatrace_agent.simulator.dql_engine import parser as simulator_dql_parser

HOSTILE = [
    'x" | fieldsRemove content | fetch logs //',
    'checkout") or true or ("',
    "a\nfetch spans",
    "a\r\n| limit 1",
    "back\\slash\\",
    '\\" | fetch bizevents',
    "// comment",
    "/* c */",
    "`backtick`",
    "ünïcödé ✓ 日本語",
    "tab\there",
]


def _skeleton(query: str) -> str:
    """The query with every string literal emptied: what the structure really is."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_inside_one_string(value: str) -> None:
    query = Query.fetch("logs", timeframe("now-1h")).filter(contains("content", value)).limit(10).render()
    assert "\n" not in query and "\r" not in query
    assert (
        _skeleton(query)
        == 'fetch logs, from:now()-1h | filter contains(content, "", caseSensitive:false) | limit 10'
    )


@given(st.text(max_size=200).filter(lambda s: all(ord(c) >= 32 or c in "\n\r\t" for c in s)))
@settings(max_examples=300, deadline=None)
def test_any_printable_text_round_trips_as_one_literal(value: str) -> None:
    try:
        literal = string_literal(value)
    except DQLValueError:
        # Only Unicode line/paragraph separators and other controls are refused.
        assert any(c in value for c in "\u2028\u2029\x7f") or any(0x80 <= ord(c) <= 0x9F for c in value)
        return
    query = Query.fetch("logs").filter(eq("service.name", value)).render()
    assert _skeleton(query) == 'fetch logs | filter service.name == ""'
    assert "\n" not in literal
    # Undo the escapes: the literal holds exactly the input.
    body = literal[1:-1]
    decoded = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)), body)
    assert decoded == value


def test_simulator_parser_accepts_escaped_literals() -> None:
    for value in HOSTILE:
        query = Query.fetch("logs").filter(contains("content", value), eq("loglevel", value))
        simulator_dql_parser.parse(query.render())


@pytest.mark.parametrize("value", ["\x00", "a\x1bb", "x\u2028y", "\x7f"])
def test_control_characters_are_rejected(value: str) -> None:
    with pytest.raises(DQLValueError, match="control character"):
        string_literal(value)


def test_overlong_literal_rejected() -> None:
    with pytest.raises(DQLValueError, match="characters long"):
        string_literal("a" * 5000)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dt.entity.service", "dt.entity.service"),
        ("k8s.pod.name", "k8s.pod.name"),
        ("http.response.status_code", "http.response.status_code"),
        ("count()", "`count()`"),
        ("my field", "`my field`"),
        ("true", "`true`"),
        ("2xx.rate", "`2xx.rate`"),
    ],
)
def test_identifiers(name: str, expected: str) -> None:
    assert identifier(name) == expected


@pytest.mark.parametrize("name", ["", "a`b", "a\nb", " lead", "x" * 300, "a\u2028b"])
def test_bad_identifiers_rejected(name: str) -> None:
    with pytest.raises(DQLValueError):
        identifier(name)


def test_entity_ids() -> None:
    assert entity_id("service-9a1b2c3d4e5f6071") == "SERVICE-9A1B2C3D4E5F6071"
    assert entity_field("PROCESS_GROUP_INSTANCE-0123456789ABCDEF") == "dt.entity.process_group_instance"
    for bad in ["SERVICE-123", 'SERVICE-9A1B2C3D4E5F6071"', "checkout", "SERVICE-9A1B2C3D4E5F6071 | x"]:
        with pytest.raises(DQLValueError, match="entity id"):
            entity_id(bad)


def test_durations_and_metric_keys() -> None:
    assert duration("5m") == "5m"
    assert metric_key("dt.host.cpu.usage") == "dt.host.cpu.usage"
    for bad in ["5 minutes", "1h | limit 1", "-5m", ""]:
        with pytest.raises(DQLValueError):
            duration(bad)
    for bad in ["dt.host.cpu.usage)", 'a.b"']:
        with pytest.raises(DQLValueError):
            metric_key(bad)


@pytest.mark.parametrize(
    ("key", "rendered"),
    [
        ("latency", "latency"),
        ("cpu", "cpu"),
        ("latency_p50", "latency_p50"),
        ("container_cpu_usage_seconds_total", "container_cpu_usage_seconds_total"),
        ("  requests ", "requests"),
        ("dt.host.cpu.usage", "dt.host.cpu.usage"),
        ("dt.service.5xx", "dt.service.5xx"),
        ("my-app.latency", "`my-app.latency`"),
        ("builtin:host.cpu.usage:avg", "`builtin:host.cpu.usage:avg`"),
        ("not", "`not`"),
        ("x" * 255, "x" * 255),
    ],
)
def test_single_word_and_custom_metric_keys(key: str, rendered: str) -> None:
    assert metric_key(key) == rendered


@pytest.mark.parametrize(
    "bad",
    [
        *HOSTILE,
        "",
        "   ",
        "1cpu",
        "_cpu",
        "-cpu",
        "cpu.",
        ".cpu",
        "a..b",
        "cpu usage",
        "cpu)",
        "avg(cpu)",
        "cpu | fetch logs",
        "cpu`) | fetch logs //",
        "`cpu`",
        "cpu,other",
        "cpu{a}",
        "x" * 256,
        "c\u00e9pu".encode().decode("unicode_escape"),
    ],
)
def test_metric_key_rejects_unsafe_text(bad: str) -> None:
    with pytest.raises(DQLValueError):
        metric_key(bad)


def test_metric_key_rejects_non_text() -> None:
    with pytest.raises(DQLValueError):
        metric_key(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("now", "now()"),
        ("now-2h", "now()-2h"),
        ("-30m", "now()-30m"),
        ("now()-1d", "now()-1d"),
        ("2025-03-04T10:15:00Z", '"2025-03-04T10:15:00Z"'),
        ("2025-03-04t10:15:00.123456789z", '"2025-03-04T10:15:00.123456789Z"'),
    ],
)
def test_time_expressions(value: str, expected: str) -> None:
    assert time_expression(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "now-2h | limit 1", "2025-03-04", 'now-2h"', "now+1h"])
def test_bad_times_rejected(value: str) -> None:
    with pytest.raises(DQLValueError, match="not a time"):
        time_expression(value)


def test_timeframe_render() -> None:
    assert timeframe("now-2h").render() == "from:now()-2h"
    assert timeframe("-1h", "-30m").render() == "from:now()-1h, to:now()-30m"


def test_in_and_boolean_combinators() -> None:
    cond = dql.and_(in_("loglevel", ["ERROR", "WARN"]), dql.not_(eq("x", None)), dql.gte("n", 3))
    assert cond.text == '(in(loglevel, {"ERROR", "WARN"}) and not(x == null) and n >= 3)'
    with pytest.raises(DQLValueError):
        in_("loglevel", [])


def test_builders_refuse_bad_tables_limits_and_functions() -> None:
    with pytest.raises(DQLValueError):
        Query.fetch("logs | fetch spans")
    with pytest.raises(DQLValueError):
        Query.fetch("logs").limit(0)
    with pytest.raises(DQLValueError):
        dql.func("count() | fetch")


def test_timeseries_render() -> None:
    query = Query.timeseries(
        [(None, dql.func("avg", dql.Expr("dt.host.cpu.usage")))],
        by=["dt.entity.host"],
        interval="1m",
        window=timeframe("now-1h"),
    ).render()
    assert query == "timeseries {avg(dt.host.cpu.usage)}, by:{dt.entity.host}, interval:1m, from:now()-1h"


@pytest.mark.parametrize(
    "text",
    [
        "fetch logs\n| limit 1",
        "fetch logs // x",
        "delete logs",
        'fetch logs | filter a == "x',
        "fetch logs /* */",
    ],
)
def test_assert_single_statement_rejects(text: str) -> None:
    with pytest.raises(DQLValueError):
        assert_single_statement(text)


def test_assert_single_statement_allows_quoted_specials() -> None:
    assert_single_statement('fetch logs | filter content == "a // b | fetch spans\\n"')


@pytest.mark.parametrize("key", ["latency", "container_cpu_usage_seconds_total", "my-app.latency", "a:b"])
def test_rendered_metric_keys_run_in_the_simulator(key: str) -> None:
    """Bare and backtick-quoted keys both parse in the simulator and find their series."""
    from datetime import UTC, datetime

    from dynatrace_agent.simulator.dql_engine import DataSource, execute

    series = {
        "metric.key": key,
        "dimensions": {"name": "checkout"},
        "start": "2025-03-04T10:00:00Z",
        "interval": "1m",
        "values": [1.0, 2.0, 3.0],
    }
    data = DataSource.from_tables({}, metrics=[series])
    query = (
        f"timeseries {{avg({metric_key(key)})}}, by:{{name}}, interval:1m, "
        'from:"2025-03-04T10:00:00Z", to:"2025-03-04T10:03:00Z"'
    )
    result = execute(query, data, now=datetime(2025, 3, 4, 10, 5, tzinfo=UTC))
    assert len(result.records) == 1
    field = f"avg({metric_key(key)})"
    assert result.records[0][field] == [1.0, 2.0, 3.0]


def test_uid_helpers_and_integer_scan_limit() -> None:
    """trace ids go through toUid; scanLimitGBytes is a whole number (Grail takes a Long)."""
    from dynatrace_agent.dql import uid_eq, uid_in

    assert uid_eq("trace.id", "4BF92F3577B34DA6A3CE929D0E0E4736").text == (
        'trace.id == toUid("4bf92f3577b34da6a3ce929d0e0e4736")'
    )
    assert uid_in("span.id", ["00f067aa0ba902b7"]).text == 'in(span.id, {toUid("00f067aa0ba902b7")})'
    with pytest.raises(DQLValueError, match="not a trace or span id"):
        uid_eq("trace.id", 'x") | fetch logs')
    assert "scanLimitGBytes:1 " in Query.fetch("logs", scan_limit_gb=0.5).render() + " "
    assert "scanLimitGBytes:3" in Query.fetch("logs", scan_limit_gb=2.2).render()
    with pytest.raises(DQLValueError, match="positive"):
        Query.fetch("logs", scan_limit_gb=0)
