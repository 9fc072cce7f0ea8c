"""Working state shared by the signal passes: per-candidate state, lookup index, context.

The passes run in a fixed order and each reads what earlier ones found (a dependency pass
needs the trace pass's failure origins, propagation needs every deviation), so they share
one mutable context instead of passing partial results around."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dynatrace_agent.analysis.evidence import (
    NAME_DIMENSIONS,
    Candidate,
    ChangeEvent,
    Evidence,
    EvidenceItem,
    LogStats,
    MetricDeviation,
    TraceStats,
)
from dynatrace_agent.analysis.ranking.scoring import DEVIATION_SIGNALS, clamp, combine


@dataclass
class CandidateState:
    """Working state of one candidate while signals are computed."""

    candidate: Candidate
    signals: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    counter: list[str] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    hints: dict[str, float] = field(default_factory=dict)
    client_origin: bool = False
    relays_to: str | None = None  # a dependency its failures were moved to
    suspect_of: str | None = None  # a caller whose failures follow this candidate's successful answers
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
        """Record a signal at its strongest strength so far (0..1), with the reason and evidence."""
        if strength <= 0:
            return
        self.signals[signal] = max(self.signals.get(signal, 0.0), clamp(strength))
        if reason:
            self.reasons.append(reason)
        if item is not None:
            self.evidence.append(item)

    def hint(self, category: str, amount: float) -> None:
        """Add to the evidence for a category (read by the category vote, not by the score)."""
        self.hints[category] = self.hints.get(category, 0.0) + amount

    def deviation(self) -> float:
        """How strongly the candidate itself deviates: the deviation signals combined."""
        return combine({k: v for k, v in self.signals.items() if k in DEVIATION_SIGNALS})

    def score(self) -> float:
        """The candidate's ranking score: every signal combined by its weight."""
        return combine(self.signals)


class CandidateIndex:
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
            base = workload_name(key)
            found = self.by_key.get(base) if base != key.lower() else None
        return found

    def add(self, candidate: Candidate) -> None:
        """Index a candidate by its entity id and its name (first one wins)."""
        self.by_key.setdefault(candidate.entity_id.lower(), candidate)
        if candidate.name:
            self.by_key.setdefault(candidate.name.lower(), candidate)

    def fuzzy(self, target: str) -> Candidate | None:
        """The candidate ``target`` names exactly, else one whose key contains it or is contained."""
        exact = self.resolve(target)
        if exact is not None:
            return exact
        t = target.lower()
        for key, c in self.by_key.items():
            if len(key) >= 3 and len(t) >= 3 and (key in t or t in key):
                return c
        return None


_POD_SUFFIX = re.compile(r"-[a-z0-9]{6,10}-[a-z0-9]{5}$|-\d+$")


def workload_name(name: str) -> str:
    """A pod or replica name without its generated suffix: ``cart-7d9f8c6b5-x2k4q`` → ``cart``."""
    return _POD_SUFFIX.sub("", name.lower())


def metric_owner(index: CandidateIndex, m: MetricDeviation) -> Candidate | None:
    """The candidate a series is about: its entity id, else a name dimension (service, workload, pod)."""
    found = index.resolve(m.entity_id)
    if found is not None:
        return found
    for dim in NAME_DIMENSIONS:
        found = index.resolve(m.dimensions.get(dim))
        if found is not None:
            return found
    return None


@dataclass
class RankContext:
    """Everything the signal passes share."""

    evidence: Evidence
    index: CandidateIndex
    states: dict[str, CandidateState]
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
