"""The error envelopes of the two API planes, built in one place.

The classic Environment API answers ``{"error": {"code", "message", "constraintViolations"?}}``;
the platform services (Grail, SLO) answer the same outer shape with ``details`` carrying
``errorType``, ``missingScopes`` and friends. Clients parse these, so their shape is the contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse, Response

__all__ = ["classic_error", "json", "platform_error", "violation"]


def json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response (compact, UTF-8)."""
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def violation(path: str, message: str, location: str = "QUERY") -> dict[str, Any]:
    """One entry of ``constraintViolations`` (classic envelope)."""
    return {"path": path, "message": message, "parameterLocation": location, "location": path}


def classic_error(
    status: int,
    message: str,
    *,
    violations: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The classic Environment API error envelope."""
    error: dict[str, Any] = {"code": status, "message": message}
    if violations:
        error["constraintViolations"] = [dict(v) for v in violations]
    return json({"error": error}, status, headers)


def platform_error(
    status: int,
    message: str,
    *,
    details: Mapping[str, Any] | None = None,
    retry_after_s: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The platform (Grail, SLO) error envelope."""
    error: dict[str, Any] = {"code": status, "message": message}
    if retry_after_s is not None:
        error["retryAfterSeconds"] = retry_after_s
    if details:
        error["details"] = dict(details)
    return json({"error": error}, status, headers)
