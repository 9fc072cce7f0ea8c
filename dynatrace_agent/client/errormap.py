"""The one place that turns Dynatrace error responses into the ``errors`` tree.

Every message names what was being done, what Dynatrace said, and what to do next. Nothing
here ever sees a credential: messages are built from the response body and from names the
caller passes (operation, environment, scopes), never from request headers or form data.

DQL error positions are reported **1-based** (line 1, column 1 is the first character).
Grail's ``syntaxErrorPosition`` is documented as zero-based but servers have been seen sending
1-based values; when the position carries an ``index`` and the query text is known, line and
column are recomputed from the index (always zero-based), which removes the ambiguity.
Otherwise a 0 in line or column proves a zero-based report and both are shifted by one;
values >= 1 are taken as 1-based.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

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

__all__ = [
    "Operation",
    "dql_position",
    "error_for_response",
    "json_object",
    "oauth_error_for_response",
    "retry_after_seconds",
]

_SCOPE_LIST = re.compile(r"(?:use one of|required scopes?|missing scopes?)[:\s]*\[?([^\]\n]+)", re.IGNORECASE)
_SCOPE_TOKEN = re.compile(r"[a-zA-Z][\w-]*(?:[.:][\w.-]+)+")


@dataclass(frozen=True)
class Operation:
    """What a request was for, so an error can say it in words.

    ``what`` is a phrase such as "listing problems"; ``plane`` is "environment" (API token) or
    "platform" (OAuth); ``scopes`` are the scopes the call needs (named when a 403 does not say);
    ``query`` is the DQL text for position reporting.
    """

    what: str
    plane: str
    environment: str
    scopes: tuple[str, ...] = ()
    query: str | None = None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        text = response.text.strip()
        return text[:500] if text else None


def _envelope(body: Any) -> dict[str, Any]:
    """The ``error`` object of Dynatrace's envelopes (classic and Grail), or {}."""
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or Grail's ``retryAfterSeconds``."""
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                when = parsedate_to_datetime(header)
                date = response.headers.get("date")
                now = parsedate_to_datetime(date) if date else None
                if now is None:
                    from datetime import UTC, datetime

                    now = datetime.now(UTC)
                return max(0.0, (when - now).total_seconds())
            except (TypeError, ValueError, IndexError):
                pass
    value = _envelope(_body(response)).get("retryAfterSeconds")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    return None


def _scopes_from(envelope: dict[str, Any], fallback: Sequence[str]) -> list[str]:
    """Missing scopes from Grail details, from a classic message, or the caller's list."""
    details = envelope.get("details") if isinstance(envelope.get("details"), dict) else {}
    assert isinstance(details, dict)
    for key in ("missingScopes", "missingPermissions"):
        value = details.get(key)
        if isinstance(value, list) and value:
            return [str(v) for v in value]
    message = str(envelope.get("message") or "")
    match = _SCOPE_LIST.search(message)
    if match:
        found = _SCOPE_TOKEN.findall(match.group(1))
        if found:
            return found
    return list(fallback)


def dql_position(position: object, query: str | None) -> tuple[int | None, int | None]:
    """1-based (line, column) from ``syntaxErrorPosition`` (see the module docstring)."""
    if not isinstance(position, dict):
        return None, None
    start = position.get("start") if isinstance(position.get("start"), dict) else position
    assert isinstance(start, dict)
    index = start.get("index")
    if (
        query is not None
        and isinstance(index, int)
        and not isinstance(index, bool)
        and 0 <= index <= len(query)
    ):
        before = query[:index]
        return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1
    given_line, given_column = start.get("line"), start.get("column")
    if not isinstance(given_line, int) or not isinstance(given_column, int):
        return None, None
    if given_line == 0 or given_column == 0:
        return given_line + 1, given_column + 1
    return given_line, given_column


def _caret(query: str | None, line: int | None, column: int | None) -> str:
    """The offending query line with a caret under the column, for a model to see the spot."""
    if not query or not line or not column:
        return ""
    lines = query.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    return f"\n  {text}\n  {' ' * (column - 1)}^"


def _message(envelope: dict[str, Any], body: Any) -> str:
    message = envelope.get("message")
    if isinstance(message, str) and message:
        return message.rstrip(".")
    if isinstance(body, str) and body:
        return body[:200]
    return "no details"


def _violations(envelope: dict[str, Any]) -> str:
    items = envelope.get("constraintViolations")
    details = envelope.get("details")
    if not items and isinstance(details, dict):
        items = details.get("constraintViolations")
    if not isinstance(items, list):
        return ""
    parts = []
    for item in items[:5]:
        if isinstance(item, dict):
            where = item.get("path") or item.get("parameterDescriptor") or item.get("location") or ""
            parts.append(f"{where}: {item.get('message', '')}".strip(": "))
    return f" ({'; '.join(parts)})" if parts else ""


def error_for_response(response: httpx.Response, op: Operation) -> DynatraceAPIError:
    """The exception for a non-success Dynatrace API response (the caller raises it)."""
    status = response.status_code
    body = _body(response)
    envelope = _envelope(body)
    details = envelope.get("details") if isinstance(envelope.get("details"), dict) else {}
    assert isinstance(details, dict)
    error_type = details.get("errorType") if isinstance(details.get("errorType"), str) else None
    said = _message(envelope, body)
    env = f'environment "{op.environment}"'
    gateway = response.headers.get("dynatrace-response-source") == "API Gateway"
    common: dict[str, Any] = {"status": status, "error_type": error_type, "body": body}

    if status == 401:
        if op.plane == "environment":
            fix = (
                f"check api_token (DT_API_TOKEN) of {env}: it may be wrong, expired, revoked "
                "or for another environment"
            )
        else:
            by = " by the API gateway" if gateway else ""
            fix = f"check the OAuth client of {env}: the access token was refused{by}"
        return AuthenticationError(
            f"Dynatrace rejected the credentials while {op.what} (401: {said}); {fix}.", **common
        )
    if status == 403:
        scopes = _scopes_from(envelope, op.scopes)
        named = ", ".join(scopes) if scopes else "a scope this call needs"
        if error_type == "NOT_AUTHORIZED_FOR_TABLE":
            return TableNotAuthorizedError(
                f"Grail refused a table while {op.what} (403 NOT_AUTHORIZED_FOR_TABLE: {said}). "
                f"Missing: {named}. "
                f"Grant it to the OAuth client of {env}, or leave that table out of the query.",
                scopes=scopes,
                **common,
            )
        holder = "API token" if op.plane == "environment" else "OAuth client"
        return MissingScopeError(
            f"missing scope {named} while {op.what} (403: {said}). Grant {named} to the {holder} of {env} "
            "and try again; until then this capability is unavailable.",
            scopes=scopes,
            **common,
        )
    if status == 404:
        return NotFoundError(
            f"not found while {op.what} (404: {said}); check the id and the environment ({env}).", **common
        )
    if status == 410:
        return QueryResultGoneError(
            f"the Grail result expired before it was fetched while {op.what} (410); run the query again.",
            **common,
        )
    if status == 400 and (error_type or (op.query is not None and op.plane == "platform")):
        position = details.get("syntaxErrorPosition")
        line, column = dql_position(position, op.query)
        where = f" at line {line}, column {column}" if line and column else ""
        kind = f" ({error_type})" if error_type else ""
        text = details.get("errorMessage") if isinstance(details.get("errorMessage"), str) else said
        return DQLSyntaxError(
            f"DQL error{where}{kind}: {str(text).rstrip('.')}. Fix the query and run it again."
            + _caret(op.query, line, column),
            line=line,
            column=column,
            **common,
        )
    if status == 429:
        return RateLimitedError(
            f"Dynatrace kept rate-limiting while {op.what} (429: {said}); wait a minute and retry, "
            "or lower the number of parallel calls.",
            retry_after=retry_after_seconds(response),
            **common,
        )
    if status >= 500:
        return ServerError(
            f"Dynatrace answered {status} while {op.what} ({said}); the service may be "
            "degraded, try again later.",
            **common,
        )
    if 400 <= status < 500:
        return BadRequestError(
            f"Dynatrace refused the request while {op.what} ({status}: {said}){_violations(envelope)}; "
            "fix the arguments (selector, time frame, fields) and try again.",
            **common,
        )
    return DynatraceAPIError(f"unexpected answer {status} while {op.what}.", **common)


_MISSING_SCOPES = re.compile(r"missing (?:the )?following scopes?\s*\[([^\]]*)\]", re.IGNORECASE)
_BAD_CREDENTIALS = re.compile(
    r"client ?id|client ?secret|client authentication|unknown client|access_token_validation_failed",
    re.IGNORECASE,
)


def oauth_error_for_response(
    response: httpx.Response, *, environment: str, scopes: Sequence[str]
) -> DynatraceAPIError:
    """The exception for a refused OAuth client-credentials token request."""
    body = _body(response)
    status = response.status_code
    fields = body if isinstance(body, dict) else {}
    raw_code = fields.get("error")
    code: str | None = raw_code if isinstance(raw_code, str) else None
    raw_description, raw_message = fields.get("error_description"), fields.get("message")
    description: str = raw_description if isinstance(raw_description, str) else ""
    message: str = raw_message if isinstance(raw_message, str) else ""
    said = ": ".join(
        str(part) for part in (code or fields.get("errorCode") or status, description or message) if part
    )
    env = f'environment "{environment}"'
    common: dict[str, Any] = {"status": status, "error_type": code, "body": body}
    # Real SSO bodies are not always RFC 6749: a missing scope and wrong credentials both come as
    # 400 invalid_request, told apart only by the description, which may even be empty
    # (dynatrace-mcp issue #24). So every field present is read, not just ``error``.
    text = " ".join((code or "", description, message)).lower()
    named = _MISSING_SCOPES.search(description)
    if code == "invalid_scope" or named or "scope" in description.lower():
        wanted = [s for s in re.split(r"[\s,]+", named.group(1)) if s] if named else list(scopes)
        return MissingScopeError(
            f"the OAuth client of {env} is not granted the scope(s) {', '.join(wanted)} ({said}); "
            "add them to the client (Account Management > Identity & access management > OAuth clients) "
            "to enable this capability.",
            scopes=wanted,
            **common,
        )
    if (
        code in ("invalid_client", "unauthorized_client", "invalid_grant")
        or status in (401, 403)
        or _BAD_CREDENTIALS.search(text)
    ):
        return AuthenticationError(
            f"the SSO token endpoint rejected the OAuth client of {env} ({said}); check oauth_client_id "
            "(DT_OAUTH_CLIENT_ID), oauth_client_secret (DT_OAUTH_CLIENT_SECRET), "
            "account_urn (DT_ACCOUNT_URN) "
            "and sso_url (DT_SSO_URL).",
            **common,
        )
    if status == 400 and code == "invalid_request" and not description:
        return AuthenticationError(
            f"the SSO token endpoint refused the token request of {env} without saying why ({said}). "
            "SSO answers like this when the OAuth client id or secret is wrong, when the client lacks a "
            f"requested scope ({', '.join(scopes) or 'none requested'}), or when the account URN does not "
            "match; check DT_OAUTH_CLIENT_ID, DT_OAUTH_CLIENT_SECRET, DT_ACCOUNT_URN and the client's "
            "scopes.",
            **common,
        )
    if status == 429:
        return RateLimitedError(
            f"the SSO token endpoint kept rate-limiting {env} ({said}); wait and retry.",
            retry_after=retry_after_seconds(response),
            **common,
        )
    if status >= 500:
        return ServerError(f"the SSO token endpoint failed for {env} ({said}); try again later.", **common)
    if 200 <= status < 300:
        return AuthenticationError(
            f"the SSO token endpoint answered without an access token for {env} ({said}); "
            "check sso_url (DT_SSO_URL).",
            **common,
        )
    # Any other refusal (404 at a wrong sso_url, 400 with a non-standard body) is a settings
    # problem, not something a different query could fix.
    return AuthenticationError(
        f"the SSO token endpoint refused the token request for {env} ({said}); check sso_url (DT_SSO_URL) "
        "and the OAuth client settings.",
        **common,
    )


def json_object(response: httpx.Response, op: Operation) -> dict[str, Any]:
    """A success response's JSON object; a clear error when the body is not one (e.g. an HTML page)."""
    if not response.content:
        return {}
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise DynatraceAPIError(
            f"Dynatrace answered {response.status_code} with something other than a JSON object "
            f"while {op.what}; "
            "check that the environment URL points at the Dynatrace API (not a login or proxy page).",
            status=response.status_code,
        )
    return body
