"""The exception tree of dynatrace-agent.

Every failure a caller can act on has its own class, and every message says what to do
next. One place (``dynatrace_agent.client.errormap``) maps HTTP responses to these classes;
nothing else inspects status codes.

```
DynatraceAgentError                      base of everything raised on purpose
├── ConfigurationError                   settings are missing, malformed or contradictory
│   ├── CaseFormatError                  an incident-case folder breaks the format (case.py)
│   └── DatasetFormatError               an importer's source dataset is malformed (importers)
├── InvalidArgumentError                 a caller's argument is not allowed (also a ValueError)
│   └── DQLValueError                    a value cannot be placed in a DQL query (dql.py)
├── DynatraceAPIError                    Dynatrace answered, but not with what was asked
│   ├── AuthenticationError              401: the token/client is invalid or expired
│   ├── MissingScopeError                403: a token/OAuth scope is not granted (.scopes)
│   │   └── TableNotAuthorizedError      403 NOT_AUTHORIZED_FOR_TABLE on a Grail table
│   ├── NotFoundError                    404: no such problem/entity/SLO
│   ├── BadRequestError                  400 that is not a DQL problem (bad selector, ...)
│   ├── DQLSyntaxError                   400 from Grail with errorType and line/column
│   ├── RateLimitedError                 429 still returned when the retry budget ran out
│   ├── ServerError                      5xx after the retry budget (a 500: one retry, GETs only)
│   └── QueryResultGoneError             410: a Grail request token expired
├── TransportError                       no HTTP answer at all (DNS, refused, reset, timeout)
├── QueryTimeoutError                    a Grail query did not finish within its deadline
├── ScanBudgetExceededError              the client's Grail scan budget (GB) is spent
├── CapabilityUnavailableError           a capability's scope or plane is not available
├── StoreUnavailableError                the webhook store cannot read or write now (also a RuntimeError)
└── RunnerError                          a webhook investigation run failed (webhook/dispatch.py)
```

Classes defined next to the code that raises them (``CaseFormatError``, ``DQLValueError``, ...)
still derive from this tree, so ``except DynatraceAgentError`` catches every failure the package
raises on purpose.

Messages are written for two audiences: ``str(err)`` is safe to show a user or a model
(it never contains a secret), and attributes carry the structured detail for code.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "CapabilityUnavailableError",
    "ConfigurationError",
    "DQLSyntaxError",
    "DynatraceAPIError",
    "DynatraceAgentError",
    "InvalidArgumentError",
    "MissingScopeError",
    "NotFoundError",
    "QueryResultGoneError",
    "QueryTimeoutError",
    "RateLimitedError",
    "ScanBudgetExceededError",
    "ServerError",
    "StoreUnavailableError",
    "TableNotAuthorizedError",
    "TransportError",
]


class DynatraceAgentError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(DynatraceAgentError):
    """Settings are missing, malformed or contradictory; the message names the field and the fix."""


class InvalidArgumentError(DynatraceAgentError, ValueError):
    """An argument a caller passed is not allowed; the message says what is.

    Also a ``ValueError``, so code written against the standard contract keeps catching it.
    """


class DynatraceAPIError(DynatraceAgentError):
    """Dynatrace answered with an error status.

    ``status`` is the HTTP status, ``error_type`` Grail's ``details.errorType`` when present,
    ``body`` the decoded error envelope (never containing credentials).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.body = body


class AuthenticationError(DynatraceAPIError):
    """The API token or OAuth client was rejected (401, or the token endpoint refused it)."""


class MissingScopeError(DynatraceAPIError):
    """A scope the call needs is not granted; ``scopes`` names the missing ones."""

    def __init__(self, message: str, *, scopes: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.scopes = list(scopes)


class TableNotAuthorizedError(MissingScopeError):
    """Grail refused a table (``NOT_AUTHORIZED_FOR_TABLE``); ``scopes`` are the missing ones."""


class NotFoundError(DynatraceAPIError):
    """The problem, entity or object asked for does not exist."""


class BadRequestError(DynatraceAPIError):
    """A 400 that is not a DQL error: a bad selector, a bad parameter."""


class DQLSyntaxError(DynatraceAPIError):
    """Grail could not parse or run the DQL; ``line``/``column`` are 1-based when known."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.line = line
        self.column = column


class RateLimitedError(DynatraceAPIError):
    """Dynatrace kept answering 429 after every allowed retry."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(DynatraceAPIError):
    """Dynatrace kept answering 5xx after every allowed retry."""


class QueryResultGoneError(DynatraceAPIError):
    """A Grail request token expired (410) before its result was fetched."""


class TransportError(DynatraceAgentError):
    """No HTTP answer at all: the host could not be reached or the connection broke."""


class QueryTimeoutError(DynatraceAgentError):
    """A Grail query was still running at its deadline and was cancelled."""


class ScanBudgetExceededError(DynatraceAgentError):
    """The client's Grail scan budget is spent; no further queries are sent."""


class CapabilityUnavailableError(DynatraceAgentError):
    """A capability cannot run here: its scope is not granted or its plane is not configured."""

    def __init__(self, message: str, *, capability: str, scopes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.capability = capability
        self.scopes = list(scopes)


class StoreUnavailableError(DynatraceAgentError, RuntimeError):
    """The store cannot take writes or reads now (closed, disk full, database down); retry later."""
