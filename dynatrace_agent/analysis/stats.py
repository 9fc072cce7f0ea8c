"""Small pure helpers shared by the analysis, the summarisers and the baselines.

Records arrive as Grail gives them: fields may be missing, numbers may be JSON strings, and
timestamps are ISO strings or epoch numbers. Every helper here tolerates all of that and
answers ``None`` (or a neutral value) instead of raising, because one odd record must never
stop an investigation.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dynatrace_agent.values import as_float, as_int, parse_timestamp

__all__ = [
    "failure_origins",
    "message_pattern",
    "percentile",
    "span_duration_ms",
    "span_failed",
    "span_service",
]

PATTERN_MAX_CHARS = 200


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks.

    Non-finite values are ignored; ``None`` when nothing is left. ``q`` is clamped to 0..100
    so a caller's rounding error never raises.
    """
    data = sorted(v for v in (as_float(x) for x in values) if v is not None)
    if not data:
        return None
    q = min(100.0, max(0.0, float(q)))
    if len(data) == 1:
        return data[0]
    position = (len(data) - 1) * q / 100.0
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return data[low]
    fraction = position - low
    return data[low] + (data[high] - data[low]) * fraction


# Order matters: the longer, more specific shapes are replaced before their parts.
_PATTERN_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"), "<str>"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "<email>"),
    # Dynatrace entity ids such as SERVICE-9A1B2C3D4E5F6071.
    (re.compile(r"\b[A-Z][A-Z_]+-[0-9A-F]{16}\b"), "<id>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<id>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b"), "<ip>"),
    (re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){4,7}[0-9a-fA-F]{1,4}\b"), "<ip>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<id>"),
    # Hex runs of 8+ chars containing at least one digit and one letter (trace ids, hashes).
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<id>"),
    (re.compile(r"(?<![A-Za-z])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?"), "<num>"),
)
_WHITESPACE = re.compile(r"\s+")


def message_pattern(text: str) -> str:
    """A log message with its variable parts replaced, so repeats of one message group together.

    Quoted strings, e-mail addresses, UUIDs and hex ids, IP addresses and numbers become
    ``<str>``, ``<email>``, ``<id>``, ``<ip>`` and ``<num>``; whitespace collapses; the result
    is capped at 200 characters so a stack trace cannot blow up a summary.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    result = text
    for pattern, placeholder in _PATTERN_RULES:
        result = pattern.sub(placeholder, result)
    result = _WHITESPACE.sub(" ", result).strip()
    return result[:PATTERN_MAX_CHARS]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    text = str(value).strip()
    return text or None


def span_service(span: Mapping[str, Any]) -> str | None:
    """The service a span belongs to: the Dynatrace entity id when known, else ``service.name``."""
    return _text(span.get("dt.entity.service")) or _text(span.get("service.name"))


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    if isinstance(value, int | float):
        return value != 0
    return False


def span_failed(span: Mapping[str, Any]) -> bool:
    """Whether a span failed: ``request.is_failed``, an HTTP 5xx, or an error span status."""
    if _truthy(span.get("request.is_failed")):
        return True
    status = as_int(span.get("http.response.status_code"))
    if status is not None and status >= 500:
        return True
    span_status = span.get("span.status_code")
    return isinstance(span_status, str) and span_status.strip().lower() == "error"


def span_duration_ms(span: Mapping[str, Any]) -> float | None:
    """Duration in milliseconds from ``duration`` (ns) or, failing that, end minus start."""
    duration = as_float(span.get("duration"))
    if duration is not None and duration >= 0:
        return duration / 1e6
    start = parse_timestamp(span.get("start_time"))
    end = parse_timestamp(span.get("end_time"))
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() * 1000.0


def failure_origins(spans: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many traces each service originated failures in.

    In every trace with failures, an *origin* is a failing span nothing beneath it failed in:
    the deepest place the failure was seen, rather than the callers that relayed it. Each trace
    counts once per origin service. Spans without a trace id or a service are ignored.
    """
    traces: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for span in spans:
        trace_id = _text(span.get("trace.id"))
        if trace_id is not None:
            traces[trace_id].append(span)
    counts: dict[str, int] = defaultdict(int)
    for members in traces.values():
        failing = [s for s in members if span_failed(s)]
        if not failing:
            continue
        # Every ancestor of a failing span relays it (healthy spans may sit in between).
        parent_of = {
            sid: _text(s.get("span.parent_id"))
            for s in members
            if (sid := _text(s.get("span.id"))) is not None
        }
        parents_of_failures: set[str] = set()
        for s in failing:
            parent = _text(s.get("span.parent_id"))
            while parent is not None and parent not in parents_of_failures:
                parents_of_failures.add(parent)
                parent = parent_of.get(parent)
        origin_services: set[str] = set()
        for span in failing:
            span_id = _text(span.get("span.id"))
            if span_id is not None and span_id in parents_of_failures:
                continue
            service = span_service(span)
            if service is not None:
                origin_services.add(service)
        for service in origin_services:
            counts[service] += 1
    return dict(counts)
