"""Davis's opinion as weak evidence: its root-cause entity and its evidence details.

Davis can name a symptom, so it only tips the balance where traces, logs or metrics were
read; without them it is all there is."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import (
    Candidate,
    DavisEvidence,
    EvidenceItem,
)
from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import fmt, ratio_strength
from dynatrace_agent.analysis.ranking.strength import INVERSE_METRIC

CHANGE_EVENT_TYPES = re.compile(r"DEPLOY|CONFIG|RELEASE|ROLLOUT", re.I)


def _matches(c: Candidate, key: str | None) -> bool:
    if not key:
        return False
    k = key.lower()
    return k == c.entity_id.lower() or (c.name is not None and k == c.name.lower())


#: Metric kind of a Davis evidence item, by its name and event type (first match wins).
_DAVIS_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("disk", re.compile(r"disk|volume|inode")),
    ("memory", re.compile(r"memory|\boom\b|heap")),
    ("cpu", re.compile(r"\bcpu|saturat")),
    ("network", re.compile(r"network|packet|\bnic\b|retransmi|connectivity")),
    # "down" as a word (or a shutdown): a slowdown is latency, not availability
    ("availability", re.compile(r"unavailable|\bdown\b|shut ?down|not ready|restart|crash|lost")),
    ("latency", re.compile(r"response time|slowdown|latency|duration")),
    ("failure", re.compile(r"failure|error|exception")),
    ("throughput", re.compile(r"traffic|load|request count|throughput")),
)


def davis_kind(ev: DavisEvidence) -> str:
    """What a Davis evidence item is about (``disk``, ``latency``…; ``other`` when unclear)."""
    text = f"{ev.display_name} {ev.event_type or ''}".lower().replace("_", " ")
    return next((kind for kind, regex in _DAVIS_KINDS if regex.search(text)), "other")


def davis_evidence_signals(ctx: RankContext) -> None:
    """Davis's evidence details: change points and anomaly events on entities, as weak deviations.

    They are Davis's reading of the data, not the data itself: where traces, logs or metrics
    were read they count for little (a tie-breaker); where nothing could be read (classic-only
    tenants) they are the only deviation evidence there is, and count more.
    """
    factor = 1.0 if ctx.blind else 0.3
    for ev in ctx.evidence.problem.davis_evidence:
        if ev.event_type and CHANGE_EVENT_TYPES.search(ev.event_type):
            continue  # a change, handled with the other changes
        found = ctx.index.resolve(ev.entity_id) or ctx.index.resolve(ev.entity_name)
        if found is None:
            continue
        st = ctx.states[found.entity_id]
        kind = davis_kind(ev)
        if ev.before is not None and ev.after is not None:
            if kind == "availability" or INVERSE_METRIC.search(ev.display_name):
                strength = ratio_strength(ev.after, ev.before, min_abs=0.0, span=1.0)
            else:
                strength = ratio_strength(ev.before, ev.after, min_abs=0.0, span=3.0)
            what = f"{ev.display_name} {fmt(ev.before)} → {fmt(ev.after)}{' ' + ev.unit if ev.unit else ''}"
        elif ev.evidence_type == "EVENT":
            strength = 0.6
            what = f"event {ev.display_name}" + (f" ({ev.event_type})" if ev.event_type else "")
        else:
            continue
        if strength <= 0:
            continue
        st.davis_kinds[kind] = max(st.davis_kinds.get(kind, 0.0), strength)
        st.add(
            "davis_evidence",
            strength * factor,
            f"Davis evidence: {what}",
            EvidenceItem(
                kind="davis",
                summary=f"Davis evidence: {what}",
                entity_id=found.entity_id,
                source=ctx.evidence.problem.source,
                records=[ev.event_id] if ev.event_id else [],
            ),
        )


def davis_signals(ctx: RankContext) -> None:
    """Davis's root-cause entity: weak evidence, because Davis can name a symptom."""
    evidence = ctx.evidence
    states = ctx.states
    any_origins = ctx.any_origins
    hint = ctx.evidence.problem.root_cause_hint
    for st in states.values():
        c = st.candidate
        if (hint is not None and _matches(c, hint.id)) or "davis_root" in c.relations:
            st.add(
                "davis",
                1.0,
                "Davis named it as root cause (weak evidence: Davis can name a symptom)",
                EvidenceItem(
                    kind="davis",
                    summary="Davis root-cause entity",
                    entity_id=c.entity_id,
                    source=evidence.problem.source,
                ),
            )
            if "origin" not in st.signals and any_origins:
                st.counter.append("Davis named it, but the failures do not originate here")
