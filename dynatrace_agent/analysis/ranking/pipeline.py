"""Evidence → ranked root-cause candidates: deterministic, explainable scoring.

Each candidate gets a handful of *signal strengths* in 0..1 (failure origin in traces, own
failure-rate and latency jump, error logs, resource/network/throughput metric deviations, a
change shortly before the start, Davis's hint). Signals combine as independent pieces of
evidence: ``score = 1 - Π(1 - weight·strength)``, so no single weak signal dominates and
every point of score is explained by a reason string and a cited evidence item.

Rules that make it more than a sum of anomalies:

* failures are credited to where they *originate* (deepest failing span), not to callers
  that relay them; a caller waiting on a slow callee is judged by its *self* time;
* a change only counts fully when the changed entity itself deviates in a way the change can
  cause (a decoy change on a healthy service stays weak, a change on an entity whose trouble
  something else explains counts a third);
* classic RCA on the call graph: a symptom that an anomalous callee (or the host a callee
  runs on) explains is discounted, and the deepest anomalous node gets the credit — so it
  works with metrics only, with Davis's evidence only, and with traces;
* restart/OOM-kill events are the candidate's own (resource) trouble, not a change;
* a candidate changed right before the start that fails or restarts on its own explains the
  symptoms of the callees beneath it (reconnect storms, retries), not the other way round;
* a saturated host points at the co-located process whose own usage rose (noisy neighbour);
  throttling is starvation, not consumption;
* failing outgoing calls to a database/external candidate move the blame to that dependency;
* slow wire time on several calls points at what those calls have in common (a service, or
  its host when the host shows network anomalies);
* a throughput jump on an entry service explains load-induced trouble below it;
* a caller that fails right after successful answers from one callee (where the same answers
  were followed by success in the baseline) makes that callee a suspect (a wrong return
  value): it ranks directly below the caller, above it only when the callee was changed and the
  caller shows no trouble of its own;
* a routine log line that stops while its endpoint is still called is a code path cut inside
  that service (an exception or early return that logs nothing); callers relay its failures;
* failures that begin minutes after the problem's first failures belong to another problem;
* Davis's root-cause entity and evidence details are weak evidence (Davis can name a
  symptom); without traces, logs or metrics they are all there is, so the verdict is never
  a false alarm and never confident;
* entities seen only in spans, logs or metric dimensions (pod names too) are candidates;
* an entity only metric dimensions bring in, connected to nothing, counts half;
* when nothing deviates beyond noise the category is ``none`` (false alarm).
"""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import (
    Candidate,
    Evidence,
)
from dynatrace_agent.analysis.ranking.callee_blame import blame_named_callee
from dynatrace_agent.analysis.ranking.candidates import attach_evidence, augment_candidates
from dynatrace_agent.analysis.ranking.changes import change_signals, davis_changes
from dynatrace_agent.analysis.ranking.conclude import conclude
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.davis import davis_evidence_signals, davis_signals
from dynatrace_agent.analysis.ranking.dependency import dependency_signals
from dynatrace_agent.analysis.ranking.hosts import host_signals
from dynatrace_agent.analysis.ranking.isolation import unconnected_signals
from dynatrace_agent.analysis.ranking.logs import log_signals
from dynatrace_agent.analysis.ranking.metrics import metric_signals
from dynatrace_agent.analysis.ranking.model import Analysis
from dynatrace_agent.analysis.ranking.network import network_localisation
from dynatrace_agent.analysis.ranking.onset import late_onset
from dynatrace_agent.analysis.ranking.propagation import downstream_explanation
from dynatrace_agent.analysis.ranking.restarts import restart_signals
from dynatrace_agent.analysis.ranking.routine_lines import routine_line_signals
from dynatrace_agent.analysis.ranking.starvation import starvation_signals
from dynatrace_agent.analysis.ranking.suspect_response import suspect_response_signals
from dynatrace_agent.analysis.ranking.trace_signals import excess_origins, trace_signals, window_scale
from dynatrace_agent.analysis.ranking.traffic import traffic_signals


def rank_root_causes(evidence: Evidence) -> Analysis:
    """Rank the evidence's candidates; pure and deterministic (ties break on entity id)."""
    candidates = list(evidence.candidates)
    known = {c.entity_id for c in candidates}
    hint = evidence.problem.root_cause_hint
    if hint is not None and hint.id not in known:
        candidates.append(
            Candidate(entity_id=hint.id, name=hint.name, type=hint.type, relations=["davis_root"])
        )
    index = CandidateIndex(candidates)
    augment_candidates(evidence, candidates, index)
    if not candidates:
        return Analysis(
            category="none",
            confidence=0.0,
            false_alarm=False,
            summary="No candidate entities were found, so no root cause could be ranked.",
        )
    scale = window_scale(evidence)
    ctx = RankContext(
        evidence=evidence,
        index=index,
        states={c.entity_id: CandidateState(candidate=c) for c in candidates},
        scale=scale,
        changes=[*evidence.changes, *davis_changes(evidence)],
        total_excess=sum(excess_origins(t, scale) for t in evidence.traces),
        any_origins=sum(t.incident.failure_origins for t in evidence.traces) > 0,
        blind=not (evidence.traces or evidence.logs or evidence.metrics),
    )
    for signal_pass in (
        attach_evidence,
        trace_signals,
        dependency_signals,
        log_signals,
        routine_line_signals,
        metric_signals,
        starvation_signals,
        restart_signals,
        blame_named_callee,
        davis_evidence_signals,
        network_localisation,
        host_signals,
        late_onset,
        downstream_explanation,
        suspect_response_signals,
        traffic_signals,
        unconnected_signals,
        change_signals,
        davis_signals,
    ):
        signal_pass(ctx)
    return conclude(evidence, ctx)
