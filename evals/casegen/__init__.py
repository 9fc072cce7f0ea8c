"""Generator of realistic incident cases (``shared/spec/incident-case.md`` format).

A scenario module describes a tenant (topology), a fault (effects over time), changes
(the trigger and decoys), Davis's view of the problem and the truth; :func:`build_case`
renders every table from one fault model and a seed; ``python -m evals.casegen`` writes
the public case set and the bundled demo.
"""

from __future__ import annotations

from dynatrace_agent.models.enums import CATEGORIES
from evals.casegen.generate import DEFAULT_SEED, build_case, write_cases, write_demo
from evals.casegen.scenario import CASE_FORMAT, CaseData, Scenario, render

__all__ = [
    "CASE_FORMAT",
    "CATEGORIES",
    "DEFAULT_SEED",
    "CaseData",
    "Scenario",
    "build_case",
    "render",
    "write_cases",
    "write_demo",
]
