"""A small fake DynatraceClient: records every call, answers with canned data.

Grail queries are also parsed by the simulator's DQL parser, so a
capability that builds a query the engine cannot read fails here first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from dynatrace_agent.client import QueryResult
from dynatrace_agent.errors import DynatraceAPIError
from dynatrace_agent.simulator.dql_engine.parser import parse as _parse


async def _aiter(items: Sequence[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for item in items:
        yield item


@dataclass
class FakeSettings:
    classic_base_url: str = "https://abc12345.live.dynatrace.com"
    name: str = "fake"


@dataclass
class FakeEnvironment:
    problems: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    settings_objects: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def list_problems(self, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        self.calls.append(("list_problems", kwargs))
        return _aiter(self.problems[: kwargs.get("max_items", 1000)])

    async def get_problem(self, problem: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("get_problem", {"problem": problem, **kwargs}))
        return self.problems[0]

    def list_entities(self, selector: str, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        self.calls.append(("list_entities", {"selector": selector, **kwargs}))
        return _aiter(self.entities[: kwargs.get("max_items", 1000)])

    def list_settings_objects(
        self, schema_ids: Sequence[str], **kwargs: Any
    ) -> AsyncIterator[dict[str, Any]]:
        self.calls.append(("list_settings_objects", {"schema_ids": list(schema_ids), **kwargs}))
        return _aiter(self.settings_objects)


@dataclass
class FakeSlo:
    slos: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    evaluations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def list_slos(self, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        self.calls.append(kwargs)
        return _aiter(self.slos)

    async def evaluate(self, slo_id: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append({"evaluate": slo_id, **kwargs})
        if slo_id not in self.evaluations:
            raise DynatraceAPIError(f"SLO {slo_id} not found", status=404)
        return self.evaluations[slo_id]


@dataclass
class FakeGrail:
    """Answers each query with the first responder whose key occurs in the DQL text."""

    responders: list[tuple[str, Callable[[str], list[dict[str, Any]]]]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def on(self, needle: str, records: list[dict[str, Any]] | Callable[[str], list[dict[str, Any]]]) -> None:
        if callable(records):
            self.responders.append((needle, records))
        else:
            fixed = list(records)
            self.responders.append((needle, lambda _q: fixed))

    async def query(self, dql: str, *, scopes: Sequence[str], **kwargs: Any) -> QueryResult:
        _parse(dql)
        self.calls.append({"dql": dql, "scopes": list(scopes), **kwargs})
        records: list[dict[str, Any]] = []
        for needle, responder in self.responders:
            if needle in dql:
                records = responder(dql)
                break
        metadata = {"grail": {"scannedBytes": "2500000000", "scannedRecords": 1000, "sampled": False}}
        return QueryResult(
            records, [], metadata, max_result_records=kwargs.get("max_result_records"), query=dql
        )


@dataclass
class FakeClient:
    settings: FakeSettings = field(default_factory=FakeSettings)
    environment: FakeEnvironment = field(default_factory=FakeEnvironment)
    grail: FakeGrail = field(default_factory=FakeGrail)
    slo: FakeSlo = field(default_factory=FakeSlo)


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()
