"""Error logs that name a callee move the blame to that callee.

A service that rejects what a callee returned fails in its own spans, so traces make it the
origin; its error messages say where the bad data came from — by name ("price service") or by
address (``http://ts-price-service:8080/api``, ``ts-price-service.default.svc``)."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import EvidenceItem, LogPattern
from dynatrace_agent.analysis.ranking.context import CandidateState, RankContext

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


#: Hosts in messages: URL authorities, ``host:port`` and Kubernetes DNS names.
_URL_HOST = re.compile(r"[a-z][a-z0-9+.-]*://(?:[^/@\s]*@)?([a-z0-9][a-z0-9.-]*)", re.I)
_HOST_PORT = re.compile(r"(?<![a-z0-9.:/-])([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*):\d{2,5}\b", re.I)
_K8S_DNS = re.compile(r"(?<![a-z0-9.-])([a-z0-9][a-z0-9-]*)\.[a-z0-9-]+\.svc(?:\.cluster\.local)?\b", re.I)
#: Messages about a slow callee say nothing about what it answered.
_SLOW = re.compile(r"slow|time[ds]?[ _-]?out|timeout|latency|took \d|deadline", re.I)
#: A callee's own signs of trouble (what a timeout naming it needs to be its fault).
_OWN_TROUBLE = (
    "latency",
    "failure_rate",
    "failure_metric",
    "origin",
    "resource",
    "neighbour",
    "network",
    "path",
)
#: Signals that say a caller fails (the blame a named callee can take over).
_FAILING = ("origin", "failure_rate", "failure_metric", "logs")


def named_hosts(text: str) -> list[str]:
    """Service names a message addresses: ``http://ts-price-service:8080/x`` → ts-price-service.

    The first DNS label is the service (``price.default.svc.cluster.local`` → price); IP
    addresses and ``localhost`` name nothing.
    """
    found: list[str] = []
    for rx in (_URL_HOST, _K8S_DNS, _HOST_PORT):
        for match in rx.finditer(text):
            label = match.group(1).split(".", 1)[0].lower()
            if label and not label.isdigit() and label != "localhost" and label not in found:
                found.append(label)
    return found


def _share(patterns: list[LogPattern], total: int, rx: re.Pattern[str]) -> float:
    return sum(p.incident_count for p in patterns if rx.search(f"{p.pattern} {p.example}")) / total


def _best_target(
    ctx: RankContext, st: CandidateState, patterns: list[LogPattern], total: int
) -> tuple[float, str] | None:
    """The callee (by name) or candidate (by address) most of the caller's errors name."""
    me = st.candidate.entity_id
    best: tuple[float, str] | None = None
    for callee in sorted(ctx.callees.get(me, ())):
        name = ctx.states[callee].candidate.name
        rx = _name_patterns(name) if name else None
        if rx is None:
            continue
        share = _share(patterns, total, rx)
        if share >= 0.3 and (best is None or share > best[0]):
            best = (share, callee)
    addressed: dict[str, int] = {}
    for p in patterns:
        for host in named_hosts(f"{p.pattern} {p.example}"):
            found = ctx.index.resolve(host)
            if found is not None and found.entity_id != me and found.entity_id in ctx.states:
                addressed[found.entity_id] = addressed.get(found.entity_id, 0) + p.incident_count
    for target, hits in sorted(addressed.items()):
        share = min(1.0, hits / total)
        if share >= 0.3 and (best is None or share > best[0]):
            best = (share, target)
    return best


def blame_named_callee(ctx: RankContext) -> None:
    """A failing service whose error logs name a callee ("invalid price from price service").

    A callee counts when it is named; any known candidate counts when the messages address it
    (URL, ``host:port``, Kubernetes DNS name), since topology may miss the call. The caller's
    own spans fail (it rejects what it received), so the traces make it the
    origin; its error messages say the trouble came from the callee (a wrong return value, a
    bad response). The blame moves to the named callee; the caller keeps a share, and a change
    on the caller no longer finds its own deviation to explain.
    """
    for st in list(ctx.states.values()):
        lg = st.logs
        # With failure origins in the traces, only an origin can relay blame (a caller that just
        # passes a callee's errors on is handled by propagation); without them, any failure sign.
        failing = ("origin",) if ctx.any_origins else _FAILING
        origin = max(st.signals.get(k, 0.0) for k in failing)
        if lg is None or st.client_origin or st.relays_to is not None or origin <= 0.0:
            continue
        patterns = [p for p in (lg.new_patterns or lg.top_patterns) if p.incident_count >= 2]
        total = sum(p.incident_count for p in patterns)
        if not total:
            continue
        best = _best_target(ctx, st, patterns, total)
        if best is None:
            continue
        share, callee = best
        dep = ctx.states[callee]
        rx = _name_patterns(dep.candidate.name or "")
        example = next(
            (
                p.example or p.pattern
                for p in patterns
                if (rx and rx.search(f"{p.pattern} {p.example}"))
                or any(ctx.index.resolve(h) is dep.candidate for h in named_hosts(f"{p.pattern} {p.example}"))
            ),
            "",
        )
        if _SLOW.search(example) and not any(dep.signals.get(k, 0.0) > 0.0 for k in _OWN_TROUBLE):
            # "timeout calling payment" blames a slow callee; a callee that is neither slow nor
            # failing nor short of resources in its own data did not cause the timeouts.
            continue
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
        if not _SLOW.search(example) and not any(
            dep.signals.get(k, 0.0) > 0.0 for k in ("resource", "neighbour", "network", "path")
        ):
            dep.hint("code", 1.0)  # a bad answer, unless its own resources or network explain it
        for signal in _FAILING:
            if signal in st.signals:
                st.signals[signal] *= 0.4
        st.relays_to = callee
        st.counter.append(
            f"its error logs blame {dep.candidate.label}: its failures reject what that returned"
        )
