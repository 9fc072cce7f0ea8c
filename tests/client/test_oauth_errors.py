"""The refused OAuth token request, message by message.

When SSO refuses the client-credentials request nothing on the Grail plane works, and the
only help the user gets is this message: it must name the environment, repeat what SSO said,
and point at the setting to fix (the client, its scopes, the account URN, the SSO URL), and the
error's type decides whether the agent retries (rate limit, server error) or stops.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dynatrace_agent.client.errormap import oauth_error_for_response
from dynatrace_agent.errors import (
    AuthenticationError,
    DynatraceAPIError,
    MissingScopeError,
    RateLimitedError,
    ServerError,
)

SCOPES = ["storage:logs:read", "storage:buckets:read"]
CHECK_CLIENT = (
    "check oauth_client_id (DT_OAUTH_CLIENT_ID), oauth_client_secret (DT_OAUTH_CLIENT_SECRET), "
    "account_urn (DT_ACCOUNT_URN) and sso_url (DT_SSO_URL)."
)


def refused(
    status: int, body: Any = None, *, scopes: list[str] | None = None, **headers: str
) -> DynatraceAPIError:
    if isinstance(body, str):
        response = httpx.Response(status, content=body.encode(), headers=headers)
    elif body is None:
        response = httpx.Response(status, headers=headers)
    else:
        response = httpx.Response(status, json=body, headers=headers)
    return oauth_error_for_response(response, environment="prod", scopes=SCOPES if scopes is None else scopes)


def test_invalid_scope_names_the_requested_scopes_and_where_to_grant_them() -> None:
    body = {"error": "invalid_scope", "error_description": "nope"}
    error = refused(400, body)
    assert type(error) is MissingScopeError
    assert str(error) == (
        'the OAuth client of environment "prod" is not granted the scope(s) storage:logs:read, '
        "storage:buckets:read (invalid_scope: nope); add them to the client (Account Management > "
        "Identity & access management > OAuth clients) to enable this capability."
    )
    assert (error.status, error.error_type, error.body, error.scopes) == (400, "invalid_scope", body, SCOPES)  # type: ignore[attr-defined]


def test_scopes_named_by_sso_are_the_ones_reported() -> None:
    body = {
        "error": "invalid_request",
        "error_description": "Missing the following scopes [storage:logs:read,  storage:spans:read ]",
    }
    error = refused(400, body)
    assert type(error) is MissingScopeError
    assert error.scopes == ["storage:logs:read", "storage:spans:read"]  # type: ignore[attr-defined]
    assert "scope(s) storage:logs:read, storage:spans:read (invalid_request: Missing the following" in str(
        error
    )
    singular = refused(400, {"error": "invalid_request", "error_description": "missing following scope [a]"})
    assert singular.scopes == ["a"]  # type: ignore[attr-defined]


def test_a_description_about_scopes_is_a_missing_scope_even_without_the_code() -> None:
    error = refused(400, {"error": "invalid_request", "error_description": "Requested SCOPE not allowed"})
    assert type(error) is MissingScopeError
    assert error.scopes == SCOPES  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", ["invalid_client", "unauthorized_client", "invalid_grant"])
def test_credential_codes_are_authentication_errors(code: str) -> None:
    error = refused(400, {"error": code, "error_description": "bad"})
    assert type(error) is AuthenticationError
    assert str(error) == (
        'the SSO token endpoint rejected the OAuth client of environment "prod" '
        f"({code}: bad); {CHECK_CLIENT}"
    )
    assert (error.status, error.error_type) == (400, code)


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_authentication_errors(status: int) -> None:
    error = refused(status, {"message": "denied"})
    assert type(error) is AuthenticationError
    assert str(error) == (
        'the SSO token endpoint rejected the OAuth client of environment "prod" '
        f"({status}: denied); {CHECK_CLIENT}"
    )
    assert error.error_type is None


@pytest.mark.parametrize(
    "text",
    [
        "Bad client id",
        "wrong clientsecret",
        "Client authentication failed",
        "unknown client",
        "ACCESS_TOKEN_VALIDATION_FAILED",
    ],
)
def test_credential_wording_anywhere_is_an_authentication_error(text: str) -> None:
    assert type(refused(400, {"error": "invalid_request", "error_description": text})) is AuthenticationError
    assert type(refused(400, {"error": "invalid_request", "message": text})) is AuthenticationError


def test_errorcode_field_is_quoted_when_there_is_no_error() -> None:
    error = refused(400, {"errorCode": "E42", "message": "client id unknown"})
    assert "(E42: client id unknown)" in str(error)


def test_a_bare_invalid_request_lists_every_likely_cause() -> None:
    error = refused(400, {"error": "invalid_request"})
    assert type(error) is AuthenticationError
    assert str(error) == (
        'the SSO token endpoint refused the token request of environment "prod" without saying why '
        "(invalid_request). SSO answers like this when the OAuth client id or secret is wrong, when the "
        "client lacks a requested scope (storage:logs:read, storage:buckets:read), or when the account URN "
        "does not match; check DT_OAUTH_CLIENT_ID, DT_OAUTH_CLIENT_SECRET, DT_ACCOUNT_URN and the client's "
        "scopes."
    )
    assert "(none requested)" in str(refused(400, {"error": "invalid_request"}, scopes=[]))


def test_rate_limiting_carries_the_retry_delay() -> None:
    error = refused(429, {"error": "slow_down"}, **{"Retry-After": "7"})
    assert type(error) is RateLimitedError
    assert (
        str(error)
        == 'the SSO token endpoint kept rate-limiting environment "prod" (slow_down); wait and retry.'
    )
    assert error.retry_after == 7.0  # type: ignore[attr-defined]
    assert refused(429).retry_after is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_say_try_later(status: int) -> None:
    error = refused(status, "<html>down</html>")
    assert type(error) is ServerError
    assert str(error) == f'the SSO token endpoint failed for environment "prod" ({status}); try again later.'
    assert error.body == "<html>down</html>"


@pytest.mark.parametrize("status", [200, 299])
def test_a_success_without_a_token_points_at_the_sso_url(status: int) -> None:
    error = refused(status, {"token_type": "Bearer"})
    assert type(error) is AuthenticationError
    assert str(error) == (
        f'the SSO token endpoint answered without an access token for environment "prod" ({status}); '
        "check sso_url (DT_SSO_URL)."
    )


@pytest.mark.parametrize(
    ("status", "body"), [(404, "Not Found"), (400, ["odd"]), (302, None), (499, {"x": 1})]
)
def test_any_other_refusal_is_a_settings_problem(status: int, body: Any) -> None:
    error = refused(status, body)
    assert type(error) is AuthenticationError
    assert str(error) == (
        f'the SSO token endpoint refused the token request for environment "prod" ({status}); '
        "check sso_url (DT_SSO_URL) and the OAuth client settings."
    )
    assert error.status == status


def test_non_text_fields_are_ignored() -> None:
    error = refused(400, {"error": 5, "error_description": ["x"], "message": {"m": 1}})
    assert error.error_type is None
    assert "(400)" in str(error)
    described = refused(400, {"error": "e", "error_description": "what went wrong", "message": "other"})
    assert "(e: what went wrong)" in str(described)
