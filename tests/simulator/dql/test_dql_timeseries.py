"""timeseries over metric series (re-bucketing, nulls, groups, filters) and makeTimeseries."""

from __future__ import annotations

from typing import Any

import pytest

from dynatrace_agent.simulator.dql_engine import DQLParseError

WINDOW = 'from: "2025-03-04T10:00:00Z", to: "2025-03-04T10:06:00Z"'


def test_timeseries_native_interval_keeps_nulls(run: Any) -> None:
    result = run(
        f'timeseries avg(dt.service.response.time), filter: {{dt.entity.service == "SERVICE-A"}}, '
        f"{WINDOW}, interval: 1m"
    )
    (rec,) = result.records
    assert rec["avg(dt.service.response.time)"] == [1.0, 3.0, None, None, 5.0, 7.0]
    assert rec["timeframe"] == {
        "start": "2025-03-04T10:00:00.000000000Z",
        "end": "2025-03-04T10:06:00.000000000Z",
    }
    assert rec["interval"] == "60000000000"
    assert result.tables_used == ["metrics"]
    assert result.metrics_metadata[0]["metric.key"] == "dt.service.response.time"
    assert result.metrics_metadata[0]["unit"] == "MicroSecond"
    mappings = result.types[0]["mappings"]
    assert mappings["timeframe"] == {"type": "timeframe"} and mappings["interval"] == {"type": "duration"}
    assert mappings["avg(dt.service.response.time)"]["type"] == "array"


def test_timeseries_rebuckets_to_coarser_interval(run: Any) -> None:
    query = (
        f"timeseries {{a = avg(dt.service.response.time), s = sum(dt.service.response.time), "
        f"lo = min(dt.service.response.time), hi = max(dt.service.response.time), "
        f"n = count(dt.service.response.time), p = percentile(dt.service.response.time, 50)}}, "
        f"by: {{dt.entity.service}}, {WINDOW}, interval: 2m"
    )
    rows = {r["dt.entity.service"]: r for r in run(query).records}
    a = rows["SERVICE-A"]
    assert a["a"] == [2.0, None, 6.0]
    assert a["s"] == [4.0, None, 12.0]
    assert a["lo"] == [1.0, None, 5.0] and a["hi"] == [3.0, None, 7.0]
    assert a["n"] == ["2", None, "2"]
    assert a["p"] == [2.0, None, 6.0]
    assert rows["SERVICE-B"]["a"] == [15.0, 35.0, 55.0]


def test_timeseries_without_by_merges_series(run: Any) -> None:
    (rec,) = run(f"timeseries avg(dt.service.response.time), {WINDOW}, interval: 3m").records
    assert rec["avg(dt.service.response.time)"] == [pytest.approx(64 / 5), pytest.approx(162 / 5)]
    assert "dt.entity.service" not in rec


def test_timeseries_aligns_the_timeframe_and_defaults(run: Any) -> None:
    result = run("timeseries avg(dt.service.response.time), from: now()-37m, interval: 5m")
    assert result.analysis_timeframe == {
        "start": "2025-03-04T10:00:00.000000000Z",
        "end": "2025-03-04T10:40:00.000000000Z",
    }
    default = run("timeseries max(dt.service.request.count)")
    (rec,) = default.records
    assert rec["interval"] == "60000000000" and len(rec["max(dt.service.request.count)"]) == 120


def test_timeseries_finer_interval_is_raised_with_a_notice(run: Any) -> None:
    result = run(f"timeseries avg(dt.service.request.count), {WINDOW}, interval: 10s")
    assert result.records[0]["interval"] == "60000000000"
    assert result.notifications[0]["notificationType"] == "INTERVAL_ADJUSTED"


def test_timeseries_unknown_metric_warns(run: Any) -> None:
    result = run("timeseries avg(dt.nothing)")
    assert result.records == []
    assert result.notifications[0]["severity"] == "WARN"


def test_timeseries_filter_expression_and_default(run: Any) -> None:
    rows = run(
        "timeseries avg(dt.service.response.time, default: 0.0), "
        f'filter: in(dt.entity.service, {{"SERVICE-A"}}), '
        f"{WINDOW}, interval: 1m"
    ).records
    assert rows[0]["avg(dt.service.response.time, default: 0.0)"] == [1.0, 3.0, 0.0, 0.0, 5.0, 7.0]


def test_timeseries_then_array_functions(run: Any) -> None:
    rows = run(
        f"timeseries rt = avg(dt.service.response.time), by: {{dt.entity.service}}, {WINDOW}, interval: 1m "
        "| fieldsAdd peak = arrayMax(rt), mean = arrayAvg(rt) | sort peak desc | fields dt.entity.service, "
        "peak, mean"
    ).records
    assert rows == [
        {"dt.entity.service": "SERVICE-B", "peak": 60.0, "mean": 35.0},
        {"dt.entity.service": "SERVICE-A", "peak": 7.0, "mean": 4.0},
    ]


@pytest.mark.parametrize(
    ("query", "error_type"),
    [
        ("timeseries avg(dt.x), bins: 10", "UNSUPPORTED_PARAMETER"),
        ("timeseries countDistinct(dt.x)", "UNSUPPORTED_FUNCTION"),
        ("timeseries avg(lower(x))", "PARSE_ERROR_UNEXPECTED_TOKEN"),
        ("timeseries avg(dt.x), interval: 0m", "INVALID_INTERVAL"),
        ('timeseries avg(dt.x), interval: "1m"', "INVALID_INTERVAL"),
        ("timeseries avg(dt.x), from: -30d, interval: 1s", "TOO_MANY_BUCKETS"),
    ],
)
def test_timeseries_errors(run: Any, query: str, error_type: str) -> None:
    with pytest.raises(DQLParseError) as err:
        run(query)
    assert err.value.error_type == error_type


def test_make_timeseries_counts_records(run: Any) -> None:
    result = run(
        "fetch logs | makeTimeseries count(), by:{loglevel}, interval: 10m, "
        'from: "2025-03-04T10:00:00Z", to: "2025-03-04T10:40:00Z"'
    )
    rows = {r["loglevel"]: r for r in result.records}
    assert rows["ERROR"]["count()"] == ["1", "1", None, None]
    assert rows["INFO"]["count()"] == ["1", None, None, "1"]
    assert rows["ERROR"]["timeframe"]["start"] == "2025-03-04T10:00:00.000000000Z"


def test_make_timeseries_defaults_and_aggregations(run: Any) -> None:
    (rec,) = run(
        "fetch logs | filter isNotNull(status_code) | makeTimeseries n = count(default: 0), "
        "worst = max(status_code), interval: 30m"
    ).records
    assert rec["interval"] == "1800000000000"
    assert rec["timeframe"] == {
        "start": "2025-03-04T08:30:00.000000000Z",
        "end": "2025-03-04T11:00:00.000000000Z",
    }
    assert rec["n"] == ["0", "0", "0", "3", "0"]
    assert rec["worst"] == [None, None, None, "503", None]
    (auto,) = run("fetch logs | makeTimeseries count()").records
    assert auto["interval"] == "60000000000" and len(auto["count()"]) == 120
    assert sum(int(v) for v in auto["count()"] if v is not None) == 5
