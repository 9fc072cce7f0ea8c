"""Evidence → ranked root-cause candidates, one signal pass per module.

``pipeline`` runs the passes in order over a shared ``context``; each pass module scores one
kind of evidence (traces, logs, metrics, changes…) or applies one causal rule (dependency
blame, noisy neighbour, network localisation, propagation, traffic); ``category`` and
``conclude`` turn the per-candidate states into the ``model`` the rest of the project reads.
"""

from __future__ import annotations

from dynatrace_agent.analysis.ranking.model import Analysis, RankedCandidate
from dynatrace_agent.analysis.ranking.pipeline import rank_root_causes
from dynatrace_agent.analysis.ranking.scoring import WEIGHTS

__all__ = ["WEIGHTS", "Analysis", "RankedCandidate", "rank_root_causes"]
