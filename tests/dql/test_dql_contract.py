"""The exact DQL each helper renders and the exact limits each validator enforces.

Grail parses the text byte for byte, so a helper that renders ``>`` for ``>=``, drops a brace,
forgets ``caseSensitive:false`` or lets a 2,001-character value through is a wrong query on a
real tenant even when it still "looks like" DQL. These tests pin the rendered text and the
boundaries the docstrings promise, and check that every refusal says what to do instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dynatrace_agent import dql
from dynatrace_agent.dql import (
    DQLValueError,
    Expr,
    Query,
    and_,
    assert_single_statement,
    contains,
    duration,
    entity_field,
    entity_id,
    eq,
    field_ref,
    func,
    gte,
    identifier,
    in_,
    is_true,
    is_uid,
    literal,
    lte,
    member_of,
    metric_key,
    ne,
    not_,
    number_literal,
    or_,
    scan_limit_gbytes,
    string_literal,
    time_expression,
    timeframe,
    uid,
    uid_eq,
    uid_in,
)

# --- literals -----------------------------------------------------------------------------------


def test_string_literal_escapes_each_special_character_exactly() -> None:
    assert string_literal("") == '""'
    assert string_literal("plain") == '"plain"'
    assert string_literal("a\\b") == '"a\\\\b"'
    assert string_literal('say "hi"') == '"say \\"hi\\""'
    assert string_literal("l1\nl2") == '"l1\\nl2"'
    assert string_literal("l1\rl2") == '"l1\\rl2"'
    assert string_literal("c1\tc2") == '"c1\\tc2"'


def test_string_literal_length_limit_is_inclusive_and_the_error_names_both_lengths() -> None:
    limit = dql.MAX_LITERAL_CHARS
    assert limit == 2000
    assert string_literal("x" * limit) == '"' + "x" * limit + '"'
    with pytest.raises(DQLValueError) as err:
        string_literal("x" * (limit + 1))
    assert str(err.value) == "text is 2001 characters long; keep search values under 2000"


@pytest.mark.parametrize(
    ("char", "code"), [("\x00", "0000"), ("\x1b", "001B"), ("\u2028", "2028"), ("\u2029", "2029")]
)
def test_string_literal_names_the_rejected_control_character(char: str, code: str) -> None:
    with pytest.raises(DQLValueError) as err:
        string_literal(f"a{char}b")
    assert str(err.value) == f"text contains the control character U+{code}; remove it and try again"


def test_string_literal_refuses_non_text_naming_the_type() -> None:
    with pytest.raises(DQLValueError) as err:
        string_literal(5)  # type: ignore[arg-type]
    assert str(err.value) == "expected text for a DQL string, got int"


def test_number_literal_renders_ints_and_floats_exactly() -> None:
    assert number_literal(0) == "0"
    assert number_literal(-12) == "-12"
    assert number_literal(2.5) == "2.5"
    assert number_literal(3.0) == "3.0"


@pytest.mark.parametrize("value", [True, False, "3", None])
def test_number_literal_refuses_booleans_and_non_numbers(value: object) -> None:
    with pytest.raises(DQLValueError) as err:
        number_literal(value)  # type: ignore[arg-type]
    assert str(err.value) == f"expected a number, got {value!r}"


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_number_literal_refuses_non_finite(value: float) -> None:
    with pytest.raises(DQLValueError, match=r"^numbers in a query must be finite$"):
        number_literal(value)


def test_literal_maps_each_scalar_kind() -> None:
    assert literal(None) == "null"
    assert literal(True) == "true"
    assert literal(False) == "false"
    assert literal("x") == '"x"'
    assert literal(7) == "7"
    assert literal(0.25) == "0.25"


# --- identifiers, ids, metric keys ----------------------------------------------------------------


def test_identifier_keeps_plain_dotted_names_and_backticks_the_rest() -> None:
    assert identifier("dt.entity.service") == "dt.entity.service"
    assert identifier("_private.a1") == "_private.a1"
    assert identifier("count()") == "`count()`"
    assert identifier("my field") == "`my field`"
    assert identifier("1st") == "`1st`"
    assert identifier("a..b") == "`a..b`"


@pytest.mark.parametrize("keyword", ["true", "FALSE", "null", "and", "Or", "not", "xor", "asc", "desc"])
def test_identifier_quotes_keywords_in_any_case(keyword: str) -> None:
    assert identifier(keyword) == f"`{keyword}`"


def test_identifier_length_limit_is_200() -> None:
    assert identifier("a" * 200) == "a" * 200
    for bad in ("", "a" * 201):
        with pytest.raises(DQLValueError) as err:
            identifier(bad)
        assert str(err.value) == "a field name must be 1 to 200 characters of text"


@pytest.mark.parametrize("name", ["a`b", "a\nb", "a\x7fb", " padded", "padded ", "a\u2028b"])
def test_identifier_refuses_backticks_control_characters_and_padding(name: str) -> None:
    with pytest.raises(DQLValueError) as err:
        identifier(name)
    assert str(err.value) == (
        f"{name!r} is not a usable field name: use letters, digits, '_' and '.', e.g. dt.entity.service"
    )


def test_entity_id_normalises_case_and_whitespace() -> None:
    assert entity_id("  service-9a1b2c3d4e5f6071 ") == "SERVICE-9A1B2C3D4E5F6071"
    assert entity_id("PROCESS_GROUP_INSTANCE-0000000000000001") == "PROCESS_GROUP_INSTANCE-0000000000000001"


@pytest.mark.parametrize(
    "value",
    [
        "SERVICE-9A1B2C3D4E5F607",
        "SERVICE-9A1B2C3D4E5F60712",
        "SERVICE-9A1B2C3D4E5F607G",
        "9-0000000000000001",
        "-0000000000000001",
    ],
)
def test_entity_id_refuses_wrong_shapes_with_advice(value: str) -> None:
    with pytest.raises(DQLValueError) as err:
        entity_id(value)
    assert str(err.value) == (
        f"{value!r} is not a Dynatrace entity id; ids look like SERVICE-9A1B2C3D4E5F6071 "
        "(TYPE, a dash, 16 hex digits). Look the entity up by name first."
    )


def test_entity_id_refuses_non_text_naming_the_type() -> None:
    with pytest.raises(DQLValueError) as err:
        entity_id(None)  # type: ignore[arg-type]
    assert str(err.value) == "expected an entity id, got NoneType"


def test_entity_field_uses_the_whole_type_before_the_last_dash() -> None:
    assert entity_field("process_group_instance-0000000000000001") == "dt.entity.process_group_instance"
    assert entity_field("HOST-00000000000000AB") == "dt.entity.host"


def test_metric_key_bare_backticked_and_limits() -> None:
    assert metric_key(" dt.host.cpu.usage ") == "dt.host.cpu.usage"
    assert metric_key("requests") == "requests"
    assert metric_key("a-b:c.d") == "`a-b:c.d`"
    assert metric_key("desc") == "`desc`"
    assert metric_key("x" * 255) == "x" * 255
    for bad in ("x" * 256, "", "   ", "1abc", "a b", "a|b", "a..b", None):
        with pytest.raises(DQLValueError) as err:
            metric_key(bad)  # type: ignore[arg-type]
        assert str(err.value) == (
            f"{bad!r} is not a metric key; use letters, digits, '_', '-', ':' and '.' starting with a "
            "letter (at most 255 characters), such as dt.service.request.response_time or latency"
        )


# --- durations and times --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1ns", "2us", "3ms", "30s", " 5m ", "1h", "7d", "2w", "999999s"])
def test_duration_accepts_each_unit_trimmed(value: str) -> None:
    assert duration(value) == value.strip()


@pytest.mark.parametrize("value", ["1000000s", "5", "m", "5y", "5 m", "-5m", 5])
def test_duration_refuses_other_text_with_advice(value: object) -> None:
    with pytest.raises(DQLValueError) as err:
        duration(value)  # type: ignore[arg-type]
    assert str(err.value) == f"{value!r} is not a duration; use a number and a unit like 30s, 5m, 1h or 1d"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", "now()"),
        ("NOW()", "now()"),
        (" now ", "now()"),
        ("now-2h", "now()-2h"),
        ("NOW() - 007M", "now()-7m"),
        ("-30s", "now()-30s"),
        ("now-1w", "now()-1w"),
        ("now-3d", "now()-3d"),
        ("2025-03-04T10:15Z", '"2025-03-04T10:15Z"'),
        ("2025-03-04t10:15:00.123456789+01:00", '"2025-03-04T10:15:00.123456789+01:00"'),
        ("2025-03-04T10:15:00-0500", '"2025-03-04T10:15:00-0500"'),
    ],
)
def test_time_expression_forms(text: str, expected: str) -> None:
    assert time_expression(text) == expected


@pytest.mark.parametrize(
    "text", ["now+2h", "now-1000000h", "now-2y", "2025-03-04T10:15:00", "2025-03-04", "yesterday"]
)
def test_time_expression_refuses_other_text_with_advice(text: str) -> None:
    with pytest.raises(DQLValueError) as err:
        time_expression(text)
    assert str(err.value) == (
        f"{text!r} is not a time; use now, now-2h, -30m or an ISO timestamp like 2025-03-04T10:15:00Z"
    )


def test_time_expression_datetimes_need_a_zone_and_render_utc_as_z() -> None:
    assert time_expression(datetime(2025, 3, 4, 10, 15, tzinfo=UTC)) == '"2025-03-04T10:15:00Z"'
    cet = timezone(timedelta(hours=1))
    assert time_expression(datetime(2025, 3, 4, 10, 15, tzinfo=cet)) == '"2025-03-04T10:15:00+01:00"'
    with pytest.raises(DQLValueError, match=r"^timestamps need a time zone; add Z or \+00:00$"):
        time_expression(datetime(2025, 3, 4, 10, 15))
    with pytest.raises(DQLValueError, match=r"^expected a time, got int$"):
        time_expression(5)  # type: ignore[arg-type]


def test_timeframe_renders_from_and_optional_to_and_keeps_the_users_text() -> None:
    open_ended = timeframe("now-2h")
    assert open_ended.render() == "from:now()-2h"
    assert open_ended.end is None
    assert open_ended.text == "now-2h .. now"
    explicit_now = timeframe("-30m", "now")
    assert explicit_now.end is None and explicit_now.render() == "from:now()-30m"
    assert explicit_now.text == "-30m .. now"
    closed = timeframe("now-2h", "now-1h")
    assert closed.render() == "from:now()-2h, to:now()-1h"
    assert closed.text == "now-2h .. now-1h"
    assert timeframe().render() == "from:now()-2h"


# --- uids -----------------------------------------------------------------------------------------


def test_is_uid_accepts_hex_up_to_128_bits_only() -> None:
    assert is_uid("4bf92f3577b34da6a3ce929d0e0e4736")
    assert is_uid(" ABCDEF ")
    assert is_uid("a")
    assert not is_uid("4bf92f3577b34da6a3ce929d0e0e47360")  # 33 digits
    assert not is_uid("xyz")
    assert not is_uid("")
    assert not is_uid(1234)


def test_uid_renders_lower_case_touid() -> None:
    assert uid(" 4BF92F35 ").text == 'toUid("4bf92f35")'
    with pytest.raises(DQLValueError) as err:
        uid("not-hex")
    assert str(err.value) == (
        "'not-hex' is not a trace or span id; ids are hex, e.g. 4bf92f3577b34da6a3ce929d0e0e4736"
    )
    with pytest.raises(DQLValueError):
        uid(None)  # type: ignore[arg-type]


def test_uid_comparisons_render_exactly() -> None:
    assert uid_eq("trace.id", "ABC").text == 'trace.id == toUid("abc")'
    assert uid_in("span.id", ["a1", "B2"]).text == 'in(span.id, {toUid("a1"), toUid("b2")})'
    with pytest.raises(DQLValueError) as err:
        uid_in("span.id", [])
    assert str(err.value) == "no ids given to match 'span.id' against"


# --- expressions ----------------------------------------------------------------------------------


def test_comparisons_render_exactly() -> None:
    assert field_ref("k8s.pod.name") == Expr("k8s.pod.name")
    assert str(field_ref("my field")) == "`my field`"
    assert eq("loglevel", "ERROR").text == 'loglevel == "ERROR"'
    assert eq("n", None).text == "n == null"
    assert ne("status", 200).text == "status != 200"
    assert gte("duration", 5).text == "duration >= 5"
    assert gte("timestamp", func("now")).text == "timestamp >= now()"
    assert lte("duration", 1.5).text == "duration <= 1.5"
    assert lte("timestamp", Expr("now()-1h")).text == "timestamp <= now()-1h"
    assert is_true("request.is_failed").text == "request.is_failed == true"


def test_set_membership_renders_exactly() -> None:
    assert in_("status", ["a", 2]).text == 'in(status, {"a", 2})'
    assert in_("status", iter(["only"])).text == 'in(status, {"only"})'
    with pytest.raises(DQLValueError) as err:
        in_("status", [])
    assert str(err.value) == "no values given to match 'status' against"
    assert member_of("SERVICE-1", "dt.entity.service").text == 'in("SERVICE-1", dt.entity.service)'


def test_contains_is_case_insensitive_unless_asked() -> None:
    assert contains("content", "Timeout").text == 'contains(content, "Timeout", caseSensitive:false)'
    assert contains("content", "Timeout", case_sensitive=True).text == 'contains(content, "Timeout")'


def test_func_checks_its_name_and_renders_its_arguments() -> None:
    assert func("now").text == "now()"
    assert (
        func("bin", field_ref("timestamp"), "5m", 2, None, True).text == 'bin(timestamp, "5m", 2, null, true)'
    )
    for bad in ("", "1x", "now()", "a b", "a;b"):
        with pytest.raises(DQLValueError) as err:
            func(bad)
        assert str(err.value) == f"{bad!r} is not a DQL function name"


def test_boolean_combinators_render_exactly() -> None:
    a, b, c = eq("a", 1), eq("b", 2), eq("c", 3)
    assert and_(a) is a
    assert or_(a) is a
    assert and_(a, b).text == "(a == 1 and b == 2)"
    assert or_(a, b, c).text == "(a == 1 or b == 2 or c == 3)"
    assert not_(a).text == "not(a == 1)"
    with pytest.raises(DQLValueError, match=r"^no conditions to combine$"):
        and_()
    with pytest.raises(DQLValueError, match=r"^no conditions to combine$"):
        or_()


# --- queries --------------------------------------------------------------------------------------


def test_scan_limit_is_a_whole_number_rounded_up() -> None:
    assert scan_limit_gbytes(0.5) == "1"
    assert scan_limit_gbytes(2) == "2"
    assert scan_limit_gbytes(2.01) == "3"
    for bad in (True, "1", float("inf"), float("nan")):
        with pytest.raises(DQLValueError) as err:
            scan_limit_gbytes(bad)  # type: ignore[arg-type]
        assert str(err.value) == f"scan limit must be a number of GB, got {bad!r}"
    for bad in (0, -1, -0.5):
        with pytest.raises(DQLValueError) as err:
            scan_limit_gbytes(bad)
        assert str(err.value) == f"scan limit must be positive, got {bad!r}"


def test_fetch_head_with_window_and_scan_limit() -> None:
    assert Query.fetch("logs").render() == "fetch logs"
    assert (
        Query.fetch("dt.davis.problems", timeframe("now-1h")).render()
        == "fetch dt.davis.problems, from:now()-1h"
    )
    assert (
        Query.fetch("spans", timeframe("now-1h", "now-30m"), scan_limit_gb=0.2).render()
        == "fetch spans, from:now()-1h, to:now()-30m, scanLimitGBytes:1"
    )
    for bad in ("Logs", "logs | fetch spans", "", "logs.", 3):
        with pytest.raises(DQLValueError) as err:
            Query.fetch(bad)  # type: ignore[arg-type]
        assert str(err.value) == f"{bad!r} is not a Grail table such as logs, spans or dt.davis.problems"


def test_timeseries_head_renders_aliases_grouping_interval_and_window() -> None:
    cpu = func("avg", Expr(metric_key("dt.host.cpu.usage")))
    assert Query.timeseries([(None, cpu)]).render() == "timeseries {avg(dt.host.cpu.usage)}"
    query = Query.timeseries(
        [("cpu", cpu), ("peak", func("max", Expr(metric_key("dt.host.cpu.usage"))))],
        by=["dt.entity.host", "k8s.pod.name"],
        interval="1m",
        window=timeframe("now-2h", "now-1h"),
    )
    assert query.render() == (
        "timeseries {cpu=avg(dt.host.cpu.usage), peak=max(dt.host.cpu.usage)}, "
        "by:{dt.entity.host, k8s.pod.name}, interval:1m, from:now()-2h, to:now()-1h"
    )
    with pytest.raises(DQLValueError, match=r"^a timeseries query needs at least one metric$"):
        Query.timeseries([])
    with pytest.raises(DQLValueError, match="is not a duration"):
        Query.timeseries([(None, cpu)], interval="1 minute")


def test_pipeline_steps_render_exactly_and_do_not_change_the_original() -> None:
    base = Query.fetch("logs")
    query = (
        base.filter(eq("loglevel", "ERROR"), contains("content", "timeout"))
        .search("db down")
        .fields_add(svc=field_ref("dt.entity.service"), n=func("count"))
        .summarize(
            [("errors", func("count")), ("last", func("max", field_ref("timestamp")))],
            by=["svc", "k8s.pod.name"],
        )
        .sort("errors", descending=True)
        .sort("svc")
        .fields("svc", "errors")
        .limit(100_000)
    )
    assert query.render() == (
        'fetch logs | filter (loglevel == "ERROR" and contains(content, "timeout", caseSensitive:false))'
        ' | search "db down" | fieldsAdd svc = dt.entity.service, n = count()'
        " | summarize errors = count(), last = max(timestamp), by:{svc, k8s.pod.name}"
        " | sort errors desc | sort svc asc | fields svc, errors | limit 100000"
    )
    assert str(query) == query.render()
    assert base.render() == "fetch logs"
    assert base.steps == []
    assert base.filter() is base
    assert (
        Query.fetch("logs").summarize([("n", func("count"))]).render() == "fetch logs | summarize n = count()"
    )


@pytest.mark.parametrize("count", [0, 100_001, True, 2.0, "5"])
def test_limit_bounds(count: object) -> None:
    assert Query.fetch("logs").limit(1).render() == "fetch logs | limit 1"
    with pytest.raises(DQLValueError, match=r"^limit must be a whole number between 1 and 100000$"):
        Query.fetch("logs").limit(count)  # type: ignore[arg-type]


# --- the final single-statement check -------------------------------------------------------------


@pytest.mark.parametrize("command", dql.READ_COMMANDS)
def test_every_read_command_may_start_a_query(command: str) -> None:
    assert_single_statement(f"{command} x")
    assert_single_statement(f"{command}, from:now()-1h")


def test_read_commands_are_the_documented_set() -> None:
    assert dql.READ_COMMANDS == (
        "fetch",
        "timeseries",
        "metrics",
        "data",
        "describe",
        "smartscapeNodes",
        "smartscapeEdges",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('fetch logs | filter a == "open', "the query has an unterminated string or field name"),
        ("fetch logs | fields `open", "the query has an unterminated string or field name"),
        ("fetch logs\n| limit 1", "a query must not contain line breaks outside strings"),
        ("fetch logs\r| limit 1", "a query must not contain line breaks outside strings"),
        ("fetch logs\u2028| limit 1", "a query must not contain line breaks outside strings"),
        ("fetch logs\u2029| limit 1", "a query must not contain line breaks outside strings"),
        ("fetch logs\x00| limit 1", "a query must not contain line breaks outside strings"),
        ("fetch logs // rest", "a query must not contain comments"),
        ("fetch logs /* rest */", "a query must not contain comments"),
    ],
)
def test_single_statement_refusals_say_why(text: str, message: str) -> None:
    with pytest.raises(DQLValueError) as err:
        assert_single_statement(text)
    assert str(err.value) == message


def test_single_statement_names_the_allowed_commands_and_what_it_got() -> None:
    with pytest.raises(DQLValueError) as err:
        assert_single_statement("  delete logs")
    assert str(err.value) == (
        "a query must start with one of fetch, timeseries, metrics, data, describe, smartscapeNodes, "
        "smartscapeEdges; got 'delete'"
    )


def test_single_statement_ignores_quoted_text_and_backticked_names() -> None:
    assert_single_statement('fetch logs | filter contains(content, "a // b /* c \\" d\\nfetch")')
    assert_single_statement("fetch logs | fields `odd // name`")
    assert_single_statement("  fetch logs")
    assert_single_statement("fetch, from:now()-1h")


def test_single_statement_accepts_any_letters_in_the_structure() -> None:
    # only line breaks, NUL and comment markers are refused outside strings, not ordinary letters
    assert_single_statement("fetch logs | fields XML_payload, x, X")
