"""Follow the anomaly down the call graph until it stops, not to a fixed depth.

The topology is explored a fixed number of hops from the affected entities, because until the
metrics are in nobody knows where the trouble lies. Once they are, a candidate at the edge of
what was explored that still deviates (latency, failures, availability) says the anomaly goes
on below it: its callees are fetched with their metrics, and so on, until no callee at the new
edge deviates or ``MAX_EXTRA_HOPS`` more hops were taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from dynatrace_agent.analysis import MetricDeviation
from dynatrace_agent.analysis.ranking.strength import deviation_strength
from dynatrace_agent.capabilities import list_entities
from dynatrace_agent.capabilities.entities import Relationship, build_entity_selector
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import DynatraceAgentError

__all__ = ["MAX_EXTRA_HOPS", "anomalous_frontier", "deepen"]

#: Hops explored beyond the topology's fixed depth, at most.
MAX_EXTRA_HOPS = 4
#: Kinds of deviation that travel up a call chain (a callee's load or CPU does not mean the
#: anomaly continues below it).
_CHAIN_KINDS = ("latency", "failure", "availability")
#: Entity types that are called the way services are.
_CALLEE_TYPES = ("SERVICE", "CUSTOM_DEVICE", "AWS_LAMBDA_FUNCTION")
_MAX_FRONTIER = 5
_MAX_NEW = 50

MetricsFor = Callable[[list[dict[str, Any]]], Awaitable[list[MetricDeviation]]]


def anomalous_frontier(candidates: list[dict[str, Any]], deviations: list[MetricDeviation]) -> list[str]:
    """Ids of the deepest explored callees whose own latency, failures or availability deviate."""
    callees = [c for c in candidates if "callee" in (c.get("relations") or []) or c.get("hop", 0) == 0]
    if not callees:
        return []
    edge = max(int(c.get("hop") or 0) for c in callees)
    at_edge = {c["entity_id"] for c in callees if int(c.get("hop") or 0) == edge}
    deviating = {
        m.entity_id
        for m in deviations
        if m.entity_id is not None
        and m.entity_id in at_edge
        and m.kind in _CHAIN_KINDS
        and deviation_strength(m) > 0
    }
    return sorted(deviating)[:_MAX_FRONTIER]


async def _callees(client: DynatraceClient, ids: list[str]) -> list[dict[str, Any]]:
    selector = build_entity_selector(ids=ids)

    async def of_type(etype: str) -> list[dict[str, Any]]:
        try:
            result = await list_entities(
                client,
                entity_type=etype,
                related=[Relationship("to", "calls", selector)],
                max_entities=_MAX_NEW,
            )
        except DynatraceAgentError:
            return []
        return [e for e in result.raw if isinstance(e, dict) and isinstance(e.get("entityId"), str)]

    return [e for found in await asyncio.gather(*(of_type(t) for t in _CALLEE_TYPES)) for e in found]


async def deepen(
    client: DynatraceClient,
    candidates: list[dict[str, Any]],
    deviations: list[MetricDeviation],
    metrics_for: MetricsFor,
) -> tuple[list[dict[str, Any]], list[MetricDeviation]]:
    """New candidates below the anomalous edge, hop by hop, and their metric deviations."""
    known = {c["entity_id"] for c in candidates}
    all_candidates = list(candidates)
    added: list[dict[str, Any]] = []
    new_deviations: list[MetricDeviation] = []
    frontier = anomalous_frontier(all_candidates, deviations)
    for _ in range(MAX_EXTRA_HOPS):
        if not frontier:
            break
        edge = max(int(c.get("hop") or 0) for c in all_candidates if c["entity_id"] in frontier)
        layer: list[dict[str, Any]] = []
        below = await asyncio.gather(*(_callees(client, [parent]) for parent in frontier))
        for parent, found_below in zip(frontier, below, strict=True):
            for raw in found_below:
                ident = raw["entityId"]
                if ident in known or len(added) + len(layer) >= _MAX_NEW:
                    continue
                known.add(ident)
                layer.append(
                    {
                        "entity_id": ident,
                        "name": raw.get("displayName"),
                        "type": raw.get("type") or ident.rsplit("-", 1)[0],
                        "relations": ["callee"],
                        "hop": edge + 1,
                        "called_by": [parent],
                        "source": "callees of an anomalous candidate at the explored edge",
                    }
                )
        if not layer:
            break
        found = await metrics_for(layer)
        added += layer
        all_candidates += layer
        new_deviations += found
        frontier = anomalous_frontier(layer, found)
    return added, new_deviations
