"""From per-candidate states to the final ``Analysis``: order, confidence, false alarm, summary."""

from __future__ import annotations

from collections.abc import Iterable

from dynatrace_agent.analysis.evidence import Category, ChangeEvent, Evidence
from dynatrace_agent.analysis.ranking.category import candidate_category, problem_category
from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext
from dynatrace_agent.analysis.ranking.model import Analysis, RankedCandidate
from dynatrace_agent.analysis.ranking.scoring import CHANGE_TRIGGER_THRESHOLD, FALSE_ALARM_THRESHOLD, clamp

#: Without traces, logs or metrics a verdict is never more confident than this.
BLIND_MAX_CONFIDENCE = 0.2


def conclude(evidence: Evidence, ctx: RankContext) -> Analysis:
    states = ctx.states
    ranked: list[RankedCandidate] = []
    for st in states.values():
        c = st.candidate
        ranked.append(
            RankedCandidate(
                entity_id=c.entity_id,
                name=c.name,
                type=c.type,
                score=round(st.score(), 4),
                category=candidate_category(st, blind=ctx.blind),
                reasons=_dedupe(st.reasons),
                counter_evidence=_dedupe(st.counter),
                evidence=st.evidence,
                signals={k: round(v, 4) for k, v in sorted(st.signals.items())},
            )
        )
    deviation = {cid: st.deviation() for cid, st in states.items()}
    ranked.sort(key=lambda r: (-r.score, -deviation[r.entity_id], r.entity_id))
    max_dev = max(deviation.values(), default=0.0)
    if ctx.blind:
        return _conclude_blind(evidence, ctx, ranked)
    if max_dev < FALSE_ALARM_THRESHOLD:
        # Nothing deviates: scores are noise, so the entity the alert is about comes first.
        about = {
            cid for cid, st in states.items() if {"davis_root", "affected"} & set(st.candidate.relations)
        }
        hint = evidence.problem.root_cause_hint
        if hint is not None:
            about.add(hint.id)
        ranked.sort(key=lambda r: (r.entity_id not in about, -r.score, r.entity_id))
        confidence = round(clamp(0.9 - 2.0 * max_dev, 0.3, 0.9), 3)
        return Analysis(
            ranked=ranked,
            category="none",
            confidence=confidence,
            false_alarm=True,
            summary="No candidate deviates from its baseline beyond noise: likely a false alarm.",
        )
    top = ranked[0]
    top_state = states[top.entity_id]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    margin = clamp((top.score - second) / 0.3)
    confidence = round(clamp(top.score * (0.6 + 0.4 * margin)), 3)
    trigger = _trigger(top_state)
    category = top.category if top.category != "none" else "code"
    summary = f"Most likely root cause: {top.name or top.entity_id} ({category}, score {top.score:.2f})"
    if trigger is not None:
        summary += f", triggered by {trigger.kind} “{trigger.name or trigger.event_type}”"
    return _verdict(ranked, category, confidence, trigger, summary + ".")


def _conclude_blind(evidence: Evidence, ctx: RankContext, ranked: list[RankedCandidate]) -> Analysis:
    """No traces, logs or metrics: never a confident verdict, and never a false alarm.

    The ranking rests on Davis's evidence details, its change events and the topology, so
    the confidence stays low and the category comes from what is known (the top candidate's
    Davis evidence and changes, else the problem's own title).
    """
    top = ranked[0]
    top_state = ctx.states[top.entity_id]
    trigger = _trigger(top_state)
    category = top.category if top.category != "none" else problem_category(evidence)
    confidence = round(clamp(top.score * 0.4, 0.05, BLIND_MAX_CONFIDENCE), 3)
    summary = (
        "No traces, logs or metrics could be read, so deviations could not be measured; the ranking "
        "rests on the problem's evidence, its entities and changes. "
        f"Most likely: {top.name or top.entity_id} ({category})"
    )
    if trigger is not None:
        summary += f", after {trigger.kind} “{trigger.name or trigger.event_type}”"
    return _verdict(ranked, category, confidence, trigger, summary + ".")


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _trigger(st: CandidateState) -> ChangeEvent | None:
    """The top candidate's change, when it is strong enough to name as the trigger."""
    return st.best_change if st.signals.get("change", 0.0) >= CHANGE_TRIGGER_THRESHOLD else None


def _verdict(
    ranked: list[RankedCandidate],
    category: Category,
    confidence: float,
    trigger: ChangeEvent | None,
    summary: str,
) -> Analysis:
    """An ``Analysis`` that names a root cause (not a false alarm), with its trigger if any."""
    return Analysis(
        ranked=ranked,
        category=category,
        confidence=confidence,
        triggering_change=trigger.event_id if trigger else None,
        triggering_change_event=trigger,
        false_alarm=False,
        summary=summary,
    )
