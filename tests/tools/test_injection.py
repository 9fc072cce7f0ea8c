"""Hostile tool arguments cannot change the shape of the DQL or selector that is sent.

Each free-text argument is tried with values built to break out of a string literal (quotes,
backslashes, pipes, comments, line separators). Either the argument is refused, or every
query sent parses (with the simulator's DQL parser) into the same commands as a benign call,
with the hostile text present only as a string literal.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from langchain_core.tools import BaseTool

from dynatrace_agent.simulator.dql_engine import parse
from tests.tools.conftest import call

HOSTILE = [
    'x" | fetch spans | fields secret',
    'x\\" | limit 1 | fetch logs',
    "x` | fetch logs",
    '") or true or ("',
    "x // | fetch spans",
    "x /* */ | fetch bizevents",
    "x\u2028| fetch spans",
    "x\n| fetch spans",
    "x\r\n| fetch spans",
    "x\x00y",
]

#: (tool, argument, benign value, extra args)
TARGETS: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("dynatrace_query_logs", "text", "timeout", {}),
    ("dynatrace_query_logs", "service", "payment", {}),
    ("dynatrace_query_logs", "host", "ip-10-22-23-25", {}),
    ("dynatrace_query_traces", "service", "checkout", {}),
    ("dynatrace_query_traces", "endpoint", "POST /api/checkout", {}),
    ("dynatrace_query_user_sessions", "application", "www.shop.example", {}),
    ("dynatrace_query_user_sessions", "user", "user-4583", {}),
    ("dynatrace_query_business_events", "event_types", ["com.shop.order.completed"], {}),
    ("dynatrace_query_business_events", "providers", ["www.shop.example"], {}),
]


def _commands(query: str) -> list[str]:
    return [type(c).__name__ for c in parse(query).commands]


def _string_literals(node: Any) -> list[str]:
    found: list[str] = []
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        if type(node).__name__ == "Literal" and getattr(node, "kind", None) == "string":
            found.append(getattr(node, "value"))  # noqa: B009
        for item in dataclasses.fields(node):
            found.extend(_string_literals(getattr(node, item.name)))
    elif isinstance(node, tuple | list):
        for item in node:
            found.extend(_string_literals(item))
    return found


@pytest.mark.parametrize(("tool_name", "arg", "benign", "extra"), TARGETS)
async def test_hostile_text_stays_a_string_literal(
    tools: dict[str, BaseTool], tool_name: str, arg: str, benign: Any, extra: dict[str, Any]
) -> None:
    tool = tools[tool_name]
    reference = await call(tool, {arg: benign, **extra})
    assert reference.status == "success", reference.content
    shapes = [_commands(q) for q in reference.artifact["queries"]]
    for hostile in HOSTILE:
        value: Any = [hostile] if isinstance(benign, list) else hostile
        message = await call(tool, {arg: value, **extra})
        if message.status == "error":
            assert "one line" in message.content or "Invalid" in message.content, message.content
            assert "\n" in hostile or "\r" in hostile or "\u2028" in hostile or "\x00" in hostile
            continue
        queries = message.artifact["queries"]
        assert [_commands(q) for q in queries[: len(shapes)]] == shapes[: len(queries)], queries
        first = parse(queries[0])
        assert any(hostile in literal for literal in _string_literals(first)), queries[0]


@pytest.mark.parametrize(
    ("tool_name", "args"),
    [
        ("dynatrace_list_entities", {"entity_type": "SERVICE", "name": 'checkout"),type("HOST'}),
        (
            "dynatrace_list_entities",
            {"entity_type": "SERVICE", "tags": ['x"),entityId("HOST-7F8FC2CE5CE8047F']},
        ),
        ("dynatrace_list_problems", {"timeframe_start": "now-7d", "text": 'a"),status("open'}),
        ("dynatrace_list_problems", {"timeframe_start": "now-7d", "tags": ['team:web"),status("open']}),
    ],
)
async def test_hostile_selector_values_stay_one_value(
    tools: dict[str, BaseTool], tool_name: str, args: Any
) -> None:
    message = await call(tools[tool_name], args)
    assert message.status == "success", message.content
    assert message.artifact["records"] == []  # the injected clause did not widen the match
    assert '~"' in message.artifact["query"]  # quotes were escaped in the selector


@pytest.mark.parametrize(
    "args",
    [
        {"entity_type": 'SERVICE"),type("HOST'},
        {"entity_ids": ['SERVICE-5647DB217B04C447"),type("HOST']},
        {"entity_type": "SERVICE", "calls": "SERVICE-1 | x"},
    ],
)
async def test_malformed_ids_and_types_are_refused(tools: dict[str, BaseTool], args: Any) -> None:
    message = await call(tools["dynatrace_list_entities"], args)
    assert message.status == "error" and "Invalid argument" in message.content


@pytest.mark.parametrize(
    "args",
    [
        {"metric_keys": ["dt.host.cpu.usage) | fetch logs | (x"]},
        {"metric_keys": ["dt.host.cpu.usage"], "by": ["dt.entity.host} | fetch logs"]},
        {"metric_keys": ["dt.host.cpu.usage"], "interval": "1m | fetch logs"},
        {"metric_keys": ["dt.host.cpu.usage"], "timeframe_start": "now-1h | fetch logs"},
    ],
)
async def test_metric_identifiers_and_times_are_validated(tools: dict[str, BaseTool], args: Any) -> None:
    message = await call(tools["dynatrace_query_metrics"], args)
    assert message.status == "error" and "Invalid argument" in message.content, message.content
