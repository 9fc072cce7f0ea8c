"""The ``metrics`` command: listing metric keys, their units and dimension names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dynatrace_agent.simulator.dql_engine import DataSource, DQLParseError, execute, required_scopes

NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)


def test_lists_every_key_with_unit_and_dimensions(run: Any) -> None:
    result = run("metrics")
    assert result.records == [
        {"metric.key": "dt.service.request.count", "dimensions": ["dt.entity.service"]},
        {
            "metric.key": "dt.service.response.time",
            "unit": "MicroSecond",
            "dimensions": ["dt.entity.service"],
        },
    ]
    assert result.tables_used == ["metrics"]
    assert "storage:metrics:read" in required_scopes(result.tables_used)


def test_filter_and_fields_apply_to_the_listing(run: Any) -> None:
    result = run('metrics | filter endsWith(metric.key, ".time") | fields metric.key')
    assert result.records == [{"metric.key": "dt.service.response.time"}]


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("from: now()-1h", 2),  # series start at 10:00, now is 10:40
        ('from: "2025-03-04T08:00:00Z", to: "2025-03-04T09:00:00Z"', 0),  # before any data
        ('from: "2025-03-04T10:02:00Z", to: "2025-03-04T10:04:00Z"', 2),  # count has points there
    ],
)
def test_timeframe_keeps_keys_with_points_inside(run: Any, clause: str, expected: int) -> None:
    result = run(f"metrics {clause}")
    assert len(result.records) == expected
    assert result.analysis_timeframe is not None


def test_timeframe_ignores_null_points() -> None:
    data = DataSource.from_tables(
        {},
        [
            {
                "metric.key": "gappy",
                "dimensions": {"k8s.pod.name": "a-1"},
                "start": "2025-03-04T10:00:00Z",
                "interval": "1m",
                "values": [1.0, None, None, 2.0],
            }
        ],
        [],
        [],
    )
    inside = 'from: "2025-03-04T10:01:00Z", to: "2025-03-04T10:03:00Z"'
    assert execute(f"metrics {inside}", data, now=NOW).records == []
    assert execute("metrics", data, now=NOW).records == [
        {"metric.key": "gappy", "dimensions": ["k8s.pod.name"]}
    ]


@pytest.mark.parametrize(
    "query",
    [
        "metrics dt.service.response.time",
        "metrics by: {dt.entity.service}",
        "fetch logs | metrics",
    ],
)
def test_invalid_uses_are_parse_errors(run: Any, query: str) -> None:
    with pytest.raises(DQLParseError):
        run(query)
