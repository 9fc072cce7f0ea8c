"""Turn failures into text a model can act on.

A model cannot read a traceback, and it cannot fix a missing scope; it *can* narrow a
timeframe, correct a DQL column or switch to another tool. Every message here therefore
says what went wrong in one sentence and what to try next, naming concrete arguments,
scopes and tools. Messages come from the error tree, which never carries secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from dynatrace_agent.errors import (
    AuthenticationError,
    BadRequestError,
    CapabilityUnavailableError,
    DQLSyntaxError,
    DynatraceAgentError,
    InvalidArgumentError,
    MissingScopeError,
    NotFoundError,
    QueryResultGoneError,
    QueryTimeoutError,
    RateLimitedError,
    ScanBudgetExceededError,
    ServerError,
    TransportError,
)

__all__ = ["explain", "explain_validation"]

_NARROW = (
    "Narrow the timeframe (e.g. timeframe_start='now-30m') or add filters (service, level, entity ids) "
    "and call again."
)


def _clause(text: str) -> str:
    """``text`` without its closing full stop, so the advice that follows reads as one sentence."""
    return text.rstrip().rstrip(".").rstrip()


def _scopes(scopes: Sequence[str]) -> str:
    return ", ".join(scopes) if scopes else "the scope this capability needs"


def explain(exc: BaseException, *, tool: str) -> str:
    """One message for the model: what failed and the next thing to try."""
    raw = str(exc).strip() or type(exc).__name__
    detail = _clause(raw) or type(exc).__name__
    if isinstance(exc, MissingScopeError):
        granted = _scopes(exc.scopes)
        return (
            f"{tool} is not permitted: {detail}. Ask the Dynatrace admin to grant {granted} "
            "(OAuth client for Grail data, API token for problems/entities/settings); "
            "meanwhile use the other Dynatrace tools."
        )
    if isinstance(exc, CapabilityUnavailableError):
        need = f" It needs {_scopes(exc.scopes)}." if exc.scopes else ""
        return f"{tool} is unavailable in this environment: {detail}.{need} Use the other Dynatrace tools."
    if isinstance(exc, DQLSyntaxError):
        where = (
            f" at line {exc.line}, column {exc.column}"
            if exc.line is not None and exc.column is not None and "line" not in detail
            else ""
        )
        return (
            f"The DQL query failed{where}: {raw}\nFix the query at that position "
            "(check command names, field names and quoting) and call again."
        )
    if isinstance(exc, QueryTimeoutError | ScanBudgetExceededError):
        return f"{tool} stopped: {detail}. {_NARROW}"
    if isinstance(exc, NotFoundError):
        return (
            f"Not found: {detail}. Check the id; dynatrace_list_problems and dynatrace_list_entities "
            "return valid problem and entity ids."
        )
    if isinstance(exc, RateLimitedError):
        wait = f" about {exc.retry_after:.0f} s" if exc.retry_after else " a minute"
        return f"Dynatrace is rate limiting requests: {detail}. Wait{wait} before calling again."
    if isinstance(exc, AuthenticationError):
        return (
            f"Dynatrace rejected the credentials: {detail}. This cannot be fixed by changing arguments; "
            "tell the user to check the API token / OAuth client (dynatrace-agent test-connection)."
        )
    if isinstance(exc, QueryResultGoneError | ServerError | TransportError):
        return f"Dynatrace did not answer properly: {detail}. Try again shortly; {_NARROW}"
    if isinstance(exc, BadRequestError):
        # The error map's message already names what to fix in the request.
        return f"Dynatrace refused the request: {detail}. Change the arguments accordingly and call again."
    if isinstance(exc, InvalidArgumentError):  # before its parent: say what to correct
        return f"Invalid argument for {tool}: {detail}. Correct it and call again."
    if isinstance(exc, DynatraceAgentError):
        return f"{tool} failed: {detail}."
    if isinstance(exc, ValueError):
        return f"Invalid argument for {tool}: {detail}. Correct it and call again."
    return f"{tool} failed unexpectedly ({type(exc).__name__}: {detail})."


def explain_validation(exc: ValidationError | Exception, *, tool: str) -> str:
    """Argument errors listed field by field, so the model can fix each one."""
    if not isinstance(exc, ValidationError):
        return f"Invalid arguments for {tool}: {exc}. Correct them and call again."
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        message = str(error.get("msg", "invalid value"))
        problems.append(f"{where}: {message}")
    listed = "; ".join(problems[:8])
    more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
    return f"Invalid arguments for {tool}: {listed}{more}. Correct them and call again."
