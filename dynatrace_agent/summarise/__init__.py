"""Token-budgeted summaries of Dynatrace records, one pure function per data type.

Every ``summarise_*`` takes records as the API returned them and a token ``budget`` and
returns plain markdown text that never exceeds the budget (see :mod:`.budget`).
"""

from dynatrace_agent.summarise.alerting import normalise_rule, summarise_alerting_rules
from dynatrace_agent.summarise.bizevents import summarise_bizevents
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    MAX_BUDGET,
    MIN_BUDGET,
    Section,
    check_budget,
    count_tokens,
    fit_sections,
)
from dynatrace_agent.summarise.dql import summarise_dql
from dynatrace_agent.summarise.entities import summarise_entities
from dynatrace_agent.summarise.events import summarise_events
from dynatrace_agent.summarise.logs import summarise_logs
from dynatrace_agent.summarise.metrics import summarise_metrics
from dynatrace_agent.summarise.problems import summarise_problem, summarise_problems
from dynatrace_agent.summarise.sessions import summarise_sessions
from dynatrace_agent.summarise.slos import summarise_slos
from dynatrace_agent.summarise.traces import summarise_traces

__all__ = [
    "DEFAULT_BUDGET",
    "MAX_BUDGET",
    "MIN_BUDGET",
    "Section",
    "check_budget",
    "count_tokens",
    "fit_sections",
    "normalise_rule",
    "summarise_alerting_rules",
    "summarise_bizevents",
    "summarise_dql",
    "summarise_entities",
    "summarise_events",
    "summarise_logs",
    "summarise_metrics",
    "summarise_problem",
    "summarise_problems",
    "summarise_sessions",
    "summarise_slos",
    "summarise_traces",
]
