"""From per-candidate states to the final ``Analysis``: order, confidence, false alarm, summary."""

from __future__ import annotations

from collections.abc import Iterable

from dynatrace_agent.analysis.evidence import Candidate, Category, ChangeEvent, Evidence, MetricDeviation
from dynatrace_agent.analysis.ranking.category import candidate_category, problem_category
from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext, metric_owner
from dynatrace_agent.analysis.ranking.model import Analysis, RankedCandidate
from dynatrace_agent.analysis.ranking.propagation import seen_inside
from dynatrace_agent.analysis.ranking.scoring import CHANGE_TRIGGER_THRESHOLD, FALSE_ALARM_THRESHOLD, clamp
from dynatrace_agent.analysis.ranking.strength import deviation_strength
from dynatrace_agent.analysis.ranking.suspect_response import caller_has_own_trouble

#: Without traces, logs or metrics a verdict is never more confident than this.
BLIND_MAX_CONFIDENCE = 0.2


def conclude(evidence: Evidence, ctx: RankContext) -> Analysis:
    """Rank the candidates by their combined signals and turn the ranking into the analysis."""
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
    # Equal scores: a candidate whose callees were checked and found normal before one seen
    # only from outside, then the larger deviation; the id only keeps the order stable.
    outside = {cid: not seen_inside(ctx, cid) for cid in states}
    ranked.sort(key=lambda r: (-r.score, outside[r.entity_id], -deviation[r.entity_id], r.entity_id))
    _place_suspects(ranked, states)
    max_dev = max(deviation.values(), default=0.0)
    if ctx.blind:
        return _conclude_blind(evidence, ctx, ranked)
    strong = _strong_metric(evidence, ctx) if max_dev < FALSE_ALARM_THRESHOLD else None
    if strong is not None:
        # The signals stayed quiet, but a series of an entity the problem is about moved
        # strongly: that is not a false alarm, only a verdict that cannot be confident.
        owner, m, strength = strong
        # The ranking stays by score: only a false-alarm verdict puts the alert's entity first.
        category = _change_category(states[ranked[0].entity_id]) or (
            _KIND_CATEGORY.get(m.kind) or problem_category(evidence)
        )
        return Analysis(
            ranked=ranked,
            category=category,  # type: ignore[arg-type]
            confidence=round(clamp(0.2 + 0.2 * strength, 0.2, 0.4), 3),
            false_alarm=False,
            summary=(
                f"Most likely root cause: {ranked[0].name or ranked[0].entity_id} ({category}): few "
                "signals deviate, but "
                f"{m.metric_key} of {owner.label} moved strongly "
                f"({m.baseline_mean if m.baseline_mean is not None else '?'} → "
                f"{m.incident_mean if m.incident_mean is not None else '?'})."
            ),
        )
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
    category = top.category if top.category != "none" else (_change_category(top_state) or "code")
    summary = f"Most likely root cause: {top.name or top.entity_id} ({category}, score {top.score:.2f})"
    if trigger is not None:
        summary += f", triggered by {trigger.kind} “{trigger.name or trigger.event_type}”"
    return _verdict(ranked, category, confidence, trigger, summary + ".")


def _place_suspects(ranked: list[RankedCandidate], states: dict[str, CandidateState]) -> None:
    """Put a callee whose answers a caller's failures follow directly below that caller.

    Above it only when the callee was changed right before the start while the caller shows no
    trouble of its own and was not changed: traces alone cannot tell a wrong answer from a bug
    in the caller that runs after the call, so without such evidence the caller stays first.
    """
    for cid, st in sorted(states.items()):
        caller = st.suspect_of
        if caller is None or caller not in states:
            continue
        ids = [r.entity_id for r in ranked]
        here, there = ids.index(cid), ids.index(caller)
        first = st.signals.get("change", 0.0) >= CHANGE_TRIGGER_THRESHOLD and not caller_has_own_trouble(
            states[caller]
        )
        target = there if first else there + 1
        if here <= target:
            continue  # already where it belongs, or above the caller on its own evidence
        item = ranked.pop(here)
        item.score = max(item.score, ranked[target].score)
        ranked.insert(target, item)


#: A metric of an entity the problem is about that moves this strongly rules out a false alarm.
STRONG_METRIC = 0.6
_KIND_CATEGORY = {"cpu": "resource", "memory": "resource", "disk": "resource", "network": "network"}


def _strong_metric(evidence: Evidence, ctx: RankContext) -> tuple[Candidate, MetricDeviation, float] | None:
    """The strongest sustained deviation of an affected, impacted or Davis-named candidate."""
    about = {"davis_root", "affected", "impacted"}
    best: tuple[Candidate, MetricDeviation, float] | None = None
    for m in evidence.metrics:
        owner = metric_owner(ctx.index, m)
        if owner is None or not about & set(owner.relations):
            continue
        strength = deviation_strength(m)
        if strength >= STRONG_METRIC and (best is None or strength > best[2]):
            best = (owner, m, strength)
    return best


def _conclude_blind(evidence: Evidence, ctx: RankContext, ranked: list[RankedCandidate]) -> Analysis:
    """No traces, logs or metrics: never a confident verdict, and never a false alarm.

    The ranking rests on Davis's evidence details, its change events and the topology, so
    the confidence stays low and the category comes from what is known (the top candidate's
    Davis evidence and changes, else the problem's own title).
    """
    top = ranked[0]
    top_state = ctx.states[top.entity_id]
    trigger = _trigger(top_state)
    category = (
        top.category
        if top.category != "none"
        else (_change_category(top_state) or problem_category(evidence))
    )
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


#: A change this strong (a deployment or configuration change of the candidate within half an
#: hour before the start, even with no deviation measured) names the category when the
#: candidate's signals name none.
FALLBACK_CHANGE_THRESHOLD = 0.2


def _change_category(st: CandidateState) -> Category | None:
    """Deployment or configuration when the candidate's own credited change says so.

    Used when the candidate's signals alone name no category (its metrics are missing or
    quiet): a deployment or configuration change credited to it is what is known, and better
    than defaulting to ``code``.
    """
    change = st.best_change
    if (
        change is None
        or change.kind not in {"deployment", "configuration"}
        or st.signals.get("change", 0.0) < FALLBACK_CHANGE_THRESHOLD
    ):
        return None
    return "deployment" if change.kind == "deployment" else "configuration"


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
