"""A caller that fails right after a callee answered successfully: suspect that answer.

A callee made to return a wrong value answers fast and without error, so its own spans look
healthy; its caller fails in its own code (a null pointer, an illegal state) right after the
answer arrives and becomes the failure origin. When most of the caller's failing traces end
that way with the same callee, while in the baseline the same answers were followed by
success, the callee's answer is a suspect. Traces alone cannot tell a wrong answer from a bug
in the caller that happens to run after the call, so the callee ranks directly below the
caller — first only when the callee was changed right before the start and the caller was not
and shows no trouble of its own (see ``conclude``).
"""

from __future__ import annotations

from dynatrace_agent.analysis.evidence import EvidenceItem, LastCallOutcome
from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext
from dynatrace_agent.analysis.ranking.scoring import clamp

#: Share of the caller's failing traces whose last call must have gone to the callee and succeeded.
MIN_SHARE = 0.7
#: Fewer failing traces than this are too few to see a pattern in.
MIN_FAILING_TRACES = 3
#: Share of baseline answers that must have been followed by the caller's success.
MIN_BASELINE_OK = 0.9
#: Signals that say a caller has trouble of its own, besides its failures.
OWN_TROUBLE = ("latency", "network", "path", "resource", "neighbour", "throughput", "load")


def suspect_callee(outcomes: dict[str, LastCallOutcome]) -> tuple[str, LastCallOutcome] | None:
    """The callee whose successful answers the caller's failures follow, if one clearly does."""
    best: tuple[str, LastCallOutcome] | None = None
    for callee, o in sorted(outcomes.items()):
        if o.failing_traces < MIN_FAILING_TRACES or o.after_success < MIN_SHARE * o.failing_traces:
            continue
        if o.baseline_calls < 2 or o.baseline_ok < MIN_BASELINE_OK * o.baseline_calls:
            continue  # no baseline, or its answers were followed by failures before too
        if best is None or o.after_success > best[1].after_success:
            best = (callee, o)
    return best


def suspect_response_signals(ctx: RankContext) -> None:
    """Give the callee a caller's failures follow a ``suspect_response`` signal (category code)."""
    for st in list(ctx.states.values()):
        t = st.traces
        origin = st.signals.get("origin", 0.0)
        if t is None or origin <= 0.0 or st.client_origin or st.relays_to is not None:
            continue
        found = suspect_callee(t.last_calls)
        if found is None:
            continue
        callee, o = found
        target = ctx.index.resolve(callee)
        if target is None or target.entity_id == st.candidate.entity_id or target.entity_id not in ctx.states:
            continue
        dep = ctx.states[target.entity_id]
        if dep.suspect_of is not None:
            continue
        share = o.after_success / o.failing_traces
        dep.add(
            "suspect_response",
            clamp(origin * share),
            f"{st.candidate.label} fails right after successful answers from this service: in "
            f"{o.after_success} of its {o.failing_traces} failing traces its last call went here "
            f"(baseline: {o.baseline_ok} of {o.baseline_calls} such answers were followed by success) "
            "— a wrong return value looks like this",
            EvidenceItem(
                kind="traces",
                summary=f"{st.candidate.label} fails after successful calls to {dep.candidate.label}",
                entity_id=dep.candidate.entity_id,
                source=t.source,
                records=list(t.example_trace_ids),
            ),
        )
        if not any(dep.signals.get(k, 0.0) > 0.0 for k in ("resource", "neighbour", "network", "path")):
            dep.hint("code", 1.0)
        dep.suspect_of = st.candidate.entity_id
        st.counter.append(
            f"its failures follow successful answers from {dep.candidate.label}: "
            "that service may have returned a wrong value"
        )


def caller_has_own_trouble(st: CandidateState) -> bool:
    """Whether a caller shows trouble besides its failures (or was changed itself)."""
    return st.signals.get("change", 0.0) > 0.0 or any(st.signals.get(k, 0.0) > 0.0 for k in OWN_TROUBLE)
