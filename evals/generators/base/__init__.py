"""Generator of realistic incident cases (``shared/spec/incident-case.md`` format).

A scenario module describes a tenant (topology), a fault (effects over time), changes
(the trigger and decoys), Davis's view of the problem and the truth; :func:`build_case`
renders every table from one fault model and a seed; ``python -m evals.generators base`` writes
the public case set (``demo``: the bundled demo).
"""

from __future__ import annotations

from dynatrace_agent.models.enums import CATEGORIES
from evals.generators.base.generate import (
    DEFAULT_OUT,
    DEFAULT_SEED,
    DEMO_OUT,
    build_case,
    write_all,
    write_cases,
    write_demo,
    write_demo_set,
)
from evals.generators.base.scenario import CASE_FORMAT, CaseData, Scenario, render

__all__ = [
    "CASE_FORMAT",
    "CATEGORIES",
    "DEFAULT_OUT",
    "DEFAULT_SEED",
    "DEMO_OUT",
    "CaseData",
    "Scenario",
    "build_case",
    "render",
    "write_all",
    "write_cases",
    "write_demo",
    "write_demo_set",
]
