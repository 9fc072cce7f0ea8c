"""Shared fixtures: a tiny tenant with known logs, spans, events, entities, problems and metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dynatrace_agent.simulator.dql_engine import DataSource, ExecutionResult, execute

NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)

LOGS: list[dict[str, Any]] = [
    {
        "timestamp": "2025-03-04T10:00:00Z",
        "content": "Connection timeout to db",
        "loglevel": "ERROR",
        "dt.entity.service": "SERVICE-A",
        "status_code": 500,
    },
    {
        "timestamp": "2025-03-04T10:05:00.123Z",
        "content": "request ok",
        "loglevel": "INFO",
        "dt.entity.service": "SERVICE-A",
        "status_code": 200,
    },
    {
        "timestamp": "2025-03-04T10:10:00.123456789Z",
        "content": "Timeout again",
        "loglevel": "ERROR",
        "dt.entity.service": "SERVICE-B",
        "status_code": 503,
    },
    {
        "timestamp": "2025-03-04T10:20:00Z",
        "content": "slow query took 2.5 s",
        "loglevel": "WARN",
        "dt.entity.service": "SERVICE-B",
        "latency": 2.5,
    },
    {
        "timestamp": "2025-03-04T10:30:00Z",
        "content": "no service here",
        "loglevel": "INFO",
        "extra.field": "kept",
    },
    {
        "timestamp": "2025-03-04T07:10:00Z",
        "content": "old timeout",
        "loglevel": "ERROR",
        "dt.entity.service": "SERVICE-B",
    },
]

SPANS: list[dict[str, Any]] = [
    {
        "trace.id": "t1",
        "span.id": "s1",
        "span.parent_id": None,
        "span.name": "GET /cart",
        "start_time": "2025-03-04T10:01:00Z",
        "end_time": "2025-03-04T10:01:00.040Z",
        "duration": 40_000_000,
        "dt.entity.service": "SERVICE-A",
        "request.is_failed": False,
    },
    {
        "trace.id": "t2",
        "span.id": "s2",
        "span.parent_id": None,
        "span.name": "GET /cart",
        "start_time": "2025-03-04T10:21:00Z",
        "end_time": "2025-03-04T10:21:00.900Z",
        "duration": 900_000_000,
        "dt.entity.service": "SERVICE-A",
        "request.is_failed": True,
    },
]

ENTITIES: list[dict[str, Any]] = [
    {
        "entityId": "SERVICE-A",
        "type": "SERVICE",
        "displayName": "checkout",
        "tags": [
            {"context": "CONTEXTLESS", "key": "team", "value": "shop", "stringRepresentation": "team:shop"}
        ],
        "properties": {"serviceType": "WEB_SERVICE"},
        "firstSeenTms": 1741000000000,
        "lastSeenTms": 1741084800000,
    },
    {"entityId": "HOST-1", "type": "HOST", "displayName": "web-1"},
]

PROBLEMS: list[dict[str, Any]] = [
    {
        "problemId": "-1_1741080000000V2",
        "displayId": "P-250304",
        "title": "Response time degradation",
        "status": "OPEN",
        "severityLevel": "PERFORMANCE",
        "impactLevel": "SERVICES",
        "startTime": 1741082400000,
        "endTime": -1,
        "affectedEntities": [{"entityId": {"id": "SERVICE-A", "type": "SERVICE"}, "name": "checkout"}],
        "impactedEntities": [],
        "rootCauseEntity": {"entityId": {"id": "SERVICE-A", "type": "SERVICE"}, "name": "checkout"},
    },
    {
        "problemId": "-2_1741000000000V2",
        "displayId": "P-250300",
        "title": "Old closed one",
        "status": "CLOSED",
        "severityLevel": "ERROR",
        "impactLevel": "SERVICES",
        "startTime": 1741000000000,
        "endTime": 1741003600000,
        "affectedEntities": [],
        "impactedEntities": [],
    },
]

METRICS: list[dict[str, Any]] = [
    {
        "metric.key": "dt.service.response.time",
        "dimensions": {"dt.entity.service": "SERVICE-A"},
        "start": "2025-03-04T10:00:00Z",
        "interval": "1m",
        "unit": "MicroSecond",
        "values": [1.0, 3.0, None, None, 5.0, 7.0],
    },
    {
        "metric.key": "dt.service.response.time",
        "dimensions": {"dt.entity.service": "SERVICE-B"},
        "start": "2025-03-04T10:00:00Z",
        "interval": "1m",
        "unit": "MicroSecond",
        "values": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
    },
    {
        "metric.key": "dt.service.request.count",
        "dimensions": {"dt.entity.service": "SERVICE-A"},
        "start": "2025-03-04T10:00:00Z",
        "interval": "1m",
        "values": [1, 2, 3, 4, 5, 6],
    },
]


@pytest.fixture(scope="session")
def data() -> DataSource:
    return DataSource.from_tables({"logs": LOGS, "spans": SPANS, "events": []}, METRICS, ENTITIES, PROBLEMS)


@pytest.fixture()
def run(data: DataSource) -> Any:
    def _run(query: str, **kwargs: Any) -> ExecutionResult:
        return execute(query, data, now=NOW, **kwargs)

    return _run
