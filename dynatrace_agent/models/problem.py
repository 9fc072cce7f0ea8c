"""A Davis problem and the reference that names one, each defined and validated here only.

A problem is named either by its display id (``P-240101``, what people see and paste) or by
its ``problemId`` (``-3046530927337473512_1740800000000V2``, what the API keys on). Every
entry point (a tool argument, a capability call, the client, the recorder, a webhook payload)
checks a reference with :func:`parse_problem_ref`, so they accept and refuse the same things
and a reference can never carry a path or a selector into a request.

:class:`Problem` is the Problems API v2 record, typed but tolerant: a field of an unexpected
shape becomes ``None`` (or is left out of a list) instead of failing the record, because the
investigation must still start when Davis sends something odd. The capabilities return it and
the analysis reads it; nobody re-parses the raw JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.models.record import Int, Record, Text

__all__ = [
    "DISPLAY_ID",
    "Problem",
    "ProblemRef",
    "display_id_of",
    "is_display_id",
    "parse_problem_ref",
]

#: A problem's display id as shown in the UI, e.g. ``P-240101``.
DISPLAY_ID = re.compile(r"^P-\d+$", re.IGNORECASE)
#: What a reference may look like: a display id, a problemId, or an opaque id of safe characters.
_PROBLEM_REF = re.compile(r"(P-\d{1,12}|-?\d{1,25}_\d{1,15}V\d|[A-Za-z0-9_-]{1,80})\Z")
#: A display id as notification templates fill it in: with or without the ``P-`` prefix.
_LOOSE_DISPLAY_ID = re.compile(r"^(?:P-)?(\d{1,20})$", re.IGNORECASE)


def parse_problem_ref(value: object) -> str:
    """The reference, stripped; ``InvalidArgumentError`` (a ``ValueError``) when it names no problem."""
    ref = value.strip() if isinstance(value, str) else ""
    if not _PROBLEM_REF.match(ref):
        raise InvalidArgumentError(
            f"{value!r} is not a problem reference; use a display id like P-240101 or a problemId"
        )
    return ref


def is_display_id(ref: str) -> bool:
    """Whether ``ref`` is a display id (``P-…``), which the API needs resolved to a problemId."""
    return DISPLAY_ID.match(ref) is not None


def display_id_of(value: str | None) -> str | None:
    """``P-<digits>`` from a display id written with or without its prefix; None otherwise."""
    if value is None:
        return None
    match = _LOOSE_DISPLAY_ID.match(value)
    return f"P-{match.group(1)}" if match else None


#: A problem reference as a pydantic field type (tool arguments, request bodies).
ProblemRef = Annotated[str, AfterValidator(parse_problem_ref)]


def _mapping(value: object) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


def _mappings(value: object) -> list[dict[str, Any]]:
    return [dict(v) for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


#: A nested object of the record; anything else (a string, a number) reads as absent.
Mapping_ = Annotated[dict[str, Any] | None, BeforeValidator(_mapping)]
#: A list of nested objects; entries that are not objects are dropped.
Mappings = Annotated[list[dict[str, Any]], BeforeValidator(_mappings)]


class Problem(Record):
    """A Davis problem as the Problems API v2 returns it (details present when requested)."""

    problem_id: Text = Field(default=None, alias="problemId")
    display_id: Text = Field(default=None, alias="displayId")
    title: Text = None
    status: Text = None
    severity_level: Text = Field(default=None, alias="severityLevel")
    impact_level: Text = Field(default=None, alias="impactLevel")
    start_time: Int = Field(default=None, alias="startTime")
    end_time: Int = Field(default=None, alias="endTime")
    root_cause_entity: Mapping_ = Field(default=None, alias="rootCauseEntity")
    affected_entities: Mappings = Field(default_factory=list, alias="affectedEntities")
    impacted_entities: Mappings = Field(default_factory=list, alias="impactedEntities")
    evidence_details: Mapping_ = Field(default=None, alias="evidenceDetails")
    impact_analysis: Mapping_ = Field(default=None, alias="impactAnalysis")
