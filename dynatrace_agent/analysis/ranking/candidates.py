"""The candidate set and call graph the passes work on.

Topology may be partial (a converted or recorded tenant), so entities seen only in the data
become candidates, and calls learned from traces complete the graph from topology."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import (
    NAME_DIMENSIONS,
    Candidate,
    Evidence,
)
from dynatrace_agent.analysis.ranking.context import CandidateIndex, RankContext, metric_owner, workload_name
from dynatrace_agent.analysis.ranking.strength import deviation_strength


def attach_evidence(ctx: RankContext) -> None:
    """Attach traces and logs to candidates, and learn who calls whom (topology and traces)."""
    evidence, index, states = ctx.evidence, ctx.index, ctx.states
    for t in evidence.traces:
        found = index.resolve(t.service) or index.resolve(t.name)
        if found is not None and states[found.entity_id].traces is None:
            states[found.entity_id].traces = t
    for lg in evidence.logs:
        found = index.resolve(lg.entity) or index.resolve(lg.name)
        if found is not None and states[found.entity_id].logs is None:
            states[found.entity_id].logs = lg
    callees = ctx.callees
    for cid in states:
        callees[cid] = set()
        ctx.callers[cid] = set()
    for st in states.values():
        c = st.candidate
        for other in c.calls:
            if (o := index.resolve(other)) is not None and o.entity_id != c.entity_id:
                callees[c.entity_id].add(o.entity_id)
        for other in c.called_by:
            if (o := index.resolve(other)) is not None and o.entity_id != c.entity_id:
                callees[o.entity_id].add(c.entity_id)
        if st.traces is not None:
            for other in st.traces.callees:
                if (o := index.resolve(other)) is not None and o.entity_id != c.entity_id:
                    callees[c.entity_id].add(o.entity_id)
    for src, dsts in callees.items():
        for dst in dsts:
            ctx.callers[dst].add(src)


def augment_candidates(evidence: Evidence, candidates: list[Candidate], index: CandidateIndex) -> None:
    """Entities seen only in spans, logs or metric dimensions become candidates too.

    Topology may be partial (a converted or recorded tenant, an entity outside the expanded
    neighbourhood); an anomalous service that only shows up in the data must still be rankable.
    """

    def add(key: str, name: str | None, calls: list[str]) -> None:
        if key.lower() in {"unknown", ""} or index.resolve(key) is not None or (name and index.resolve(name)):
            return
        etype = key.rsplit("-", 1)[0].upper() if re.match(r"^[A-Z_]+-[0-9A-F]{16}$", key) else None
        c = Candidate(
            entity_id=key, name=name, type=etype or "SERVICE", relations=["other"], hop=2, calls=calls
        )
        candidates.append(c)
        index.add(c)

    for t in evidence.traces:
        add(t.service, t.name, list(t.callees))
    for ch in evidence.changes:
        # Every entity someone deployed to or reconfigured inside the window is rankable, even
        # beyond the explored topology: the change may be the cause however far down it sits.
        if ch.kind in ("deployment", "configuration"):
            for entity in ch.entity_ids:
                add(entity, None, [])
    for lg in evidence.logs:
        if lg.incident_errors > 0:
            add(lg.entity, lg.name, [])
    for m in evidence.metrics:
        if m.entity_id and deviation_strength(m) > 0 and metric_owner(index, m) is None:
            names = [m.dimensions[d] for d in NAME_DIMENSIONS if m.dimensions.get(d)]
            key, name = m.entity_id, names[0] if names else None
            if key == m.dimensions.get("k8s.pod.name") and workload_name(key) != key.lower():
                key = name = workload_name(key)  # every pod of a workload is one candidate
            add(key, name, [])
