"""Typed capability functions: one async function per thing a user can ask Dynatrace.

Each takes a :class:`~dynatrace_agent.client.DynatraceClient` and checked arguments, asks
only for its own scopes, and returns a :class:`CapabilityResult` (typed records, raw
records, the query for citations, Grail metadata, limits, and ``summary(budget)``).
"""

from dynatrace_agent.capabilities.alerting import AlertingRule, list_alerting_rules
from dynatrace_agent.capabilities.base import CapabilityResult, Record
from dynatrace_agent.capabilities.bizevents import BizEvent, query_business_events
from dynatrace_agent.capabilities.dql import DqlRecord, execute_dql
from dynatrace_agent.capabilities.entities import Entity, list_entities
from dynatrace_agent.capabilities.events import ChangeEvent, query_change_events
from dynatrace_agent.capabilities.logs import LogRecord, query_logs
from dynatrace_agent.capabilities.metrics import MetricSeries, query_metrics
from dynatrace_agent.capabilities.problems import Problem, get_problem, list_problems
from dynatrace_agent.capabilities.sessions import UserSession, query_user_sessions
from dynatrace_agent.capabilities.slos import Slo, list_slos
from dynatrace_agent.capabilities.traces import Span, query_spans

__all__ = [
    "AlertingRule",
    "BizEvent",
    "CapabilityResult",
    "ChangeEvent",
    "DqlRecord",
    "Entity",
    "LogRecord",
    "MetricSeries",
    "Problem",
    "Record",
    "Slo",
    "Span",
    "UserSession",
    "execute_dql",
    "get_problem",
    "list_alerting_rules",
    "list_entities",
    "list_problems",
    "list_slos",
    "query_business_events",
    "query_change_events",
    "query_logs",
    "query_metrics",
    "query_spans",
    "query_user_sessions",
]
