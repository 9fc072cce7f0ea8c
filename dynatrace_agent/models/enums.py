"""The closed word lists of the domain, each written down once.

Davis's severity and impact levels are what the Problems API accepts in a ``problemSelector``
and what the tools offer a model; root-cause categories are what the ranking assigns, the
report shows and a case's ``expected.category`` must name. Everything else imports them
from here, so a new word is added in one place and every checker learns it at once.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "CATEGORIES",
    "IMPACT_LEVELS",
    "SEVERITY_LEVELS",
    "Category",
    "ImpactLevel",
    "SeverityLevel",
]

#: A Davis problem's ``severityLevel``.
SeverityLevel = Literal[
    "AVAILABILITY",
    "CUSTOM_ALERT",
    "ERROR",
    "INFO",
    "MONITORING_UNAVAILABLE",
    "PERFORMANCE",
    "RESOURCE_CONTENTION",
]
#: A Davis problem's ``impactLevel``.
ImpactLevel = Literal["APPLICATION", "ENVIRONMENT", "INFRASTRUCTURE", "SERVICES"]
#: What kind of root cause the ranking found (``none``: a false alarm or nothing rankable).
Category = Literal[
    "deployment",
    "configuration",
    "code",
    "resource",
    "network",
    "dependency",
    "traffic",
    "infrastructure",
    "none",
]

SEVERITY_LEVELS: tuple[str, ...] = get_args(SeverityLevel)
IMPACT_LEVELS: tuple[str, ...] = get_args(ImpactLevel)
CATEGORIES: tuple[str, ...] = get_args(Category)
