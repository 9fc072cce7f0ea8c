"""Every command, function and operator of the DQL engine over the small fixture tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dynatrace_agent.simulator.dql_engine import DataSource, DQLParseError, execute, required_scopes

NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)


def contents(result: Any) -> list[str]:
    return [r["content"] for r in result.records]


def test_fetch_default_timeframe_is_last_two_hours(run: Any) -> None:
    result = run("fetch logs")
    assert len(result.records) == 5  # the 07:10 record is older than now-2h
    assert result.analysis_timeframe == {
        "start": "2025-03-04T08:40:00.000000000Z",
        "end": "2025-03-04T10:40:00.000000000Z",
    }
    assert result.scanned_records == 5 and result.scanned_bytes > 0
    assert result.tables_used == ["logs"]
    assert result.records[0]["timestamp"] == "2025-03-04T10:00:00.000000000Z"  # sorted by time
    assert result.records[2]["timestamp"] == "2025-03-04T10:10:00.123456789Z"
    assert result.records[4]["extra.field"] == "kept"


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("from: now()-4h", 6),
        ("from: -4h", 6),
        ("from: now-4h", 6),
        ("from: now() - 25m", 2),
        ('from: "2025-03-04T10:05:00Z", to: "2025-03-04T10:20:00Z"', 2),
        ('from: toTimestamp("2025-03-04T10:20:00Z")', 2),
        ("from: -4h, to: -3h", 1),
        ('from: "2025-03-04T12:00:00+02:00"', 5),
    ],
)
def test_fetch_timeframes(run: Any, clause: str, expected: int) -> None:
    assert len(run(f"fetch logs, {clause}").records) == expected


def test_default_timeframe_argument_is_used(run: Any) -> None:
    result = run(
        "fetch logs",
        default_timeframe=(datetime(2025, 3, 4, 7, tzinfo=UTC), datetime(2025, 3, 4, 8, tzinfo=UTC)),
    )
    assert contents(result) == ["old timeout"]


def test_relative_time_uses_the_given_clock(data: DataSource) -> None:
    later = datetime(2025, 3, 4, 12, 25, tzinfo=UTC)
    assert len(execute("fetch logs, from: now()-2h", data, now=later).records) == 1


def test_empty_timeframe_is_an_error(run: Any) -> None:
    with pytest.raises(DQLParseError) as err:
        run("fetch logs, from: -1h, to: -2h")
    assert err.value.error_type == "INVALID_TIMEFRAME"


def test_timeframe_must_be_constant(run: Any) -> None:
    with pytest.raises(DQLParseError) as err:
        run("fetch logs, from: timestamp")
    assert err.value.error_type == "INVALID_TIMEFRAME"
    assert err.value.column == 19


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('loglevel == "ERROR"', ["Connection timeout to db", "Timeout again"]),
        ('loglevel != "INFO"', ["Connection timeout to db", "Timeout again", "slow query took 2.5 s"]),
        ("status_code >= 500", ["Connection timeout to db", "Timeout again"]),
        ("status_code > 500", ["Timeout again"]),
        ("status_code < 500", ["request ok"]),
        ("status_code <= 200", ["request ok"]),
        ("latency > 2", ["slow query took 2.5 s"]),
        (
            'loglevel == "ERROR" or loglevel == "WARN"',
            ["Connection timeout to db", "Timeout again", "slow query took 2.5 s"],
        ),
        ('loglevel == "ERROR" and status_code == 503', ["Timeout again"]),
        (
            'loglevel == "ERROR" xor dt.entity.service == "SERVICE-B"',
            ["Connection timeout to db", "slow query took 2.5 s"],
        ),
        ('not loglevel == "INFO"', ["Connection timeout to db", "Timeout again", "slow query took 2.5 s"]),
        ("not(status_code == 200)", ["Connection timeout to db", "Timeout again"]),  # null stays excluded
        (
            'in(loglevel, {"WARN", "ERROR"})',
            ["Connection timeout to db", "Timeout again", "slow query took 2.5 s"],
        ),
        ("in(status_code, array(200, 503))", ["request ok", "Timeout again"]),
        ('contains(content, "timeout")', ["Connection timeout to db"]),
        ('contains(content, "timeout", caseSensitive: false)', ["Connection timeout to db", "Timeout again"]),
        ('startsWith(content, "slow")', ["slow query took 2.5 s"]),
        ('endsWith(content, "db")', ["Connection timeout to db"]),
        ('endsWith(content, "DB", caseSensitive: false)', ["Connection timeout to db"]),
        ('matchesPhrase(content, "TIMEOUT again")', ["Timeout again"]),
        ('matchesPhrase(content, "time")', []),
        ('matchesValue(dt.entity.service, "service-b")', ["Timeout again", "slow query took 2.5 s"]),
        ('matchesValue(content, "*again")', ["Timeout again"]),
        ("isNull(dt.entity.service)", ["no service here"]),
        ("isNotNull(latency)", ["slow query took 2.5 s"]),
        ('isTrue(loglevel == "WARN")', ["slow query took 2.5 s"]),
        ('isFalse(contains(content, "o"))', []),
        ('lower(loglevel) == "warn"', ["slow query took 2.5 s"]),
        ('upper(content) == "REQUEST OK"', ["request ok"]),
        ('toString(status_code) == "503"', ["Timeout again"]),
        ('toLong("503") == status_code', ["Timeout again"]),
        ("toDouble(status_code) == 200.0", ["request ok"]),
        ("status_code + 1 == 201", ["request ok"]),
        ("status_code * 2 - 6 == 1000", ["Timeout again"]),
        ("status_code / 2 == 100", ["request ok"]),
        ("status_code % 100 == 3", ["Timeout again"]),
        ("-status_code == -200", ["request ok"]),
        ("timestamp >= now() - 25m", ["slow query took 2.5 s", "no service here"]),
        ("timestamp < now() - 35m", ["Connection timeout to db"]),
        ('timestamp > "2025-03-04T10:25:00Z"', ["no service here"]),
        ("now() - timestamp > 35m", ["Connection timeout to db"]),
        ('timestamp - 5m >= toTimestamp("2025-03-04T10:25:00Z")', ["no service here"]),
        (
            "now() - timestamp < 1h and now() - timestamp > 15m",
            ["Connection timeout to db", "request ok", "Timeout again", "slow query took 2.5 s"],
        ),
        ('coalesce(dt.entity.service, "none") == "none"', ["no service here"]),
        ('if(isNull(latency), "fast", else: "slow") == "slow"', ["slow query took 2.5 s"]),
        ("stringLength(content) == 10", ["request ok"]),
    ],
)
def test_filter_conditions(run: Any, condition: str, expected: list[str]) -> None:
    assert contents(run(f"fetch logs | filter {condition}")) == expected


def test_filter_out(run: Any) -> None:
    assert contents(run('fetch logs | filterOut loglevel == "INFO"')) == [
        "Connection timeout to db",
        "Timeout again",
        "slow query took 2.5 s",
    ]


def test_comparing_mismatched_types_is_null(run: Any) -> None:
    assert run('fetch logs | filter status_code == "500"').records == []
    assert run("fetch logs | filter content > 5").records == []


def test_fields_fieldsadd_remove_rename_keep(run: Any) -> None:
    rows = run(
        'fetch logs | filter loglevel == "ERROR" | fields timestamp, content, '
        "age = now() - timestamp, lower(loglevel)"
    ).records
    assert rows[0] == {
        "timestamp": "2025-03-04T10:00:00.000000000Z",
        "content": "Connection timeout to db",
        "age": str(40 * 60 * 10**9),
        "lower(loglevel)": "error",
    }
    added = run(
        'fetch logs | filter loglevel == "WARN" | fieldsAdd double = latency * 2, flag = true'
    ).records[0]
    assert added["double"] == 5.0 and added["flag"] is True and added["content"] == "slow query took 2.5 s"
    removed = run('fetch logs | filter loglevel == "WARN" | fieldsRemove content, latency').records[0]
    assert "content" not in removed and "latency" not in removed and "loglevel" in removed
    renamed = run(
        'fetch logs | filter loglevel == "WARN" | fieldsRename level = loglevel, msg = content'
    ).records[0]
    assert renamed["level"] == "WARN" and renamed["msg"].startswith("slow") and "loglevel" not in renamed
    kept = run('fetch logs | filter loglevel == "WARN" | fieldsKeep content, nothing').records[0]
    assert kept == {"content": "slow query took 2.5 s"}


def test_fields_add_does_not_mutate_the_data(run: Any) -> None:
    run('fetch logs | fieldsAdd content = "changed"')
    assert "changed" not in contents(run("fetch logs"))


def test_sort_multiple_keys_and_nulls_last(run: Any) -> None:
    rows = run("fetch logs | sort loglevel asc, timestamp desc | fields loglevel, content").records
    assert [r["content"] for r in rows] == [
        "Timeout again",
        "Connection timeout to db",
        "no service here",
        "request ok",
        "slow query took 2.5 s",
    ]
    by_code = run("fetch logs | sort status_code desc | fields status_code").records
    assert [r["status_code"] for r in by_code] == ["503", "500", "200", None, None]
    asc = run("fetch logs | sort status_code | fields status_code").records
    assert [r["status_code"] for r in asc] == ["200", "500", "503", None, None]


def test_limit_and_dedup(run: Any) -> None:
    assert len(run("fetch logs | limit 2").records) == 2
    assert run("fetch logs | limit 0").records == []
    rows = run("fetch logs | dedup dt.entity.service | fields dt.entity.service, content").records
    assert [r["content"] for r in rows] == ["Connection timeout to db", "Timeout again", "no service here"]
    latest = run("fetch logs | dedup {loglevel}, sort: {timestamp desc} | fields loglevel, content").records
    assert [r["content"] for r in latest] == ["no service here", "slow query took 2.5 s", "Timeout again"]


def test_summarize_aggregations(run: Any) -> None:
    rows = run(
        'fetch logs | summarize count(), errors = countIf(loglevel == "ERROR"), total = sum(status_code), '
        "mean = avg(status_code), lo = min(status_code), hi = max(status_code), "
        "p50 = percentile(status_code, 50), distinct = countDistinct(dt.entity.service), "
        "first = takeFirst(content), last = takeLast(content), any = takeAny(loglevel), "
        "levels = collectDistinct(loglevel), earliest = min(timestamp)"
    ).records
    assert rows == [
        {
            "count()": "5",
            "errors": "2",
            "total": "1203",
            "mean": 401.0,
            "lo": "200",
            "hi": "503",
            "p50": 500.0,
            "distinct": "2",
            "first": "Connection timeout to db",
            "last": "no service here",
            "any": "ERROR",
            "levels": ["ERROR", "INFO", "WARN"],
            "earliest": "2025-03-04T10:00:00.000000000Z",
        }
    ]


def test_summarize_by_groups_first_and_keeps_group_order(run: Any) -> None:
    result = run("fetch logs | summarize count(), by:{dt.entity.service}")
    assert result.records == [
        {"dt.entity.service": "SERVICE-A", "count()": "2"},
        {"dt.entity.service": "SERVICE-B", "count()": "2"},
        {"dt.entity.service": None, "count()": "1"},
    ]
    assert result.types[0]["mappings"] == {
        "dt.entity.service": {"type": "string"},
        "count()": {"type": "long"},
    }


def test_summarize_with_bin_and_alias(run: Any) -> None:
    rows = run(
        "fetch logs | summarize n = count(), by:{t = bin(timestamp, 15m), loglevel} | sort t, loglevel"
    ).records
    assert rows[0] == {"t": "2025-03-04T10:00:00.000000000Z", "loglevel": "ERROR", "n": "2"}
    unnamed = run("fetch logs | summarize count(), by:{bin(timestamp,1h)}").records
    assert unnamed == [{"bin(timestamp, 1h)": "2025-03-04T10:00:00.000000000Z", "count()": "5"}]


def test_summarize_of_nothing(run: Any) -> None:
    assert run(
        'fetch logs | filter loglevel == "NONE" | summarize count(), s = sum(status_code)'
    ).records == [{"count()": "0", "s": None}]
    assert run('fetch logs | filter loglevel == "NONE" | summarize count(), by:{loglevel}').records == []


def test_span_durations_are_durations(run: Any) -> None:
    result = run("fetch spans | summarize p90 = percentile(duration, 90), avg(duration), max(duration)")
    assert result.records == [
        {"p90": "814000000", "avg(duration)": "470000000", "max(duration)": "900000000"}
    ]
    assert result.types[0]["mappings"]["p90"] == {"type": "duration"}
    slow = run("fetch spans | filter duration > 500ms | fields span.id").records
    assert slow == [{"span.id": "s2"}]
    assert run("fetch spans").tables_used == ["spans"]


def test_entities_and_problems_tables(run: Any) -> None:
    svc = run("fetch dt.entity.service").records
    assert svc[0]["id"] == "SERVICE-A" and svc[0]["entity.name"] == "checkout"
    assert svc[0]["tags"] == ["team:shop"] and svc[0]["serviceType"] == "WEB_SERVICE"
    assert svc[0]["lifetime"]["start"].startswith("2025-03-03")
    assert run('fetch dt.entity.host | filter entity.name == "web-1" | fields id').records == [
        {"id": "HOST-1"}
    ]
    assert run("fetch dt.entity.process_group").records == []
    with pytest.raises(DQLParseError) as err:
        run("fetch dt.entity.servce")
    assert err.value.error_type == "UNKNOWN_DATA_OBJECT"
    problems = run("fetch dt.davis.problems, from: now()-7d | sort event.start").records
    assert [p["display_id"] for p in problems] == ["P-250300", "P-250304"]
    active = run('fetch dt.davis.problems | filter event.status == "ACTIVE" and isNull(event.end)').records
    assert active[0]["event.category"] == "SLOWDOWN" and active[0]["root_cause_entity_id"] == "SERVICE-A"
    assert active[0]["affected_entity_ids"] == ["SERVICE-A"]
    # an open problem stays visible although it started before the timeframe
    assert len(run("fetch dt.davis.problems, from: now()-10m").records) == 1


def test_limit_notification_when_records_are_cut(run: Any) -> None:
    result = run("fetch logs", max_records=3)
    assert len(result.records) == 3
    (note,) = result.notifications
    assert note["severity"] == "WARN" and note["notificationType"] == "LIMIT_ADDED"
    assert note["arguments"] == ["3"]
    assert run("fetch logs | limit 3", max_records=3).notifications == []


def test_types_split_on_collisions(run: Any) -> None:
    result = run('fetch logs | fieldsAdd v = if(loglevel == "WARN", latency, else: status_code) | fields v')
    assert [r["v"] for r in result.records] == ["500", "200", "503", 2.5, None]
    assert result.types == [
        {"indexRange": [0, 2], "mappings": {"v": {"type": "long"}}},
        {"indexRange": [3, 4], "mappings": {"v": {"type": "double"}}},
    ]


def test_value_serialisation(run: Any) -> None:
    row = run(
        'fetch logs | limit 1 | fields b = true, l = 5, d = 1.5, s = "x", dur = 90s, ts = timestamp, '
        "arr = array(1, 2), n = null_field"
    ).records[0]
    assert row == {
        "b": True,
        "l": "5",
        "d": 1.5,
        "s": "x",
        "dur": "90000000000",
        "ts": "2025-03-04T10:00:00.000000000Z",
        "arr": ["1", "2"],
        "n": None,
    }


def test_required_scopes() -> None:
    assert required_scopes(["logs"]) == ["storage:buckets:read", "storage:logs:read"]
    assert required_scopes(["dt.entity.host", "metrics", "dt.davis.problems"]) == [
        "storage:buckets:read",
        "storage:entities:read",
        "storage:events:read",
        "storage:metrics:read",
    ]


def test_string_escapes_and_comments(run: Any) -> None:
    query = """// errors only
    fetch logs /* all of them */
    | filter content == 'Timeout again' or content == "a \\"quoted\\" one"
    | fields content"""
    assert contents(run(query)) == ["Timeout again"]
