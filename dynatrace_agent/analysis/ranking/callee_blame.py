"""Error logs that name a callee move the blame to that callee.

A service that rejects what a callee returned fails in its own spans, so traces make it the
origin; its error messages say where the bad data came from."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import (
    EvidenceItem,
)
from dynatrace_agent.analysis.ranking.context import RankContext

_GENERIC_NAME_TOKENS = {
    "ts",
    "svc",
    "service",
    "services",
    "api",
    "app",
    "server",
    "srv",
    "ms",
    "prod",
    "the",
}


def _name_patterns(name: str) -> re.Pattern[str] | None:
    """How a log message may name a service: ``ts-price-service`` → ts-price-service, price service…"""
    low = name.lower().strip()
    tokens = [t for t in re.split(r"[^a-z0-9]+", low) if t]
    core = [t for t in tokens if t not in _GENERIC_NAME_TOKENS]
    if not core or sum(len(t) for t in core) < 3:
        return None
    joined = r"[\s_.-]?".join(re.escape(t) for t in core)
    forms = [re.escape(low), r"[\s_.-]".join(re.escape(t) for t in tokens)]
    forms.append(joined + r"[\s_.-]?(?:service|svc|api|server)")
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(forms) + r")(?![a-z0-9])", re.I)


def blame_named_callee(ctx: RankContext) -> None:
    """A failing service whose error logs name a callee ("invalid price from price service").

    The caller's own spans fail (it rejects what it received), so the traces make it the
    origin; its error messages say the trouble came from the callee (a wrong return value, a
    bad response). The blame moves to the named callee; the caller keeps a share, and a change
    on the caller no longer finds its own deviation to explain.
    """
    for st in list(ctx.states.values()):
        lg = st.logs
        origin = st.signals.get("origin", 0.0)
        if lg is None or st.client_origin or st.relays_to is not None or origin <= 0.0:
            continue
        patterns = [p for p in (lg.new_patterns or lg.top_patterns) if p.incident_count >= 2]
        total = sum(p.incident_count for p in patterns)
        if not total:
            continue
        best: tuple[float, str] | None = None
        for callee in sorted(ctx.callees.get(st.candidate.entity_id, ())):
            name = ctx.states[callee].candidate.name
            rx = _name_patterns(name) if name else None
            if rx is None:
                continue
            hits = sum(p.incident_count for p in patterns if rx.search(f"{p.pattern} {p.example}"))
            share = hits / total
            if share >= 0.3 and (best is None or share > best[0]):
                best = (share, callee)
        if best is None:
            continue
        share, callee = best
        dep = ctx.states[callee]
        rx = _name_patterns(dep.candidate.name or "")
        example = next(
            (p.example or p.pattern for p in patterns if rx and rx.search(f"{p.pattern} {p.example}")), ""
        )
        dep.add(
            "origin",
            origin * min(1.0, share + 0.3),
            f"the failures of {st.candidate.label} are about what it received from this service: "
            f"“{example[:160]}”",
            EvidenceItem(
                kind="logs",
                summary=f"{st.candidate.label}'s error logs name {dep.candidate.label}",
                entity_id=callee,
                source=lg.source,
                records=[p.pattern for p in patterns[:3]],
            ),
        )
        dep.hint("code", 1.0)
        for signal in ("origin", "failure_rate", "logs"):
            if signal in st.signals:
                st.signals[signal] *= 0.4
        st.relays_to = callee
        st.counter.append(
            f"its error logs blame {dep.candidate.label}: its failures reject what that returned"
        )
