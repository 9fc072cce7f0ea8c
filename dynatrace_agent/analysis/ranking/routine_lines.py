"""Routine log lines that stopped although their endpoint was still called: a cut code path.

An exception or an early return inside a service ends the request's code path before the
lines that would have followed; the service may log nothing new and its spans may carry no
failure flag, so error counts and failure origins miss it. The callers that receive the
broken answer are where errors finally surface, which makes them look like the origin: a
cut path below them explains their failures, so theirs are discounted.
"""

from __future__ import annotations

import math

from dynatrace_agent.analysis.evidence import Candidate, EvidenceItem, LineShift
from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import clamp

#: Strength of a cut path at the reporting threshold (p = 1e-3) and how it grows per decade.
_BASE = 0.4
_PER_DECADE = 0.15
#: A stopped line whose endpoint no span names may be a cut path or a caller that stopped.
_UNJUDGED = 0.5
#: How much a caller's failure origin and error logs are worth when a cut path lies below it.
_RELAYED = 0.5


def _owner(ctx: RankContext, shift: LineShift) -> Candidate | None:
    found = ctx.index.resolve(shift.entity)
    if found is not None and not found.entity_id.startswith("PROCESS_GROUP-"):
        return found
    key = shift.entity.lower()
    for st in ctx.states.values():
        if key in (p.lower() for p in st.candidate.process_groups):
            return st.candidate
    return ctx.index.resolve(shift.name) if shift.name else found


def _upstream(ctx: RankContext, cid: str) -> list[str]:
    """Candidates that reach ``cid`` along calls (its callers, theirs, ...)."""
    callers: dict[str, set[str]] = {}
    for caller, callees in ctx.callees.items():
        for callee in callees:
            callers.setdefault(callee, set()).add(caller)
    seen: list[str] = []
    frontier = [cid]
    while frontier:
        nxt = []
        for node in frontier:
            for caller in sorted(callers.get(node, ())):
                if caller != cid and caller not in seen:
                    seen.append(caller)
                    nxt.append(caller)
        frontier = nxt
    return seen


def routine_line_signals(ctx: RankContext) -> None:
    """Credit cut code paths to their service; discount the failures its callers relay."""
    strongest: dict[str, float] = {}
    for shift in ctx.evidence.line_shifts:
        if shift.verdict == "called_less":
            continue
        owner = _owner(ctx, shift)
        if owner is None or owner.entity_id not in ctx.states:
            continue
        decades = -math.log10(max(shift.p_value, 1e-300)) - 3.0
        strength = clamp(_BASE + _PER_DECADE * decades)
        if shift.verdict == "unknown":
            strength *= _UNJUDGED
        st = ctx.states[owner.entity_id]
        line = shift.example[:160] or shift.template
        if shift.verdict == "cut":
            detail = (
                f"routine line “{line}” stopped from {shift.since:%H:%M} ({shift.before} → {shift.after}, "
                f"{shift.expected:g} expected) while {shift.endpoint} was still called "
                f"({shift.endpoint_before} → {shift.endpoint_after}): its code path ends early"
            )
        else:
            detail = (
                f"routine line “{line}” stopped from {shift.since:%H:%M} ({shift.before} → {shift.after})"
            )
        st.add(
            "path_cut",
            strength,
            detail,
            EvidenceItem(
                kind="logs",
                summary=detail,
                entity_id=owner.entity_id,
                source=shift.source,
                records=[shift.template],
            ),
        )
        st.hint("code", strength)
        strongest[owner.entity_id] = max(strongest.get(owner.entity_id, 0.0), strength)
    for cid, strength in sorted(strongest.items()):
        if strength < _BASE:
            continue
        label = ctx.states[cid].candidate.label
        for caller in _upstream(ctx, cid):
            st = ctx.states[caller]
            if "origin" in st.signals or "logs" in st.signals:
                st.explain(
                    ["origin", "logs", "failure_rate"],
                    _RELAYED,
                    cid,
                    f"{label}, which it calls, stopped a routine code path: "
                    "its failures may be relayed from there",
                )
