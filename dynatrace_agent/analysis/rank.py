"""Evidence → ranked root-cause candidates: deterministic, explainable scoring.

Each candidate gets a handful of *signal strengths* in 0..1 (failure origin in traces, own
failure-rate and latency jump, error logs, resource/network/throughput metric deviations, a
change shortly before the start, Davis's hint). Signals combine as independent pieces of
evidence: ``score = 1 - Π(1 - weight·strength)``, so no single weak signal dominates and
every point of score is explained by a reason string and a cited evidence item.

Rules that make it more than a sum of anomalies:

* failures are credited to where they *originate* (deepest failing span), not to callers
  that relay them; a caller waiting on a slow callee is judged by its *self* time;
* a change only counts fully when the changed entity itself deviates (a decoy change on a
  healthy service stays weak);
* a saturated host points at the co-located process whose own usage rose (noisy neighbour);
* failing outgoing calls to a database/external candidate move the blame to that dependency;
* a throughput jump on an entry service explains load-induced latency further down;
* Davis's root-cause entity is weak evidence, because Davis can name a symptom;
* when nothing deviates beyond noise the category is ``none`` (false alarm).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent.analysis.evidence import (
    Candidate,
    Category,
    ChangeEvent,
    Evidence,
    EvidenceItem,
    LogStats,
    MetricDeviation,
    TraceStats,
)

__all__ = ["WEIGHTS", "Analysis", "RankedCandidate", "rank_root_causes"]

WEIGHTS: dict[str, float] = {
    "origin": 0.5,
    "dependency": 0.5,
    "failure_rate": 0.25,
    "latency": 0.35,
    "network": 0.35,
    "resource": 0.4,
    "logs": 0.25,
    "failure_metric": 0.2,
    "throughput": 0.3,
    "change": 0.45,
    "davis": 0.12,
}
# Signals that say the entity itself misbehaves (a change or Davis's opinion does not).
_DEVIATION_SIGNALS = tuple(k for k in WEIGHTS if k not in {"change", "davis"})
FALSE_ALARM_THRESHOLD = 0.2
CHANGE_TRIGGER_THRESHOLD = 0.35
_INFRA_TYPES = {"HOST", "KUBERNETES_NODE", "KUBERNETES_CLUSTER", "HYPERVISOR", "CLOUD_APPLICATION"}
_RESOURCE_KINDS = {"cpu", "memory", "disk", "saturation"}

_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "network",
        re.compile(
            r"no route to host|network is unreachable|name resolution|dns|handshake|packet loss|"
            r"connection reset by peer|broken pipe",
            re.I,
        ),
    ),
    (
        "resource",
        re.compile(
            r"out ?of ?memory|outofmemory|\boom|no space left|disk full|too many open files|"
            r"gc overhead|heap space|cpu throttl|resource exhausted",
            re.I,
        ),
    ),
    (
        "dependency",
        re.compile(
            r"connection refused|econnrefused|could not connect|unable to connect|connect(ion)? timed? ?out|"
            r"timeout|timed out|database|jdbc|\bsql|deadlock|pool exhausted|no available connection|"
            r"too many connections|redis|postgres|mysql|mongo|kafka|broker|upstream|"
            r"service unavailable|bad gateway",
            re.I,
        ),
    ),
    (
        "configuration",
        re.compile(
            r"\bconfig|configuration|invalid (property|setting|value)|feature.?flag|missing (key|env)|"
            r"not configured|unknown option|permission denied|unauthori[sz]ed|forbidden",
            re.I,
        ),
    ),
    (
        "code",
        re.compile(
            r"\w+(exception|error)\b|panic|traceback|stack ?trace|nullpointer|undefined|"
            r"index out of range|assertion",
            re.I,
        ),
    ),
)


class RankedCandidate(BaseModel):
    """A root-cause candidate with its score, category and the reasons for both."""

    model_config = ConfigDict(extra="forbid")

    entity_id: str
    name: str | None = None
    type: str | None = None
    score: float
    category: Category
    reasons: list[str] = Field(default_factory=list)
    counter_evidence: list[str] = Field(default_factory=list)
    evidence: list[EvidenceItem] = Field(default_factory=list)
    signals: dict[str, float] = Field(default_factory=dict)


class Analysis(BaseModel):
    """The ranking and what it concludes overall."""

    model_config = ConfigDict(extra="forbid")

    ranked: list[RankedCandidate] = Field(default_factory=list)
    category: Category = "none"
    confidence: float = 0.0
    triggering_change: str | None = None
    triggering_change_event: ChangeEvent | None = None
    false_alarm: bool = False
    summary: str = ""


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _ratio_strength(before: float | None, after: float | None, *, min_abs: float, span: float = 2.0) -> float:
    """0..1 for how far ``after`` rose over ``before``: log2 of the ratio over ``span`` doublings."""
    if before is None or after is None or after - before < min_abs:
        return 0.0
    ratio = after / before if before > 0 else 16.0
    if ratio < 1.3:
        return 0.0
    return _clamp(math.log2(ratio) / span)


def _metric_strength(m: MetricDeviation, *, min_rel: float = 0.2) -> float:
    if m.z_score is None or m.relative_change is None:
        return 0.0
    if m.z_score < 3.0 or m.relative_change < min_rel:
        return 0.0
    return _clamp(m.z_score / 8.0 + 0.25)


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.3g}{unit}"


@dataclass
class _State:
    """Working state of one candidate while signals are computed."""

    candidate: Candidate
    signals: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    counter: list[str] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    hints: dict[str, float] = field(default_factory=dict)
    client_origin: bool = False
    relays_to: str | None = None  # a dependency its failures were moved to
    best_change: ChangeEvent | None = None
    traces: TraceStats | None = None
    logs: LogStats | None = None

    def add(self, signal: str, strength: float, reason: str | None, item: EvidenceItem | None = None) -> None:
        if strength <= 0:
            return
        self.signals[signal] = max(self.signals.get(signal, 0.0), _clamp(strength))
        if reason:
            self.reasons.append(reason)
        if item is not None:
            self.evidence.append(item)

    def deviation(self) -> float:
        return _combine({k: v for k, v in self.signals.items() if k in _DEVIATION_SIGNALS})

    def score(self) -> float:
        return _combine(self.signals)


def _combine(signals: dict[str, float]) -> float:
    remaining = 1.0
    for name, strength in signals.items():
        remaining *= 1.0 - WEIGHTS.get(name, 0.0) * _clamp(strength)
    return 1.0 - remaining


class _Index:
    """Finds evidence by entity id or (case-insensitive) name."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self.by_key: dict[str, Candidate] = {}
        for c in candidates:
            self.by_key.setdefault(c.entity_id.lower(), c)
        for c in candidates:
            if c.name:
                self.by_key.setdefault(c.name.lower(), c)

    def resolve(self, key: str | None) -> Candidate | None:
        return self.by_key.get(key.lower()) if key else None

    def fuzzy(self, target: str) -> Candidate | None:
        exact = self.resolve(target)
        if exact is not None:
            return exact
        t = target.lower()
        for key, c in self.by_key.items():
            if len(key) >= 3 and len(t) >= 3 and (key in t or t in key):
                return c
        return None


def _matches(c: Candidate, key: str | None) -> bool:
    if not key:
        return False
    k = key.lower()
    return k == c.entity_id.lower() or (c.name is not None and k == c.name.lower())


def _scale(evidence: Evidence) -> float:
    """Incident minutes per baseline minute, to compare counts from windows of unequal length."""
    w = evidence.window
    return w.incident_minutes / w.baseline_minutes if w is not None else 1.0


def _excess_origins(t: TraceStats, scale: float) -> float:
    return max(0.0, t.incident.failure_origins - t.baseline.failure_origins * scale)


def _log_hints(logs: LogStats) -> dict[str, float]:
    hints: dict[str, float] = {}
    patterns = logs.new_patterns or logs.top_patterns
    total = sum(p.incident_count for p in patterns) or 1
    for p in patterns:
        text = f"{p.pattern} {p.example}"
        for hint, regex in _HINTS:
            if regex.search(text):
                hints[hint] = hints.get(hint, 0.0) + p.incident_count / total
                break
    return hints


def _attach(ctx: _Ctx) -> None:
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


def _trace_signals(ctx: _Ctx) -> None:
    """Traces: failure origins, failure rate, self latency, network gap, throughput."""
    evidence, states = ctx.evidence, ctx.states
    scale, total_excess, any_origins = ctx.scale, ctx.total_excess, ctx.any_origins
    for st in states.values():
        t = st.traces
        if t is None:
            continue
        cid = st.candidate.entity_id
        inc, base = t.incident, t.baseline
        ex = _excess_origins(t, scale)
        if ex > 0 and total_excess > 0:
            strength = (ex / total_excess) * _clamp(ex / 3.0)
            st.client_origin = inc.client_origin_failures * 2 >= inc.failure_origins > 0
            where = "in its outgoing calls" if st.client_origin else "in its own spans"
            st.add(
                "origin",
                strength,
                f"failures originate here {where}: {inc.failure_origins} incident traces "
                f"(baseline {base.failure_origins}), {ex / total_excess:.0%} of all failure origins",
                EvidenceItem(
                    kind="traces",
                    summary=f"deepest failing span in {inc.failure_origins} traces",
                    entity_id=cid,
                    source=t.source,
                    records=list(t.example_trace_ids),
                ),
            )
        delta = inc.failure_rate - base.failure_rate
        if inc.failures >= 3 and delta >= 0.02:
            own = 1.0 if not any_origins else _clamp(inc.failure_origins / max(inc.failures, 1))
            strength = _clamp(delta / 0.2) * (0.2 + 0.8 * own)
            st.add(
                "failure_rate",
                strength,
                f"failure rate {base.failure_rate:.1%} → {inc.failure_rate:.1%} "
                f"({inc.failures} of {inc.requests} requests)",
                EvidenceItem(
                    kind="traces",
                    summary=f"failure rate {base.failure_rate:.1%} → {inc.failure_rate:.1%}",
                    entity_id=cid,
                    source=t.source,
                ),
            )
            if own < 0.3 and any_origins:
                downstream = sorted(
                    (o for o in states.values() if o.traces and _excess_origins(o.traces, scale) > 0),
                    key=lambda o: -_excess_origins(o.traces, scale) if o.traces else 0,
                )
                names = ", ".join(o.candidate.label for o in downstream[:2] if o is not st) or "elsewhere"
                st.counter.append(f"most of its failures are relayed: they originate downstream in {names}")
        self_strength = _ratio_strength(base.self_p90_ms, inc.self_p90_ms, min_abs=5.0)
        if self_strength > 0:
            st.add(
                "latency",
                self_strength,
                f"own (self) time p90 {_fmt(base.self_p90_ms, ' ms')} → {_fmt(inc.self_p90_ms, ' ms')}",
                EvidenceItem(
                    kind="traces",
                    summary=f"self time p90 {_fmt(base.self_p90_ms)} → {_fmt(inc.self_p90_ms)} ms",
                    entity_id=cid,
                    source=t.source,
                ),
            )
        elif base.self_p90_ms is None or inc.self_p90_ms is None:
            total_strength = _ratio_strength(base.p90_ms, inc.p90_ms, min_abs=5.0) * 0.5
            st.add(
                "latency",
                total_strength,
                f"response time p90 {_fmt(base.p90_ms, ' ms')} → {_fmt(inc.p90_ms, ' ms')}",
                EvidenceItem(kind="traces", summary="response time p90 rose", entity_id=cid, source=t.source),
            )
        elif _ratio_strength(base.p90_ms, inc.p90_ms, min_abs=5.0) > 0:
            st.counter.append(
                f"response time rose ({_fmt(base.p90_ms)} → {_fmt(inc.p90_ms)} ms) but its own time did not: "
                "it waits on something it calls"
            )
        net = _ratio_strength(base.network_p90_ms, inc.network_p90_ms, min_abs=10.0)
        if net > 0:
            st.add(
                "network",
                net,
                f"time on the wire of its outgoing calls p90 {_fmt(base.network_p90_ms, ' ms')} → "
                f"{_fmt(inc.network_p90_ms, ' ms')} while the callees' own time is steady",
                EvidenceItem(kind="traces", summary="outgoing call gap rose", entity_id=cid, source=t.source),
            )
        w = evidence.window
        if w is not None and inc.requests >= 20:
            b_rate = base.requests / w.baseline_minutes
            i_rate = inc.requests / w.incident_minutes
            thr = _ratio_strength(b_rate, i_rate, min_abs=0.0, span=2.0) if i_rate >= 1.5 * b_rate else 0.0
            st.add(
                "throughput",
                thr,
                f"request rate {b_rate:.1f}/min → {i_rate:.1f}/min",
                EvidenceItem(kind="traces", summary="request rate jump", entity_id=cid, source=t.source),
            )


def _dependency_signals(ctx: _Ctx) -> None:
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
            st.hints["dependency"] = st.hints.get("dependency", 0.0) + 1.0
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
        dep.hints["dependency"] = dep.hints.get("dependency", 0.0) + 2.0
        st.signals["origin"] = origin * 0.4
        if "failure_rate" in st.signals:
            st.signals["failure_rate"] *= 0.4
        st.relays_to = target_candidate.entity_id
        st.counter.append(f"its failures are failing calls to {target_candidate.label}")


def _log_signals(ctx: _Ctx) -> None:
    """Logs."""
    evidence = ctx.evidence
    states = ctx.states
    w = evidence.window
    for st in states.values():
        lg = st.logs
        if lg is None:
            continue
        b_min = w.baseline_minutes if w else 1.0
        i_min = w.incident_minutes if w else 1.0
        b_rate, i_rate = lg.baseline_errors / b_min, lg.incident_errors / i_min
        strength = 0.0
        if lg.incident_errors >= 3:
            strength = _ratio_strength(b_rate + 1.0 / b_min, i_rate, min_abs=0.0, span=4.0)
        new_errors = [p for p in lg.new_patterns if p.incident_count >= 2]
        strength = _clamp(strength + 0.2 * min(len(new_errors), 2))
        relay = "most of its failures are relayed" in " ".join(st.counter)
        if relay or st.relays_to is not None:
            strength *= 0.4
        if strength > 0:
            detail = f"error logs {b_rate:.2g}/min → {i_rate:.2g}/min"
            if new_errors:
                detail += f"; new: “{new_errors[0].example or new_errors[0].pattern}”"
            st.add(
                "logs",
                strength,
                detail,
                EvidenceItem(
                    kind="logs",
                    summary=detail,
                    entity_id=st.candidate.entity_id,
                    source=lg.source,
                    records=[p.pattern for p in (new_errors or lg.top_patterns)[:3]],
                ),
            )
            for kind, share in _log_hints(lg).items():
                st.hints[kind] = st.hints.get(kind, 0.0) + share * strength
                if st.relays_to is not None:  # the dependency's symptoms, logged by its caller
                    dep = states[st.relays_to]
                    dep.hints[kind] = dep.hints.get(kind, 0.0) + share * strength


def _metric_signals(ctx: _Ctx) -> None:
    """Metrics."""
    evidence = ctx.evidence
    index = ctx.index
    states = ctx.states
    own_resource = ctx.own_resource
    by_entity: dict[str, list[MetricDeviation]] = {}
    for m in evidence.metrics:
        c = index.resolve(m.entity_id)
        if c is not None:
            by_entity.setdefault(c.entity_id, []).append(m)
    for st in states.values():
        c = st.candidate
        own = list(by_entity.get(c.entity_id, []))
        for pg in c.process_groups:
            pg_c = index.resolve(pg)
            own += (
                by_entity.get(pg_c.entity_id, [])
                if pg_c
                else [m for m in evidence.metrics if m.entity_id == pg]
            )
        for m in own:
            s = _metric_strength(m)
            if s <= 0:
                continue
            label = (
                f"{m.metric_key} {_fmt(m.baseline_mean)} → {_fmt(m.incident_mean)} (z={m.z_score:.1f})"
                if m.z_score is not None
                else m.metric_key
            )
            item = EvidenceItem(
                kind="metric", summary=label, entity_id=c.entity_id, source=m.source, records=[m.metric_key]
            )
            if m.kind in _RESOURCE_KINDS:
                st.add("resource", s, f"{m.kind} rose: {label}", item)
                own_resource[c.entity_id] = max(own_resource.get(c.entity_id, 0.0), s)
            elif m.kind == "network":
                st.add("network", s, f"network metric rose: {label}", item)
            elif m.kind == "failure":
                st.add("failure_metric", s * (0.4 if st.counter else 1.0), f"failures rose: {label}", item)
            elif m.kind == "throughput":
                thr = _metric_strength(m, min_rel=0.5)
                st.add("throughput", thr, f"throughput rose: {label}", item)
            elif m.kind == "latency" and st.traces is None:
                st.add("latency", s * 0.5, f"response time rose: {label}", item)


def _host_signals(ctx: _Ctx) -> None:
    """Hosts: noisy neighbours and inherited saturation."""
    states = ctx.states
    own_resource = ctx.own_resource
    for st in states.values():
        host = st.candidate
        host_resource = own_resource.get(host.entity_id, 0.0)
        if host_resource <= 0:
            continue
        residents = [o for o in states.values() if host.entity_id in o.candidate.hosts]
        culprits = [o for o in residents if own_resource.get(o.candidate.entity_id, 0.0) >= 0.3]
        for o in residents:
            if o in culprits:
                victims = [v.candidate.label for v in residents if v not in culprits]
                o.reasons.append(
                    f"its own resource use rose on host {host.label}, which it shares with "
                    + (", ".join(victims[:3]) or "other processes")
                )
                o.hints["resource"] = o.hints.get("resource", 0.0) + 1.0
            elif culprits:
                o.counter.append(
                    f"its own process is not saturated; host {host.label} is saturated by "
                    + ", ".join(c.candidate.label for c in culprits[:2])
                )
                if "latency" in o.signals:
                    o.signals["latency"] *= 0.5
            else:
                o.counter.append(f"runs on host {host.label}, which is saturated; its own process is not")
                if "latency" in o.signals:
                    o.signals["latency"] *= 0.5
        if culprits:
            st.signals["resource"] = host_resource * 0.6
            st.counter.append(
                "its saturation is driven by " + ", ".join(c.candidate.label for c in culprits[:2])
            )


def _symptom_discount(ctx: _Ctx) -> None:
    """Symptom discount: a caller whose callee deviates more is probably waiting on it."""
    states = ctx.states
    callees = ctx.callees
    raw_dev = {cid: st.deviation() for cid, st in states.items()}
    for cid, st in states.items():
        worse = [d for d in callees[cid] if raw_dev.get(d, 0.0) > raw_dev[cid]]
        if worse and st.traces is None and "latency" in st.signals:
            st.signals["latency"] *= 0.5
            st.counter.append(
                "it calls "
                + ", ".join(states[d].candidate.label for d in sorted(worse)[:2])
                + ", which deviates more"
            )


def _traffic_signals(ctx: _Ctx) -> None:
    """Traffic: a jump at an entry point explains load-induced latency downstream."""
    states = ctx.states
    callers = ctx.callers
    total_excess = ctx.total_excess
    for cid, st in states.items():
        thr = st.signals.get("throughput", 0.0)
        if thr <= 0:
            continue
        upstream = [c for c in callers[cid] if states[c].signals.get("throughput", 0.0) > 0]
        if upstream:
            st.signals["throughput"] = thr * 0.3
            st.counter.append(
                "its extra traffic comes from "
                + ", ".join(states[c].candidate.label for c in sorted(upstream)[:2])
            )
        elif thr >= 0.5 and total_excess < 2:
            st.hints["traffic"] = st.hints.get("traffic", 0.0) + 2.0
            for other in states.values():
                if other is not st and "latency" in other.signals:
                    other.signals["latency"] *= 0.5
                    other.counter.append(
                        f"its latency rise coincides with a traffic spike on {st.candidate.label}"
                    )


def _change_signals(ctx: _Ctx) -> None:
    """Changes."""
    evidence = ctx.evidence
    states = ctx.states
    for st in states.values():
        c = st.candidate
        own_ids = {c.entity_id.lower(), *(p.lower() for p in c.process_groups)}
        dev = st.deviation()
        best = 0.0
        for ch in evidence.changes:
            if not own_ids.intersection(e.lower() for e in ch.entity_ids):
                continue
            m = ch.minutes_from_start
            if m is None or m < -180 or m > 15:
                continue
            closeness = 1.0 if -30 <= m <= 2 else (0.5 if m > 2 else _clamp(1.0 + (m + 30) / 150 * 0.7, 0.3))
            kind_factor = 1.0 if ch.kind in {"deployment", "configuration"} else 0.5
            strength = closeness * kind_factor * (0.25 + 0.75 * _clamp(dev / 0.4))
            when = f"{abs(m):.0f} min {'before' if m <= 0 else 'after'} the problem started"
            label = ch.name or ch.event_type
            if strength > best:
                best = strength
                st.best_change = ch
            st.add(
                "change",
                strength,
                f"{ch.kind} “{label}” {when} (event {ch.event_id})",
                EvidenceItem(
                    kind="change",
                    summary=f"{ch.kind}: {label}, {when}",
                    entity_id=c.entity_id,
                    source=ch.source,
                    records=[ch.event_id],
                ),
            )
        if st.best_change is not None and dev < 0.1:
            st.counter.append("changed shortly before the problem, but shows no deviation of its own")


def _davis_signals(ctx: _Ctx) -> None:
    """Davis."""
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


@dataclass
class _Ctx:
    """Everything the signal passes share."""

    evidence: Evidence
    index: _Index
    states: dict[str, _State]
    scale: float
    callees: dict[str, set[str]] = field(default_factory=dict)
    callers: dict[str, set[str]] = field(default_factory=dict)
    total_excess: float = 0.0
    any_origins: bool = False
    own_resource: dict[str, float] = field(default_factory=dict)


def rank_root_causes(evidence: Evidence) -> Analysis:
    """Rank the evidence's candidates; pure and deterministic (ties break on entity id)."""
    candidates = list(evidence.candidates)
    known = {c.entity_id for c in candidates}
    hint = evidence.problem.root_cause_hint
    if hint is not None and hint.id not in known:
        candidates.append(
            Candidate(entity_id=hint.id, name=hint.name, type=hint.type, relations=["davis_root"])
        )
    if not candidates:
        return Analysis(
            category="none",
            confidence=0.0,
            false_alarm=False,
            summary="No candidate entities were found, so no root cause could be ranked.",
        )
    scale = _scale(evidence)
    ctx = _Ctx(
        evidence=evidence,
        index=_Index(candidates),
        states={c.entity_id: _State(candidate=c) for c in candidates},
        scale=scale,
        total_excess=sum(_excess_origins(t, scale) for t in evidence.traces),
        any_origins=sum(t.incident.failure_origins for t in evidence.traces) > 0,
    )
    for signal_pass in (
        _attach,
        _trace_signals,
        _dependency_signals,
        _log_signals,
        _metric_signals,
        _host_signals,
        _symptom_discount,
        _traffic_signals,
        _change_signals,
        _davis_signals,
    ):
        signal_pass(ctx)
    return _conclude(evidence, ctx.states)


def _category(st: _State) -> Category:
    c = st.candidate
    sig = st.signals
    if st.deviation() < FALSE_ALARM_THRESHOLD:
        return "none"
    if (
        st.best_change is not None
        and sig.get("change", 0.0) >= CHANGE_TRIGGER_THRESHOLD
        and st.best_change.kind in {"deployment", "configuration"}
    ):
        return "deployment" if st.best_change.kind == "deployment" else "configuration"
    votes: dict[str, float] = {
        "dependency": WEIGHTS["dependency"] * sig.get("dependency", 0.0)
        + (WEIGHTS["origin"] * sig.get("origin", 0.0) if st.client_origin else 0.0)
        + 0.2 * st.hints.get("dependency", 0.0),
        "network": WEIGHTS["network"] * sig.get("network", 0.0) + 0.2 * st.hints.get("network", 0.0),
        "resource": WEIGHTS["resource"] * sig.get("resource", 0.0) + 0.2 * st.hints.get("resource", 0.0),
        "traffic": WEIGHTS["throughput"] * sig.get("throughput", 0.0) + 0.2 * st.hints.get("traffic", 0.0),
        "configuration": 0.2 * st.hints.get("configuration", 0.0),
        "code": (0.0 if st.client_origin else WEIGHTS["origin"] * sig.get("origin", 0.0))
        + WEIGHTS["failure_rate"] * sig.get("failure_rate", 0.0) * 0.5
        + WEIGHTS["latency"] * sig.get("latency", 0.0) * 0.5
        + 0.2 * st.hints.get("code", 0.0),
    }
    winner = max(sorted(votes), key=lambda k: votes[k])
    if (c.is_database or c.is_external) and winner in {"code", "dependency"}:
        return "dependency"
    if (c.type or "").upper() in _INFRA_TYPES and winner in {"code", "dependency", "configuration"}:
        return "infrastructure"
    return winner  # type: ignore[return-value]


def _conclude(evidence: Evidence, states: dict[str, _State]) -> Analysis:
    ranked: list[RankedCandidate] = []
    for st in states.values():
        c = st.candidate
        ranked.append(
            RankedCandidate(
                entity_id=c.entity_id,
                name=c.name,
                type=c.type,
                score=round(st.score(), 4),
                category=_category(st),
                reasons=_dedupe(st.reasons),
                counter_evidence=_dedupe(st.counter),
                evidence=st.evidence,
                signals={k: round(v, 4) for k, v in sorted(st.signals.items())},
            )
        )
    deviation = {cid: st.deviation() for cid, st in states.items()}
    ranked.sort(key=lambda r: (-r.score, -deviation[r.entity_id], r.entity_id))
    max_dev = max(deviation.values(), default=0.0)
    if max_dev < FALSE_ALARM_THRESHOLD:
        confidence = round(_clamp(0.9 - 2.0 * max_dev, 0.3, 0.9), 3)
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
    margin = _clamp((top.score - second) / 0.3)
    confidence = round(_clamp(top.score * (0.6 + 0.4 * margin)), 3)
    trigger = (
        top_state.best_change if top_state.signals.get("change", 0.0) >= CHANGE_TRIGGER_THRESHOLD else None
    )
    category = top.category if top.category != "none" else "code"
    summary = f"Most likely root cause: {top.name or top.entity_id} ({category}, score {top.score:.2f})"
    if trigger is not None:
        summary += f", triggered by {trigger.kind} “{trigger.name or trigger.event_type}”"
    return Analysis(
        ranked=ranked,
        category=category,
        confidence=confidence,
        triggering_change=trigger.event_id if trigger else None,
        triggering_change_event=trigger,
        false_alarm=False,
        summary=summary + ".",
    )


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
