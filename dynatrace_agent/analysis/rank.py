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
* a saturated host points at the co-located process whose own usage rose (noisy neighbour);
  throttling is starvation, not consumption;
* failing outgoing calls to a database/external candidate move the blame to that dependency;
* slow wire time on several calls points at what those calls have in common (a service, or
  its host when the host shows network anomalies);
* a throughput jump on an entry service explains load-induced trouble below it;
* failures that begin minutes after the problem's first failures belong to another problem;
* Davis's root-cause entity and evidence details are weak evidence (Davis can name a
  symptom); without traces, logs or metrics they are all there is, so the verdict is never
  a false alarm and never confident;
* entities seen only in spans, logs or metric dimensions (pod names too) are candidates;
* when nothing deviates beyond noise the category is ``none`` (false alarm).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent.analysis.evidence import (
    Candidate,
    Category,
    ChangeEvent,
    ChangeKind,
    DavisEvidence,
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
    "path": 0.45,
    "resource": 0.4,
    "neighbour": 0.4,
    "logs": 0.25,
    "failure_metric": 0.3,
    "throughput": 0.3,
    "load": 0.45,
    "davis_evidence": 0.3,
    "propagation": 0.3,
    "change": 0.45,
    "davis": 0.12,
}
# Signals that say the entity itself misbehaves (a change or Davis's opinion does not).
_DEVIATION_SIGNALS = tuple(k for k in WEIGHTS if k not in {"change", "davis"})
# Symptoms that travel upstream along calls: a caller shows them when a callee misbehaves.
_PROPAGATING = ("latency", "failure_rate", "failure_metric", "logs", "davis_evidence")
# What a change of the entity itself can cause (more incoming traffic is not one of them).
_CHANGE_EXPLAINS = tuple(k for k in _DEVIATION_SIGNALS if k not in {"throughput", "load"})
FALSE_ALARM_THRESHOLD = 0.2
CHANGE_TRIGGER_THRESHOLD = 0.35
#: A deviation counts as an anomaly for propagation rules from this combined strength on.
ANOMALY_THRESHOLD = 0.15
#: Failures that start this long after the problem opened did not start it.
LATE_ONSET_MINUTES = 4.0
#: Fewer incident requests than this make a self-time p90 only partly trustworthy.
MIN_SPANS_FOR_P90 = 5
#: A host is saturated only from this utilisation (percent) on, whatever its z-score.
SATURATION_LEVEL = 80.0
#: Without traces, logs or metrics a verdict is never more confident than this.
BLIND_MAX_CONFIDENCE = 0.2
_INFRA_TYPES = {"HOST", "KUBERNETES_NODE", "KUBERNETES_CLUSTER", "HYPERVISOR", "CLOUD_APPLICATION"}
_RESOURCE_KINDS = {"cpu", "memory", "disk", "saturation"}
_CHANGE_EVENT_TYPES = re.compile(r"DEPLOY|CONFIG|RELEASE|ROLLOUT", re.I)
_INVERSE_METRIC = re.compile(r"availab|success|apdex|uptime", re.I)
_STARVATION_METRIC = re.compile(r"throttl|steal|wait", re.I)
_RESTART_METRIC = re.compile(r"restart|oom.?kill|evict", re.I)
_PERCENT_METRIC = re.compile(r"usage|percent|util", re.I)

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
    explained_by: list[str] = field(default_factory=list)  # candidates whose anomaly explains its own
    late: bool = False  # its failures began well after the problem opened
    davis_kinds: dict[str, float] = field(default_factory=dict)  # metric kind → Davis evidence strength

    def explain(self, signals: Iterable[str], factor: float, by: str | None, counter: str) -> None:
        """Discount symptoms another candidate explains, and say so (once per explanation)."""
        touched = False
        for name in signals:
            if name in self.signals:
                self.signals[name] *= factor
                touched = True
        if by is not None and by not in self.explained_by:
            self.explained_by.append(by)
        if touched or by is not None:
            self.counter.append(counter)

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
        """By id or name; a Kubernetes pod or replica name (``cart-7d9f8-x2k4q``) finds its workload."""
        if not key:
            return None
        found = self.by_key.get(key.lower())
        if found is None:
            base = _workload_name(key)
            found = self.by_key.get(base) if base != key.lower() else None
        return found

    def add(self, candidate: Candidate) -> None:
        self.by_key.setdefault(candidate.entity_id.lower(), candidate)
        if candidate.name:
            self.by_key.setdefault(candidate.name.lower(), candidate)

    def fuzzy(self, target: str) -> Candidate | None:
        exact = self.resolve(target)
        if exact is not None:
            return exact
        t = target.lower()
        for key, c in self.by_key.items():
            if len(key) >= 3 and len(t) >= 3 and (key in t or t in key):
                return c
        return None


_POD_SUFFIX = re.compile(r"-[a-z0-9]{6,10}-[a-z0-9]{5}$|-\d+$")


def _workload_name(name: str) -> str:
    """A pod or replica name without its generated suffix: ``cart-7d9f8c6b5-x2k4q`` → ``cart``."""
    return _POD_SUFFIX.sub("", name.lower())


_NAME_DIMS = ("service.name", "k8s.workload.name", "k8s.container.name", "k8s.pod.name")


def _metric_owner(index: _Index, m: MetricDeviation) -> Candidate | None:
    """The candidate a series is about: its entity id, else a name dimension (service, workload, pod)."""
    found = index.resolve(m.entity_id)
    if found is not None:
        return found
    for dim in _NAME_DIMS:
        found = index.resolve(m.dimensions.get(dim))
        if found is not None:
            return found
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
            # One failing trace is noise: the excess must reach two traces to count at all.
            strength = (ex / total_excess) * _clamp((ex - 1.0) / 3.0)
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
        if inc.requests < MIN_SPANS_FOR_P90:
            # A p90 of a handful of spans is one outlier: trust it only partly.
            self_strength *= inc.requests / MIN_SPANS_FOR_P90
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


def _blame_named_callee(ctx: _Ctx) -> None:
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
        dep.hints["code"] = dep.hints.get("code", 0.0) + 1.0
        for signal in ("origin", "failure_rate", "logs"):
            if signal in st.signals:
                st.signals[signal] *= 0.4
        st.relays_to = callee
        st.counter.append(
            f"its error logs blame {dep.candidate.label}: its failures reject what that returned"
        )


def _metric_strength_any(m: MetricDeviation) -> float:
    """Strength of a metric's move in its bad direction (down for availability-like metrics).

    A count that rises from nothing to a fraction of one per interval is noise, whatever its
    z-score: counts must rise by at least one per two intervals.
    """
    if (
        m.kind in {"failure", "throughput"}
        and re.search(r"count|total|number", m.metric_key, re.I)
        and (m.incident_mean or 0.0) - (m.baseline_mean or 0.0) < 0.5
    ):
        return 0.0
    if _INVERSE_METRIC.search(m.metric_key):
        if m.z_score is None or m.relative_change is None or m.z_score > -3.0 or m.relative_change > -0.02:
            return 0.0
        return _clamp(-m.z_score / 8.0 + 0.25) * _persistence(m)
    return _metric_strength(m) * _persistence(m)


def _persistence(m: MetricDeviation) -> float:
    """A move sustained through the incident counts fully; a brief blip inside it counts less."""
    if m.incident_persistence is None or m.incident_points < 3:
        return 1.0
    return 0.3 + 0.7 * min(1.0, m.incident_persistence / 0.5)


def _saturated_level(m: MetricDeviation) -> bool:
    """Whether a host's utilisation reached saturation (in percent; other units are trusted)."""
    if _STARVATION_METRIC.search(m.metric_key):
        return True
    percent = (m.unit or "").lower() in {"percent", "%"} or (
        not m.unit and _PERCENT_METRIC.search(m.metric_key)
    )
    if not percent or m.kind not in {"cpu", "memory", "disk"}:
        return True
    peak = m.incident_max if m.incident_max is not None else m.incident_mean
    return peak is not None and peak >= SATURATION_LEVEL


def _availability_loss(m: MetricDeviation) -> float:
    """Share of requests lost (0..1) when an availability-like metric in percent fell."""
    if m.baseline_mean is None or m.incident_mean is None:
        return 0.0
    drop = m.baseline_mean - m.incident_mean
    scale = 100.0 if m.baseline_mean > 1.5 else 1.0  # percent or fraction
    return _clamp(drop / scale)


def _metric_signals(ctx: _Ctx) -> None:
    """Metrics of each candidate (and of its process groups) against their baseline."""
    evidence = ctx.evidence
    index = ctx.index
    states = ctx.states
    own_resource = ctx.own_resource
    by_entity: dict[str, list[MetricDeviation]] = {}
    for m in evidence.metrics:
        c = _metric_owner(index, m)
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
            if m.kind in _RESOURCE_KINDS:
                ctx.resource_seen.add(c.entity_id)
            s = _metric_strength_any(m)
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
            if _INVERSE_METRIC.search(m.metric_key):
                st.add("failure_metric", s, f"availability fell: {label}", item)
                # Lost availability is a failure rate: requests that failed (often fast, so
                # latency may even fall); it counts like a failure-rate jump of that size.
                st.add("failure_rate", _clamp(_availability_loss(m) * 5.0) * _persistence(m), None)
            elif m.kind in _RESOURCE_KINDS:
                if (c.type or "").upper() == "HOST" and not _saturated_level(m):
                    # A quiet host whose usage moved is not saturated: weak evidence only.
                    st.add("resource", s * 0.3, f"{m.kind} rose (below saturation): {label}", item)
                    continue
                st.add("resource", s, f"{m.kind} rose: {label}", item)
                if _STARVATION_METRIC.search(m.metric_key):
                    # Throttling or waiting says the process was starved, not that it consumed more.
                    ctx.starved[c.entity_id] = max(ctx.starved.get(c.entity_id, 0.0), s)
                else:
                    own_resource[c.entity_id] = max(own_resource.get(c.entity_id, 0.0), s)
            elif m.kind == "network":
                st.add("network", s, f"network metric rose: {label}", item)
                ctx.net_metric[c.entity_id] = max(ctx.net_metric.get(c.entity_id, 0.0), s)
            elif m.kind == "failure":
                st.add("failure_metric", s * (0.4 if st.counter else 1.0), f"failures rose: {label}", item)
            elif m.kind == "throughput":
                thr = _metric_strength(m, min_rel=0.5)
                st.add("throughput", thr, f"throughput rose: {label}", item)
            elif m.kind == "latency" and st.traces is None:
                st.add("latency", s, f"response time rose: {label}", item)
            elif _RESTART_METRIC.search(m.metric_key):
                # Restarts are a resource symptom when the logs say out of memory; otherwise they
                # may be a crash loop of any cause, so they count half.
                weight = 1.0 if st.hints.get("resource", 0.0) > 0 else 0.5
                st.add("resource", s * weight, f"restarts rose: {label}", item)


def _davis_kind(ev: DavisEvidence) -> str:
    text = f"{ev.display_name} {ev.event_type or ''}".lower().replace("_", " ")
    if re.search(r"disk|volume|inode", text):
        return "disk"
    if re.search(r"memory|\boom\b|heap", text):
        return "memory"
    if re.search(r"\bcpu|saturat", text):
        return "cpu"
    if re.search(r"network|packet|\bnic\b|retransmi|connectivity", text):
        return "network"
    if re.search(r"unavailable|down|not ready|restart|crash|lost", text):
        return "availability"
    if re.search(r"response time|slowdown|latency|duration", text):
        return "latency"
    if re.search(r"failure|error|exception", text):
        return "failure"
    if re.search(r"traffic|load|request count|throughput", text):
        return "throughput"
    return "other"


def _davis_evidence_signals(ctx: _Ctx) -> None:
    """Davis's evidence details: change points and anomaly events on entities, as weak deviations.

    They are Davis's reading of the data, not the data itself: where traces, logs or metrics
    were read they count for little (a tie-breaker); where nothing could be read (classic-only
    tenants) they are the only deviation evidence there is, and count more.
    """
    factor = 1.0 if ctx.blind else 0.3
    for ev in ctx.evidence.problem.davis_evidence:
        if ev.event_type and _CHANGE_EVENT_TYPES.search(ev.event_type):
            continue  # a change, handled with the other changes
        found = ctx.index.resolve(ev.entity_id) or ctx.index.resolve(ev.entity_name)
        if found is None:
            continue
        st = ctx.states[found.entity_id]
        kind = _davis_kind(ev)
        if ev.before is not None and ev.after is not None:
            if kind == "availability" or _INVERSE_METRIC.search(ev.display_name):
                strength = _ratio_strength(ev.after, ev.before, min_abs=0.0, span=1.0)
            else:
                strength = _ratio_strength(ev.before, ev.after, min_abs=0.0, span=3.0)
            what = f"{ev.display_name} {_fmt(ev.before)} → {_fmt(ev.after)}{' ' + ev.unit if ev.unit else ''}"
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


def _network_localisation(ctx: _Ctx) -> None:
    """Slow wire time on calls: blame the element every slow call has in common.

    Each caller→callee edge whose wire time (client span minus the callee's span) rose is a
    vote for both ends. The service touching most slow edges is where the network trouble
    is; when one of its hosts shows a network metric anomaly, the host is. Services whose
    only network evidence is a slow edge to or from that place are discounted.
    """
    edges: dict[tuple[str, str], float] = {}
    for st in ctx.states.values():
        t = st.traces
        if t is None:
            continue
        for callee, gap in t.call_gaps.items():
            target = ctx.index.resolve(callee)
            if target is None or target.entity_id == st.candidate.entity_id:
                continue
            strength = _ratio_strength(gap.baseline_p90_ms, gap.incident_p90_ms, min_abs=10.0)
            if strength > 0 and gap.incident_calls >= 2:
                key = (st.candidate.entity_id, target.entity_id)
                edges[key] = max(edges.get(key, 0.0), strength)
    if not edges:
        return
    cover: dict[str, list[float]] = {}
    for (src, dst), strength in edges.items():
        cover.setdefault(src, []).append(strength)
        cover.setdefault(dst, []).append(strength)
    ranked = sorted(cover.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]), kv[0]))
    locus_id, votes = ranked[0]
    if len(edges) == 1:
        _single_slow_edge(ctx, *next(iter(edges.items())))
        return
    if len(votes) < 2 or (len(ranked) > 1 and len(ranked[1][1]) == len(votes)):
        return  # a tie does not say which end is at fault
    locus = ctx.states[locus_id]
    strength = max(votes)
    hosts = [h.entity_id for h in (ctx.index.resolve(x) for x in locus.candidate.hosts) if h is not None]
    noisy_hosts = sorted(
        (h for h in hosts if ctx.net_metric.get(h, 0.0) > 0), key=lambda h: -ctx.net_metric[h]
    )
    blamed = ctx.states[noisy_hosts[0]] if noisy_hosts else locus
    peers = sorted({d if s == locus_id else s for s, d in edges if locus_id in (s, d)})
    peer_names = ", ".join(ctx.states[p].candidate.label for p in peers[:3])
    where = f"on {blamed.candidate.label}, which runs {locus.candidate.label}" if blamed is not locus else ""
    blamed.add(
        "path",
        strength,
        f"wire time rose on {len(votes)} call paths that all involve {locus.candidate.label} "
        f"(with {peer_names}) while the services' own time is steady"
        + (f"; network anomaly {where}" if where else ""),
        EvidenceItem(
            kind="traces",
            summary=f"slow calls share {locus.candidate.label}",
            entity_id=blamed.candidate.entity_id,
            source=locus.traces.source if locus.traces else None,
        ),
    )
    blamed.hints["network"] = blamed.hints.get("network", 0.0) + 2.0
    for pid in {*peers, locus_id} - {blamed.candidate.entity_id}:
        ctx.states[pid].explain(
            ("network", "latency", "dependency", "failure_rate", "logs", "failure_metric"),
            0.4,
            blamed.candidate.entity_id,
            f"its slow calls are explained by the network at {blamed.candidate.label}",
        )


def _single_slow_edge(ctx: _Ctx, edge: tuple[str, str], strength: float) -> None:
    """One slow caller→callee edge: the callee's end when the caller's other calls are fine.

    The caller's spans measure the wire, so a network fault anywhere on the path looks like the
    caller's. When the caller reaches its other callees as fast as before and the callee's own
    time is steady, the trouble sits with the callee (its pod, node or link); a network
    anomaly on the callee or its host confirms it. Without other calls to compare and without
    such an anomaly the edge does not say which end is at fault.
    """
    src, dst = edge
    caller, callee = ctx.states[src], ctx.states[dst]
    others = [
        g
        for name, g in (caller.traces.call_gaps.items() if caller.traces else ())
        if (o := ctx.index.resolve(name)) is not None and o.entity_id != dst and g.incident_calls >= 2
    ]
    hosts = [h.entity_id for h in (ctx.index.resolve(x) for x in callee.candidate.hosts) if h is not None]
    net = max([ctx.net_metric.get(dst, 0.0), *(ctx.net_metric.get(h, 0.0) for h in hosts)])
    callee_slow = callee.signals.get("latency", 0.0) > 0.0
    if callee_slow or not (others or net > 0.0):
        return
    callee.add(
        "path",
        strength,
        f"calls from {caller.candidate.label} to it slowed on the wire while its own time is steady"
        + (f" and {caller.candidate.label}'s {len(others)} other call path(s) are not" if others else "")
        + ("; network metrics of it or its host rose" if net > 0.0 else ""),
        EvidenceItem(
            kind="traces",
            summary=f"slow wire time on {caller.candidate.label} → {callee.candidate.label}",
            entity_id=dst,
            source=caller.traces.source if caller.traces else None,
        ),
    )
    callee.hints["network"] = callee.hints.get("network", 0.0) + 2.0
    caller.explain(
        ("network", "latency", "failure_rate", "logs", "failure_metric"),
        0.4,
        dst,
        f"its slow calls are explained by the network at {callee.candidate.label}",
    )


def _host_signals(ctx: _Ctx) -> None:
    """Hosts: a process whose own use rose starves its neighbours (noisy neighbour)."""
    states = ctx.states
    own_resource = ctx.own_resource
    for st in states.values():
        host = st.candidate
        host_resource = own_resource.get(host.entity_id, 0.0)
        if host_resource <= 0:
            continue
        residents = [o for o in states.values() if host.entity_id in o.candidate.hosts]
        culprits = [o for o in residents if own_resource.get(o.candidate.entity_id, 0.0) >= 0.3]
        victims = [o for o in residents if o not in culprits]
        suffering = max((v.deviation() for v in victims), default=0.0)
        for o in residents:
            if o in culprits:
                names = [v.candidate.label for v in victims]
                o.reasons.append(
                    f"its own resource use rose on host {host.label}, which it shares with "
                    + (", ".join(names[:3]) or "other processes")
                )
                o.hints["resource"] = o.hints.get("resource", 0.0) + 1.0
                if suffering > 0:
                    o.add("neighbour", suffering, None)
            elif culprits:
                o.explain(
                    ("latency", "resource", "logs", "failure_rate", "failure_metric", "davis_evidence"),
                    0.5,
                    culprits[0].candidate.entity_id,
                    f"its own process is not saturated; host {host.label} is saturated by "
                    + ", ".join(c.candidate.label for c in culprits[:2]),
                )
            elif _process_data(ctx, o):
                o.explain(
                    ("latency",),
                    0.5,
                    None,
                    f"runs on host {host.label}, which is saturated; its own process is not",
                )
                if ctx.starved.get(o.candidate.entity_id, 0.0) > 0:
                    st.add("neighbour", o.deviation(), None)
        if culprits:
            st.signals["resource"] = host_resource * 0.6
            st.counter.append(
                "its saturation is driven by " + ", ".join(c.candidate.label for c in culprits[:2])
            )


def _process_data(ctx: _Ctx, st: _State) -> bool:
    """Whether resource metrics of the candidate or its process groups were seen (else unknown)."""
    ids = [st.candidate.entity_id, *st.candidate.process_groups]
    found = [ctx.index.resolve(i) for i in ids]
    return any(f is not None and f.entity_id in ctx.resource_seen for f in found) or any(
        i in ctx.resource_seen for i in ids
    )


def _late_onset(ctx: _Ctx) -> None:
    """Failures that began well after the others (and after the problem opened) did not start it.

    The reference is the earliest onset of new failures among the candidates (or the
    problem's start when that is later): a concurrent, unrelated failure that begins minutes
    later is a separate issue or a consequence, however loud.
    """
    start = ctx.evidence.problem.start
    onsets: dict[str, datetime] = {}
    for cid, st in ctx.states.items():
        t = st.traces
        if t is None or t.first_incident_failure is None or t.incident.failures < 3:
            continue
        if t.incident.failure_rate < 2.0 * t.baseline.failure_rate + 0.01:
            continue  # no new failures: its first failure says nothing about an onset
        onsets[cid] = t.first_incident_failure
    if not onsets:
        return
    reference = min(onsets.values())
    if start is not None:
        reference = max(reference, start)
    for cid, onset in onsets.items():
        late = (onset - reference).total_seconds() / 60.0
        if late > LATE_ONSET_MINUTES:
            st = ctx.states[cid]
            st.late = True
            st.explain(
                ("origin", "failure_rate", "failure_metric", "logs", "dependency", "davis_evidence"),
                0.4,
                None,
                f"its failures began {late:.0f} min after the first failures of this problem: "
                "a consequence or a separate issue",
            )


def _downstream(ctx: _Ctx, cid: str, depth: int = 6) -> list[str]:
    """Candidates reachable along calls from ``cid`` (nearest first), and the hosts they run on."""
    seen: list[str] = []
    frontier = [cid]
    for _ in range(depth):
        nxt: list[str] = []
        for node in frontier:
            for callee in sorted(ctx.callees.get(node, ())):
                if callee != cid and callee not in seen:
                    seen.append(callee)
                    nxt.append(callee)
        frontier = nxt
    hosts: list[str] = []
    for node in seen:
        for h in ctx.states[node].candidate.hosts:
            found = ctx.index.resolve(h)
            if found is not None and found.entity_id not in seen and found.entity_id not in hosts:
                hosts.append(found.entity_id)
    own_hosts = {h.lower() for h in ctx.states[cid].candidate.hosts}
    return seen + [h for h in hosts if h.lower() not in own_hosts]


def _downstream_explanation(ctx: _Ctx) -> None:
    """Classic RCA on the call graph: an anomaly a downstream anomaly explains is a symptom.

    A caller of a misbehaving service shows slower responses, more failures and more error
    logs because of it; so when anything the candidate calls (directly or further down, or
    the host such a callee runs on) is itself anomalous, the candidate's propagating symptoms
    are discounted. Evidence that the trouble starts in the candidate itself, from its own
    spans (failure origins, its own self time), is kept.
    """
    sym = {cid: st.deviation() for cid, st in ctx.states.items()}
    below = {
        cid: [d for d in _downstream(ctx, cid) if sym.get(d, 0.0) >= ANOMALY_THRESHOLD] for cid in ctx.states
    }
    credit: dict[str, tuple[float, list[str]]] = {}
    for cid, st in ctx.states.items():
        if sym[cid] < ANOMALY_THRESHOLD:
            continue
        culprits = below[cid]
        if not culprits:
            continue
        deepest = [d for d in culprits if not below[d]] or culprits[:1]
        for d in deepest:
            strength, explained = credit.get(d, (0.0, []))
            credit[d] = (max(strength, sym[cid]), [*explained, cid])
        keep: set[str] = set()
        if "origin" in st.signals and not st.client_origin:
            keep |= {"failure_rate", "logs"}
        if st.traces is not None and st.traces.incident.self_p90_ms is not None:
            keep.add("latency")  # already judged on its own (self) time
        first = culprits[0]
        st.explain(
            [k for k in _PROPAGATING if k not in keep],
            0.5,
            first,
            "it calls "
            + ", ".join(ctx.states[d].candidate.label for d in culprits[:2])
            + ", which is anomalous too: its own symptoms are likely propagated",
        )
    for d, (strength, explained) in sorted(credit.items()):
        ctx.states[d].add(
            "propagation",
            strength,
            "its anomaly explains those of the services that depend on it: "
            + ", ".join(ctx.states[e].candidate.label for e in explained[:3]),
        )


def _traffic_signals(ctx: _Ctx) -> None:
    """Traffic: a jump at an entry point explains load-induced trouble downstream.

    An entry point (nobody upstream has more traffic) whose request rate jumped explains the
    symptoms of every service below it whose own request rate jumped too: they are
    overloaded, not broken. Their hosts' CPU rise is load as well.
    """
    states = ctx.states
    callers = ctx.callers
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
    for cid, st in states.items():
        thr = st.signals.get("throughput", 0.0)
        if thr < 0.5 or any(states[c].signals.get("throughput", 0.0) > 0 for c in callers[cid]):
            continue
        loaded = [d for d in _downstream(ctx, cid) if d in ctx.callees and "throughput" in states[d].signals]
        strength = 0.0
        for d in loaded:
            other = states[d]
            strength = max(strength, other.deviation())
            other.explain(
                ("origin", "failure_rate", "failure_metric", "latency", "logs", "resource"),
                0.5,
                cid,
                f"its trouble coincides with a traffic surge from {st.candidate.label}: "
                "overload, not a fault",
            )
            for h in other.candidate.hosts:
                host = ctx.index.resolve(h)
                if host is not None and "resource" in states[host.entity_id].signals:
                    states[host.entity_id].explain(
                        ("resource",),
                        0.5,
                        cid,
                        f"its load comes from the traffic surge on {st.candidate.label}",
                    )
        st.hints["traffic"] = st.hints.get("traffic", 0.0) + 2.0
        if strength > 0:
            st.add(
                "load",
                min(thr, strength),
                "the services it calls are overloaded by its extra traffic: "
                + ", ".join(states[d].candidate.label for d in loaded[:3]),
            )


def _davis_changes(evidence: Evidence) -> list[ChangeEvent]:
    """Change events Davis cites in its evidence (deployments, configuration changes).

    Tenants without Grail events still show them here; merged with the changes read from
    Grail (by event id) so each is counted once.
    """
    known = {c.event_id for c in evidence.changes}
    start = evidence.problem.start
    out: list[ChangeEvent] = []
    for ev in evidence.problem.davis_evidence:
        if not ev.event_type or not _CHANGE_EVENT_TYPES.search(ev.event_type) or ev.entity_id is None:
            continue
        event_id = ev.event_id or f"{ev.event_type}@{ev.start.isoformat() if ev.start else '?'}"
        if event_id in known:
            continue
        known.add(event_id)
        kind: ChangeKind = (
            "deployment" if re.search(r"DEPLOY|RELEASE|ROLLOUT", ev.event_type, re.I) else "configuration"
        )
        minutes = (ev.start - start).total_seconds() / 60.0 if ev.start and start else None
        out.append(
            ChangeEvent(
                event_id=event_id,
                event_type=ev.event_type,
                name=ev.display_name,
                kind=kind,
                entity_ids=[ev.entity_id],
                timestamp=ev.start,
                minutes_from_start=round(minutes, 2) if minutes is not None else None,
                details=dict(ev.properties),
                source=evidence.problem.source,
            )
        )
    return out


def _change_signals(ctx: _Ctx) -> None:
    """Changes: a change counts in proportion to how much of the entity's own trouble it can explain."""
    states = ctx.states
    for st in states.values():
        c = st.candidate
        own_ids = {c.entity_id.lower(), *(p.lower() for p in c.process_groups)}
        dev = _combine({k: v for k, v in st.signals.items() if k in _CHANGE_EXPLAINS})
        explained = 0.35 if (st.explained_by or st.late) else 1.0
        best = 0.0
        for ch in ctx.changes:
            if not own_ids.intersection(e.lower() for e in ch.entity_ids):
                continue
            m = ch.minutes_from_start
            if m is None or m < -180 or m > 15:
                continue
            closeness = 1.0 if -30 <= m <= 2 else (0.5 if m > 2 else _clamp(1.0 + (m + 30) / 150 * 0.7, 0.3))
            kind_factor = 1.0 if ch.kind in {"deployment", "configuration"} else 0.5
            strength = closeness * kind_factor * (0.25 + 0.75 * _clamp(dev / 0.4)) * explained
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
        elif st.best_change is not None and st.explained_by:
            st.counter.append(
                "changed before the problem, but its trouble is explained by "
                + ctx.states[st.explained_by[0]].candidate.label
            )


def _davis_signals(ctx: _Ctx) -> None:
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


def _augment(evidence: Evidence, candidates: list[Candidate], index: _Index) -> None:
    """Entities seen only in spans, logs or metric dimensions become candidates too.

    Topology may be partial (a converted or recorded tenant, an entity outside the expanded
    neighbourhood); an anomalous service that only shows up in the data must still be rankable.
    """

    def add(key: str, name: str | None, calls: list[str]) -> None:
        if key.lower() in {"unknown", ""} or index.resolve(key) is not None or (name and index.resolve(name)):
            return
        etype = key.rsplit("-", 1)[0].upper() if re.match(r"^[A-Z_]+-[0-9A-F]{16}$", key) else None
        c = Candidate(
            entity_id=key, name=name, type=etype or "SERVICE", relations=["other"], hop=2, calls=calls
        )
        candidates.append(c)
        index.add(c)

    for t in evidence.traces:
        add(t.service, t.name, list(t.callees))
    for lg in evidence.logs:
        if lg.incident_errors > 0:
            add(lg.entity, lg.name, [])
    for m in evidence.metrics:
        if m.entity_id and _metric_strength_any(m) > 0 and _metric_owner(index, m) is None:
            names = [m.dimensions[d] for d in _NAME_DIMS if m.dimensions.get(d)]
            add(m.entity_id, names[0] if names else None, [])


@dataclass
class _Ctx:
    """Everything the signal passes share."""

    evidence: Evidence
    index: _Index
    states: dict[str, _State]
    scale: float
    changes: list[ChangeEvent] = field(default_factory=list)
    callees: dict[str, set[str]] = field(default_factory=dict)
    callers: dict[str, set[str]] = field(default_factory=dict)
    total_excess: float = 0.0
    any_origins: bool = False
    blind: bool = False  # no traces, logs or metrics at all: only the problem record and entities
    own_resource: dict[str, float] = field(default_factory=dict)
    starved: dict[str, float] = field(default_factory=dict)
    net_metric: dict[str, float] = field(default_factory=dict)
    resource_seen: set[str] = field(default_factory=set)  # candidates with resource metrics


def rank_root_causes(evidence: Evidence) -> Analysis:
    """Rank the evidence's candidates; pure and deterministic (ties break on entity id)."""
    candidates = list(evidence.candidates)
    known = {c.entity_id for c in candidates}
    hint = evidence.problem.root_cause_hint
    if hint is not None and hint.id not in known:
        candidates.append(
            Candidate(entity_id=hint.id, name=hint.name, type=hint.type, relations=["davis_root"])
        )
    index = _Index(candidates)
    _augment(evidence, candidates, index)
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
        index=index,
        states={c.entity_id: _State(candidate=c) for c in candidates},
        scale=scale,
        changes=[*evidence.changes, *_davis_changes(evidence)],
        total_excess=sum(_excess_origins(t, scale) for t in evidence.traces),
        any_origins=sum(t.incident.failure_origins for t in evidence.traces) > 0,
        blind=not (evidence.traces or evidence.logs or evidence.metrics),
    )
    for signal_pass in (
        _attach,
        _trace_signals,
        _dependency_signals,
        _log_signals,
        _blame_named_callee,
        _metric_signals,
        _davis_evidence_signals,
        _network_localisation,
        _host_signals,
        _late_onset,
        _downstream_explanation,
        _traffic_signals,
        _change_signals,
        _davis_signals,
    ):
        signal_pass(ctx)
    return _conclude(evidence, ctx)


_KIND_CATEGORY: dict[str, str] = {
    "disk": "resource",
    "memory": "resource",
    "cpu": "resource",
    "saturation": "resource",
    "network": "network",
    "availability": "infrastructure",
    "latency": "code",
    "failure": "code",
    "throughput": "traffic",
}


def _category(st: _State, *, blind: bool = False) -> Category:
    c = st.candidate
    sig = st.signals
    if st.deviation() < (0.05 if blind else FALSE_ALARM_THRESHOLD):
        return "none"
    if (
        st.best_change is not None
        and sig.get("change", 0.0) >= CHANGE_TRIGGER_THRESHOLD
        and st.best_change.kind in {"deployment", "configuration"}
    ):
        return "deployment" if st.best_change.kind == "deployment" else "configuration"
    davis_votes: dict[str, float] = {}
    for kind, strength in st.davis_kinds.items():
        cat = _KIND_CATEGORY.get(kind)
        if cat is not None:
            davis_votes[cat] = max(davis_votes.get(cat, 0.0), 0.3 * strength * (1.0 if blind else 0.3))
    votes: dict[str, float] = {
        "dependency": WEIGHTS["dependency"] * sig.get("dependency", 0.0)
        + (WEIGHTS["origin"] * sig.get("origin", 0.0) if st.client_origin else 0.0)
        + 0.2 * st.hints.get("dependency", 0.0),
        "network": WEIGHTS["network"] * sig.get("network", 0.0)
        + WEIGHTS["path"] * sig.get("path", 0.0)
        + 0.2 * st.hints.get("network", 0.0),
        "resource": WEIGHTS["resource"] * sig.get("resource", 0.0)
        + WEIGHTS["neighbour"] * sig.get("neighbour", 0.0)
        + 0.2 * st.hints.get("resource", 0.0),
        "traffic": WEIGHTS["throughput"] * sig.get("throughput", 0.0)
        + WEIGHTS["load"] * sig.get("load", 0.0)
        + 0.2 * st.hints.get("traffic", 0.0),
        "configuration": 0.2 * st.hints.get("configuration", 0.0),
        "code": (0.0 if st.client_origin else WEIGHTS["origin"] * sig.get("origin", 0.0))
        + WEIGHTS["failure_rate"] * sig.get("failure_rate", 0.0) * 0.5
        + WEIGHTS["latency"] * sig.get("latency", 0.0) * 0.5
        + WEIGHTS["failure_metric"] * sig.get("failure_metric", 0.0) * 0.5
        + 0.2 * st.hints.get("code", 0.0),
        "infrastructure": 0.0,
    }
    for cat, vote in davis_votes.items():
        votes[cat] = votes.get(cat, 0.0) + vote
    winner = max(sorted(votes), key=lambda k: votes[k])
    if (c.is_database or c.is_external) and winner in {"code", "dependency", "configuration"}:
        return "dependency"
    if (c.type or "").upper() in _INFRA_TYPES:
        if winner in {"code", "dependency", "configuration"}:
            return "infrastructure"
        if winner == "resource" and st.davis_kinds.get("disk", 0.0) > 0 and "neighbour" not in sig:
            return "infrastructure"  # a full disk is the host's own failure, not contention
    return winner  # type: ignore[return-value]


def _problem_category(evidence: Evidence) -> Category:
    """A category from the problem alone, for when nothing could be measured."""
    kinds = [_davis_kind(ev) for ev in evidence.problem.davis_evidence if ev.root_cause_relevant]
    kinds.append(_davis_kind(DavisEvidence(display_name=evidence.problem.title)))
    for kind in kinds:
        cat = _KIND_CATEGORY.get(kind)
        if cat is not None:
            return cat  # type: ignore[return-value]
    return "code"


def _conclude(evidence: Evidence, ctx: _Ctx) -> Analysis:
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
                category=_category(st, blind=ctx.blind),
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


def _conclude_blind(evidence: Evidence, ctx: _Ctx, ranked: list[RankedCandidate]) -> Analysis:
    """No traces, logs or metrics: never a confident verdict, and never a false alarm.

    The ranking rests on Davis's evidence details, its change events and the topology, so
    the confidence stays low and the category comes from what is known (the top candidate's
    Davis evidence and changes, else the problem's own title).
    """
    top = ranked[0]
    top_state = ctx.states[top.entity_id]
    trigger = (
        top_state.best_change if top_state.signals.get("change", 0.0) >= CHANGE_TRIGGER_THRESHOLD else None
    )
    category = top.category if top.category != "none" else _problem_category(evidence)
    confidence = round(_clamp(top.score * 0.4, 0.05, BLIND_MAX_CONFIDENCE), 3)
    summary = (
        "No traces, logs or metrics could be read, so deviations could not be measured; the ranking "
        "rests on the problem's evidence, its entities and changes. "
        f"Most likely: {top.name or top.entity_id} ({category})"
    )
    if trigger is not None:
        summary += f", after {trigger.kind} “{trigger.name or trigger.event_type}”"
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
