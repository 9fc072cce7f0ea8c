"""Where a DQL syntax error is: the 1-based line and column a user (or a model) can act on.

Grail reports ``syntaxErrorPosition`` as a character index and/or line and column; the index
is the reliable one when the query text is known. A wrong line or column puts the caret under
the wrong token, and the model then "fixes" a part of the query that was fine.
"""

from __future__ import annotations

import httpx
import pytest

from dynatrace_agent.client.errormap import Operation, dql_position, error_for_response
from dynatrace_agent.errors import DQLSyntaxError

QUERY = "fetch logs\n| filter a\n| limit 5"


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, (1, 1)),
        (6, (1, 7)),
        (11, (2, 1)),
        (22, (3, 1)),  # third line: the column counts from the last line break, not the first
        (26, (3, 5)),
        (len(QUERY), (3, 10)),  # just past the end: where a missing token was expected
    ],
)
def test_an_index_into_the_query_becomes_line_and_column(index: int, expected: tuple[int, int]) -> None:
    assert dql_position({"start": {"index": index}}, QUERY) == expected
    assert dql_position({"index": index}, QUERY) == expected  # without the "start" wrapper


@pytest.mark.parametrize("index", [-1, len(QUERY) + 1, True, "3", None])
def test_an_unusable_index_falls_back_to_line_and_column(index: object) -> None:
    assert dql_position({"start": {"index": index, "line": 2, "column": 4}}, QUERY) == (2, 4)


def test_without_the_query_text_the_index_cannot_be_used() -> None:
    assert dql_position({"start": {"index": 3, "line": 1, "column": 2}}, None) == (1, 2)
    assert dql_position({"start": {"index": 3}}, None) == (None, None)


@pytest.mark.parametrize("start", [{"line": 2}, {"column": 3}, {"line": "2", "column": 3}])
def test_line_and_column_are_needed_together(start: dict[str, object]) -> None:
    assert dql_position({"start": start}, None) == (None, None)


@pytest.mark.parametrize("position", [None, "1:2", [1, 2]])
def test_a_position_that_is_not_an_object_is_unknown(position: object) -> None:
    assert dql_position(position, QUERY) == (None, None)


def _dql_error(query: str, position: dict[str, object]) -> DQLSyntaxError:
    body = {
        "error": {
            "code": 400,
            "message": "PARSE_ERROR",
            "details": {"errorType": "PARSE_ERROR", "errorMessage": "Bad.", "syntaxErrorPosition": position},
        }
    }
    op = Operation("running a Grail query", "platform", "prod", query=query)
    error = error_for_response(httpx.Response(400, json=body), op)
    assert isinstance(error, DQLSyntaxError)
    return error


def test_the_caret_sits_under_the_first_column_of_the_first_line() -> None:
    error = _dql_error("fetch logz", {"start": {"index": 0}})
    assert str(error).endswith("Fix the query and run it again.\n  fetch logz\n  ^")


def test_no_caret_when_the_line_is_outside_the_query() -> None:
    error = _dql_error("fetch logz", {"start": {"line": 3, "column": 2}})
    assert (error.line, error.column) == (3, 2)
    assert str(error).endswith("Fix the query and run it again.")
