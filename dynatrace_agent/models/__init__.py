"""The domain's models, one per concept: a problem and its reference, the word lists, records.

Layers above (client, capabilities, tools, analysis, report, webhook) import these rather than
defining their own copy, so a concept is validated by one rule and renamed nowhere.
"""

from __future__ import annotations

from dynatrace_agent.models.enums import (
    CATEGORIES,
    IMPACT_LEVELS,
    SEVERITY_LEVELS,
    Category,
    ImpactLevel,
    SeverityLevel,
)
from dynatrace_agent.models.problem import (
    DISPLAY_ID,
    Problem,
    ProblemRef,
    display_id_of,
    is_display_id,
    parse_problem_ref,
)
from dynatrace_agent.models.record import Float, Int, Record, Text

__all__ = [
    "CATEGORIES",
    "DISPLAY_ID",
    "IMPACT_LEVELS",
    "SEVERITY_LEVELS",
    "Category",
    "Float",
    "ImpactLevel",
    "Int",
    "Problem",
    "ProblemRef",
    "Record",
    "SeverityLevel",
    "Text",
    "display_id_of",
    "is_display_id",
    "parse_problem_ref",
]
