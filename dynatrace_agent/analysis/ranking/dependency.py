"""Failing outgoing calls move the blame to the dependency they call.

A service whose failures are its client spans is the messenger; the database or external
service those calls reach is where the trouble is."""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import (
    Candidate,
    EvidenceItem,
)
from dynatrace_agent.analysis.ranking.context import RankContext


def dependency_signals(ctx: RankContext) -> None:
    """Dependency: failing outgoing calls move blame to a matching dependency candidate."""
    index = ctx.index
    states = ctx.states
    callees = ctx.callees
    for st in list(states.values()):
        if not st.client_origin or st.traces is None:
            continue
        origin = st.signals.get("origin", 0.0)
        target_candidate: Candidate | None = None
        target_name = ""
        for target, _count in sorted(st.traces.failing_dependencies.items(), key=lambda kv: (-kv[1], kv[0])):
            found = index.fuzzy(target)
            if found is not None and found.entity_id != st.candidate.entity_id:
                target_candidate, target_name = found, target
                break
        if target_candidate is None:
            deps = [
                states[d].candidate
                for d in sorted(callees[st.candidate.entity_id])
                if states[d].candidate.is_database or states[d].candidate.is_external
            ]
            if len(deps) == 1:
                target_candidate = deps[0]
                target_name = next(iter(st.traces.failing_dependencies), deps[0].label)
        if target_candidate is None:
            st.hint("dependency", 1.0)
            if st.traces.failing_dependencies:
                st.reasons.append(
                    "failing outgoing calls to " + ", ".join(sorted(st.traces.failing_dependencies)[:3])
                )
            continue
        dep = states[target_candidate.entity_id]
        dep.add(
            "dependency",
            origin,
            f"calls from {st.candidate.label} to it fail "
            f"({st.traces.incident.client_origin_failures} traces, target {target_name})",
            EvidenceItem(
                kind="traces",
                summary=f"failing client calls {st.candidate.label} → {target_candidate.label}",
                entity_id=target_candidate.entity_id,
                source=st.traces.source,
                records=list(st.traces.example_trace_ids),
            ),
        )
        dep.hint("dependency", 2.0)
        st.signals["origin"] = origin * 0.4
        if "failure_rate" in st.signals:
            st.signals["failure_rate"] *= 0.4
        st.relays_to = target_candidate.entity_id
        st.counter.append(f"its failures are failing calls to {target_candidate.label}")
