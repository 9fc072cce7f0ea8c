"""Raw Dynatrace records → evidence models, given the investigation window.

Pure functions, tolerant of missing fields, string numbers and odd timestamps: a record
that cannot be placed in time or attributed is skipped, never fatal. Each function takes an
optional ``source`` (the query the records came from) and stamps it on what it returns.
One module per kind of record: ``problem``, ``span_stats`` (spans), ``logs``, ``metrics``, ``changes``
and ``impact``; ``records`` holds the tolerant field access they share.
"""

from __future__ import annotations

from dynatrace_agent.analysis.signals.changes import change_events
from dynatrace_agent.analysis.signals.impact import impact
from dynatrace_agent.analysis.signals.logs import log_stats
from dynatrace_agent.analysis.signals.metrics import metric_deviations, parse_interval
from dynatrace_agent.analysis.signals.problem import davis_evidence, problem_info
from dynatrace_agent.analysis.signals.span_stats import trace_stats

__all__ = [
    "change_events",
    "davis_evidence",
    "impact",
    "log_stats",
    "metric_deviations",
    "parse_interval",
    "problem_info",
    "trace_stats",
]
