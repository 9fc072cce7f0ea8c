"""Alerting branch: the alerting rules (metric events, anomaly detectors) behind the problem.

Classic plane only, so it works without OAuth. Rules are context for the reader and the
model — which thresholds exist, which are switched off — not ranking evidence.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import ProblemInfo
from dynatrace_agent.capabilities import list_alerting_rules
from dynatrace_agent.client import DynatraceClient
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import Collector, run_branch
from graphs.investigation.state import InvestigationState

__all__ = ["alerting_node"]


def _relevance(rule: dict[str, Any], words: set[str]) -> int:
    text = f"{rule.get('title') or ''} {rule.get('alerted_on') or ''}".lower()
    return sum(1 for w in words if w in text)


async def _gather(
    client: DynatraceClient, state: InvestigationState, ctx: InvestigationContext, out: Collector
) -> None:
    result = await out.attempt("alerting_rules", list_alerting_rules(client, max_rules=500))
    if result is None:
        return
    info = ProblemInfo.model_validate(state["problem_info"])
    words = {w.lower() for w in info.title.split() if len(w) > 3}
    words |= {(e.name or "").lower() for e in [*info.affected, *info.impacted] if e.name}
    words.discard("")
    rules = [r.model_dump() for r in result.records]
    rules.sort(key=lambda r: (-_relevance(r, words), not r.get("enabled"), str(r.get("title"))))
    enabled = sum(1 for r in rules if r.get("enabled"))
    out.lines.append(f"[A0] {len(rules)} alerting rules, {enabled} enabled")
    for i, rule in enumerate(rules, 1):
        state_text = "enabled" if rule.get("enabled") else "DISABLED"
        condition = " ".join(
            str(rule.get(k)) for k in ("condition", "threshold") if rule.get(k) not in (None, "")
        )
        out.lines.append(
            f"[A{i}] {rule.get('title') or rule.get('object_id')}: {rule.get('kind') or 'rule'} on "
            f"{rule.get('alerted_on') or '?'} {condition} ({state_text})"
        )


async def alerting_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """The alerting rules configured in the environment, most relevant to the problem first."""
    return await run_branch("alerting", _gather, state, runtime)
