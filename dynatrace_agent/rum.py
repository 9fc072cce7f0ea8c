"""What a Grail ``user.sessions`` record (the new RUM model) says about errors and frustration.

One definition for the session summary and the investigation's impact signal, so "frustrated"
means the same in a tool answer and in a report. New RUM records no experience score on a
session; frustration is read from what a session does record: its ``error.*`` counters and
whether it crashed (``../shared/reference/dynatrace-api.md`` §10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynatrace_agent.values import as_int

__all__ = [
    "ERROR_KINDS",
    "FRUSTRATED_ERRORS",
    "session_crashed",
    "session_error_kinds",
    "session_errors",
    "session_frustrated",
]

#: A session with this many errors (or a crash) counts as frustrated.
FRUSTRATED_ERRORS = 2

#: Grail's per-session error counters and how they are named for a reader.
ERROR_KINDS = (
    ("error.exception_count", "exceptions"),
    ("error.http_5xx_count", "HTTP 5xx responses"),
    ("error.http_4xx_count", "HTTP 4xx responses"),
    ("error.anr_count", "app not responding (ANR)"),
    ("error.csp_violation_count", "CSP violations"),
)


def session_errors(record: Mapping[str, Any]) -> int:
    """Errors seen in the session (``error.count``)."""
    count = as_int(record.get("error.count"))
    return max(0, count) if count is not None else 0


def session_crashed(record: Mapping[str, Any]) -> bool:
    """Whether the session ended in a crash (``error.has_crash``)."""
    value = record.get("error.has_crash")
    return value is True or str(value).lower() == "true"


def session_frustrated(record: Mapping[str, Any]) -> bool:
    """A crash, or at least :data:`FRUSTRATED_ERRORS` errors, in the session."""
    return session_crashed(record) or session_errors(record) >= FRUSTRATED_ERRORS


def session_error_kinds(record: Mapping[str, Any]) -> dict[str, int]:
    """The session's errors by kind (from the ``error.*`` counters; a crash counts once)."""
    kinds = {label: n for key, label in ERROR_KINDS if (n := as_int(record.get(key)) or 0) > 0}
    if session_crashed(record):
        kinds["crashes"] = 1
    return kinds
