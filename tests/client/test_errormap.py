"""Every error response maps to its class with a message that says what to do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dynatrace_agent.client.errormap import Operation, dql_position, error_for_response, json_object
from dynatrace_agent.errors import (
    AuthenticationError,
    BadRequestError,
    DQLSyntaxError,
    DynatraceAPIError,
    MissingScopeError,
    NotFoundError,
    QueryResultGoneError,
    RateLimitedError,
    ServerError,
    TableNotAuthorizedError,
)

CLASSIC_OP = Operation("listing problems", "environment", "prod", ("problems.read",))
QUERY = 'fetch logs\n| filter loglevel = = "ERROR"'
GRAIL_OP = Operation("running a Grail query", "platform", "prod", ("storage:logs:read",), query=QUERY)


def response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def test_classic_missing_scope_names_the_scope_from_the_message() -> None:
    body = {"error": {"code": 403, "message": "Token is missing required scope. Use one of: problems.read"}}
    err = error_for_response(response(403, body), CLASSIC_OP)
    assert isinstance(err, MissingScopeError)
    assert err.scopes == ["problems.read"]
    assert "missing scope problems.read" in str(err)
    assert "API token" in str(err) and 'environment "prod"' in str(err)


def test_403_without_scope_detail_names_the_scope_the_call_needs() -> None:
    err = error_for_response(response(403, {"error": {"code": 403, "message": "Forbidden"}}), CLASSIC_OP)
    assert isinstance(err, MissingScopeError) and err.scopes == ["problems.read"]


def test_grail_missing_scopes_from_details() -> None:
    body = {
        "error": {"code": 403, "message": "Forbidden", "details": {"missingScopes": ["storage:logs:read"]}}
    }
    err = error_for_response(response(403, body), GRAIL_OP)
    assert type(err) is MissingScopeError and err.scopes == ["storage:logs:read"]
    assert "OAuth client" in str(err)


def test_table_not_authorized() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Not authorized for table logs",
            "details": {"errorType": "NOT_AUTHORIZED_FOR_TABLE", "missingPermissions": ["storage:logs:read"]},
        }
    }
    err = error_for_response(response(403, body), GRAIL_OP)
    assert isinstance(err, TableNotAuthorizedError)
    assert err.scopes == ["storage:logs:read"] and err.error_type == "NOT_AUTHORIZED_FOR_TABLE"


def syntax_body(start: dict[str, int]) -> dict[str, Any]:
    return {
        "error": {
            "code": 400,
            "message": "PARSE_ERROR_UNEXPECTED_TOKEN",
            "details": {
                "errorType": "PARSE_ERROR_UNEXPECTED_TOKEN",
                "exceptionType": "DQL-SYNTAX-ERROR",
                "errorMessage": "Unexpected token '='.",
                "syntaxErrorPosition": {"start": start, "end": start},
            },
        }
    }


def test_dql_syntax_error_position_from_the_index_is_one_based() -> None:
    index = QUERY.index("= =") + 2  # the second '='
    err = error_for_response(response(400, syntax_body({"index": index, "line": 99, "column": 99})), GRAIL_OP)
    assert isinstance(err, DQLSyntaxError)
    assert (err.line, err.column) == (2, 21)
    assert err.error_type == "PARSE_ERROR_UNEXPECTED_TOKEN"
    assert "line 2, column 21" in str(err) and "Unexpected token" in str(err)
    assert str(err).endswith('| filter loglevel = = "ERROR"\n                      ^')


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ({"line": 0, "column": 4}, (1, 5)),  # zero-based report
        ({"line": 2, "column": 3}, (2, 3)),  # taken as one-based
        ({"line": 1, "column": 0}, (2, 1)),
        ({}, (None, None)),
    ],
)
def test_dql_position_without_an_index(
    start: dict[str, int], expected: tuple[int | None, int | None]
) -> None:
    assert dql_position({"start": start}, None) == expected


def test_401_says_which_credential() -> None:
    err = error_for_response(
        response(401, {"error": {"code": 401, "message": "Token Authentication failed"}}), CLASSIC_OP
    )
    assert isinstance(err, AuthenticationError) and "DT_API_TOKEN" in str(err)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (404, NotFoundError),
        (410, QueryResultGoneError),
        (429, RateLimitedError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_classes(status: int, cls: type[DynatraceAPIError]) -> None:
    err = error_for_response(response(status, {"error": {"code": status, "message": "x"}}), CLASSIC_OP)
    assert type(err) is cls and err.status == status


def test_410_with_a_plain_text_body() -> None:
    err = error_for_response(response(410, "request token expired"), GRAIL_OP)
    assert isinstance(err, QueryResultGoneError) and err.body == "request token expired"


def test_classic_400_lists_constraint_violations() -> None:
    body = {
        "error": {
            "code": 400,
            "message": "Constraints violated.",
            "constraintViolations": [{"path": "entitySelector", "message": "Invalid selector"}],
        }
    }
    err = error_for_response(response(400, body), CLASSIC_OP)
    assert isinstance(err, BadRequestError)
    assert "entitySelector: Invalid selector" in str(err)


def test_non_json_success_body_is_a_clear_error() -> None:
    with pytest.raises(DynatraceAPIError, match="not a login or proxy page"):
        json_object(response(200, "<html>login</html>"), CLASSIC_OP)
