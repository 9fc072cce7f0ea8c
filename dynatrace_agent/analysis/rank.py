"""The ranking's stable import path (``from dynatrace_agent.analysis.rank import …``).

The scoring itself lives in the ``ranking`` package, split by signal; this module keeps the
path that the report, the graph nodes, the evals and the tests import from.
"""

from __future__ import annotations

from dynatrace_agent.analysis.ranking import WEIGHTS, Analysis, RankedCandidate, rank_root_causes

__all__ = ["WEIGHTS", "Analysis", "RankedCandidate", "rank_root_causes"]
