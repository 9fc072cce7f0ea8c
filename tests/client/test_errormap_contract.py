"""Error messages as a contract: each failed response becomes one typed error that says what
happened, in Dynatrace's own words, and what to do, naming the environment and the scope.

A model reads these messages to decide its next step, and people read them in reports; so
every branch is pinned here with a realistic response body, and each detail an error carries
(missing scopes, constraint violations, the DQL position) is checked where it comes from.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dynatrace_agent.client.errormap import (
    Operation,
    error_for_response,
    json_object,
    oauth_error_for_response,
    retry_after_seconds,
)
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

CLASSIC = Operation("listing problems", "environment", "prod", scopes=("problems.read",))
GRAIL = Operation(
    "running a Grail query", "platform", "prod", scopes=("storage:logs:read",), query="fetch logs"
)


def _error(status: int, body: Any = None, op: Operation = CLASSIC, **headers: str) -> DynatraceAPIError:
    if isinstance(body, str | bytes):
        response = httpx.Response(status, content=body, headers=headers)
    else:
        response = httpx.Response(status, json=body, headers=headers)
    return error_for_response(response, op)


def _classic(message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": 0, "message": message, **extra}}


def test_401_on_the_environment_plane_points_at_the_api_token() -> None:
    error = _error(401, _classic("Token Authentication failed."))
    assert isinstance(error, AuthenticationError) and error.status == 401
    assert str(error) == (
        "Dynatrace rejected the credentials while listing problems (401: Token Authentication failed); "
        'check api_token (DT_API_TOKEN) of environment "prod": it may be wrong, expired, revoked or for '
        "another environment."
    )


def test_401_on_the_platform_plane_points_at_the_oauth_client_and_the_gateway() -> None:
    plain = _error(401, _classic("Unauthorized"), GRAIL)
    assert str(plain).endswith('check the OAuth client of environment "prod": the access token was refused.')
    gateway = _error(401, _classic("Unauthorized"), GRAIL, **{"dynatrace-response-source": "API Gateway"})
    assert str(gateway).endswith("the access token was refused by the API gateway.")


@pytest.mark.parametrize(
    ("details", "message", "scopes"),
    [
        ({"missingScopes": ["storage:logs:read", "storage:buckets:read"]}, "Forbidden",
         ["storage:logs:read", "storage:buckets:read"]),
        ({"missingPermissions": ["storage:spans:read"]}, "Forbidden", ["storage:spans:read"]),
        ({"missingScopes": []}, "Token is missing required scope: problems.read", ["problems.read"]),
        ({}, "Token is missing required scopes: [entities.read, settings.read]",
         ["entities.read", "settings.read"]),
        ({}, "Token does not have the required permission. Use one of: DataExport", ["problems.read"]),
        ({}, "Forbidden", ["problems.read"]),
    ],
)  # fmt: skip
def test_403_names_the_missing_scopes_from_wherever_dynatrace_puts_them(
    details: dict[str, Any], message: str, scopes: list[str]
) -> None:
    error = _error(403, _classic(message, details=details))
    assert isinstance(error, MissingScopeError) and error.scopes == scopes
    named = ", ".join(scopes)
    said = message.rstrip(".")
    assert str(error).startswith(f"missing scope {named} while listing problems (403: {said}).")
    assert f'Grant {named} to the API token of environment "prod"' in str(error)


def test_403_without_any_scope_known_says_so() -> None:
    error = _error(403, _classic("Forbidden"), Operation("reading", "platform", "prod"))
    assert isinstance(error, MissingScopeError) and error.scopes == []
    assert "missing scope a scope this call needs" in str(error) and "to the OAuth client of" in str(error)


def test_403_for_a_grail_table_is_a_table_error() -> None:
    body = _classic(
        "You are not allowed to query this table.",
        details={"errorType": "NOT_AUTHORIZED_FOR_TABLE", "missingScopes": ["storage:spans:read"]},
    )
    error = _error(403, body, GRAIL)
    assert isinstance(error, TableNotAuthorizedError) and error.error_type == "NOT_AUTHORIZED_FOR_TABLE"
    assert error.scopes == ["storage:spans:read"]
    assert str(error) == (
        "Grail refused a table while running a Grail query (403 NOT_AUTHORIZED_FOR_TABLE: You are not "
        "allowed to query this table). Missing: storage:spans:read. Grant it to the OAuth client of "
        'environment "prod", or leave that table out of the query.'
    )


def test_404_and_410() -> None:
    missing = _error(404, _classic("Problem P-1 not found."))
    assert isinstance(missing, NotFoundError)
    assert str(missing) == (
        'not found while listing problems (404: Problem P-1 not found); check the id and the environment '
        '(environment "prod").'
    )
    gone = _error(410, _classic("gone"), GRAIL)
    assert isinstance(gone, QueryResultGoneError) and "run the query again" in str(gone)


def test_a_dql_error_names_the_position_and_shows_a_caret() -> None:
    query = "fetch logs\n| filter loglevel = 'ERROR'"
    op = Operation("running a Grail query", "platform", "prod", query=query)
    body = _classic(
        "PARSE_ERROR",
        details={
            "errorType": "PARSE_ERROR_UNEXPECTED_TOKEN",
            "errorMessage": "Unexpected token '='.",
            "syntaxErrorPosition": {"start": {"index": 27, "line": 2, "column": 17}},
        },
    )
    error = _error(400, body, op)
    assert isinstance(error, DQLSyntaxError) and (error.line, error.column) == (2, 17)
    assert str(error) == (
        "DQL error at line 2, column 17 (PARSE_ERROR_UNEXPECTED_TOKEN): Unexpected token '='. "
        "Fix the query and run it again.\n  | filter loglevel = 'ERROR'\n                  ^"
    )


def test_a_platform_400_for_a_query_without_details_is_still_a_dql_error() -> None:
    error = _error(400, _classic("The query is invalid."), GRAIL)
    assert isinstance(error, DQLSyntaxError) and (error.line, error.column) == (None, None)
    assert str(error) == "DQL error: The query is invalid. Fix the query and run it again."


def test_a_classic_400_lists_up_to_five_constraint_violations() -> None:
    violations = [
        {"path": "from", "message": "must be a timeframe"},
        {"parameterDescriptor": "pageSize", "message": "must be at most 500"},
        {"location": "QUERY", "message": "unknown field"},
        {"message": "no place"},
        {"path": "e", "message": "five"},
        {"path": "f", "message": "six is not shown"},
        "not a violation",
    ]
    error = _error(400, _classic("Constraints violated.", constraintViolations=violations))
    assert isinstance(error, BadRequestError)
    assert str(error) == (
        "Dynatrace refused the request while listing problems (400: Constraints violated) "
        "(from: must be a timeframe; pageSize: must be at most 500; QUERY: unknown field; no place; "
        "e: five); "
        "fix the arguments (selector, time frame, fields) and try again."
    )


def test_violations_may_sit_under_details_and_none_means_no_parentheses() -> None:
    nested = _error(400, _classic("Bad.", details={"constraintViolations": [{"path": "x", "message": "y"}]}))
    assert "(400: Bad) (x: y);" in str(nested)
    plain = _error(400, _classic("Bad."))
    assert "(400: Bad); fix the arguments" in str(plain)
    empty = _error(400, _classic("Bad.", constraintViolations=[]))
    assert "(400: Bad); fix the arguments" in str(empty)


def test_what_dynatrace_said_comes_from_the_envelope_else_the_body_else_no_details() -> None:
    assert "(404: gateway says no)" in str(_error(404, "gateway says no"))
    long = "x" * 300
    assert f"(404: {'x' * 200}); check" in str(_error(404, long))
    assert "(404: no details)" in str(_error(404, b""))
    assert "(404: no details)" in str(_error(404, {"error": "a string, not an object"}))
    assert "(404: .leading dots stay)" in str(_error(404, _classic(".leading dots stay...")))


def test_429_carries_the_retry_after_and_5xx_says_try_later() -> None:
    limited = _error(429, _classic("Too Many Requests"), **{"Retry-After": "12"})
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 12.0
    said = "(429: Too Many Requests)"
    assert str(limited).startswith(f"Dynatrace kept rate-limiting while listing problems {said}")
    for status in (500, 502, 599):
        server = _error(status, _classic("Internal error"))
        assert isinstance(server, ServerError)
        assert str(server).startswith(f"Dynatrace answered {status} while listing problems (Internal error)")


def test_an_unexpected_status_is_named() -> None:
    error = _error(302, None)
    assert type(error) is DynatraceAPIError and str(error) == "unexpected answer 302 while listing problems."


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        ("3", None, 3.0),
        ("0.25", None, 0.25),
        ("-4", None, 0.0),
        (None, {"error": {"retryAfterSeconds": 7}}, 7.0),
        (None, {"error": {"retryAfterSeconds": 1.5}}, 1.5),
        (None, {"error": {"retryAfterSeconds": -1}}, 0.0),
        (None, {"error": {"retryAfterSeconds": True}}, None),
        (None, {"error": {"retryAfterSeconds": "7"}}, None),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_retry_after_from_header_or_grail_body(header: str | None, body: Any, expected: float | None) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    response = httpx.Response(429, json=body, headers=headers)
    assert retry_after_seconds(response) == expected


def test_retry_after_as_an_http_date_counts_from_the_response_date() -> None:
    response = httpx.Response(
        503,
        headers={"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"},
    )
    assert retry_after_seconds(response) == 30.0
    past = httpx.Response(
        503, headers={"Retry-After": "Wed, 21 Oct 2026 07:27:00 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"}
    )
    assert retry_after_seconds(past) == 0.0


SCOPES = ["storage:logs:read"]


@pytest.mark.parametrize(
    ("status", "body", "kind", "start"),
    [
        (400, {"error": "invalid_scope", "error_description": "scope not granted"}, MissingScopeError,
         'the OAuth client of environment "prod" is not granted the scope(s) storage:logs:read '
         "(invalid_scope: scope not granted)"),
        (400, {"error": "invalid_client"}, AuthenticationError,
         'the SSO token endpoint rejected the OAuth client of environment "prod" (invalid_client); '
         "check oauth_client_id (DT_OAUTH_CLIENT_ID)"),
        (400, {"error": "unauthorized_client"}, AuthenticationError, "the SSO token endpoint rejected"),
        (400, {"error": "invalid_grant"}, AuthenticationError, "the SSO token endpoint rejected"),
        (401, {"error_description": "nope"}, AuthenticationError,
         'the SSO token endpoint rejected the OAuth client of environment "prod" (401: nope)'),
        (403, None, AuthenticationError,
         'the SSO token endpoint rejected the OAuth client of environment "prod" (403)'),
        (429, {"error": "slow_down"}, RateLimitedError,
         'the SSO token endpoint kept rate-limiting environment "prod" (slow_down); wait and retry.'),
        (503, {}, ServerError,
         'the SSO token endpoint failed for environment "prod" (503); try again later.'),
        (200, {"token_type": "Bearer"}, AuthenticationError,
         'the SSO token endpoint answered without an access token for environment "prod" (200); '
         "check sso_url (DT_SSO_URL)."),
        (400, {"error": "invalid_request", "error_description": ""}, AuthenticationError,
         "the SSO token endpoint refused the token request"),
    ],
)  # fmt: skip
def test_oauth_token_errors(status: int, body: Any, kind: type[DynatraceAPIError], start: str) -> None:
    error = oauth_error_for_response(httpx.Response(status, json=body), environment="prod", scopes=SCOPES)
    assert type(error) is kind and error.status == status
    assert str(error).startswith(start)
    if kind is MissingScopeError:
        assert error.scopes == SCOPES  # type: ignore[attr-defined]
        assert error.error_type == "invalid_scope"


def test_oauth_rate_limit_carries_retry_after() -> None:
    response = httpx.Response(429, json={"error": "slow_down"}, headers={"Retry-After": "4"})
    error = oauth_error_for_response(response, environment="prod", scopes=SCOPES)
    assert isinstance(error, RateLimitedError) and error.retry_after == 4.0


def test_json_object_accepts_objects_and_empty_bodies_only() -> None:
    assert json_object(httpx.Response(200, json={"a": 1}), CLASSIC) == {"a": 1}
    assert json_object(httpx.Response(204), CLASSIC) == {}
    for bad in (httpx.Response(200, json=[1]), httpx.Response(200, content=b"<html>login</html>")):
        with pytest.raises(DynatraceAPIError) as info:
            json_object(bad, CLASSIC)
        assert str(info.value) == (
            "Dynatrace answered 200 with something other than a JSON object while listing problems; check "
            "that the environment URL points at the Dynatrace API (not a login or proxy page)."
        )
        assert info.value.status == 200
