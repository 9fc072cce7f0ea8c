"""The category of a candidate's trouble, voted from its signals, hints and Davis's kinds."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import (
    Category,
    DavisEvidence,
    Evidence,
)
from dynatrace_agent.analysis.ranking.context import CandidateState
from dynatrace_agent.analysis.ranking.davis import davis_kind
from dynatrace_agent.analysis.ranking.scoring import CHANGE_TRIGGER_THRESHOLD, FALSE_ALARM_THRESHOLD, WEIGHTS

_INFRA_TYPES = {"HOST", "KUBERNETES_NODE", "KUBERNETES_CLUSTER", "HYPERVISOR", "CLOUD_APPLICATION"}


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


def candidate_category(st: CandidateState, *, blind: bool = False) -> Category:
    """The root-cause category a candidate's signals point to (``none`` when it barely deviates)."""
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
    if winner == "code":
        winner = _refine_code(st, votes)
    elif winner == "dependency" and _healthy_plain_service(st):
        # Failing calls to a service that answers without failing, slowing or starving in its
        # own data: its callers reject what it returns — a defect in it, not a failing dependency.
        winner = "code"
    if (c.is_database or c.is_external) and winner in {"code", "dependency", "configuration"}:
        return "dependency"
    if (c.type or "").upper() in _INFRA_TYPES:
        if winner in {"code", "dependency", "configuration"}:
            return "infrastructure"
        if winner == "resource" and st.davis_kinds.get("disk", 0.0) > 0 and "neighbour" not in sig:
            return "infrastructure"  # a full disk is the host's own failure, not contention
    return winner  # type: ignore[return-value]


#: Names of data stores (a service entity may stand for a table, a cache or a managed database).
_DATA_STORE = re.compile(
    r"(?<![a-z0-9])(?:ddb|dynamo(?:db)?|table|db|rds|aurora|mysql|postgres(?:ql)?|mongo(?:db)?|redis|"
    r"memcached|cassandra|elasticache|sql|database)(?![a-z])",
    re.I,
)


#: A candidate's own signs of trouble: with none of them, the blame it got is for its answers.
_OWN_TROUBLE = ("failure_rate", "failure_metric", "latency", "resource", "neighbour", "network", "path")


def _healthy_plain_service(st: CandidateState) -> bool:
    """An instrumented service (not a data store or external system) with no trouble of its own."""
    c = st.candidate
    if c.is_database or c.is_external or st.client_origin or _DATA_STORE.search(c.name or ""):
        return False
    if (c.type or "SERVICE").upper() != "SERVICE":
        return False
    return not any(st.signals.get(k, 0.0) > 0.0 for k in _OWN_TROUBLE)


def _refine_code(st: CandidateState, votes: dict[str, float]) -> str:
    """ "code" only when failures originate in the entity without resource or network signs.

    * a strong own resource signal (CPU, memory, throttling, restarts) outweighs the failures it
      causes (an out-of-memory crash fails requests too);
    * a slow data store with its own latency (and failures) and no code hint is saturated or
      throttled: resource;
    * a latency-only deviation (no failure signal): CPU or throttling rising with it is
      resource, otherwise the time is spent waiting — network.
    A wrong answer named by a caller (the ``code`` hint) stays code.
    """
    sig = st.signals
    if st.hints.get("code", 0.0) > 0.0:
        return "code"
    if sig.get("resource", 0.0) >= 0.5:
        return "resource"
    failing = max(
        0.0 if st.client_origin else sig.get("origin", 0.0),
        sig.get("failure_rate", 0.0),
        sig.get("failure_metric", 0.0),
    )
    slow = sig.get("latency", 0.0)
    c = st.candidate
    if slow >= 0.5 and (c.is_database or _DATA_STORE.search(c.name or "")) and not c.is_external:
        return "resource"
    if slow >= 0.5 and failing < 0.3 and sig.get("logs", 0.0) < 0.3:
        return "resource" if votes.get("resource", 0.0) > 0.05 else "network"
    return "code"


def problem_category(evidence: Evidence) -> Category:
    """A category from the problem alone, for when nothing could be measured."""
    kinds = [davis_kind(ev) for ev in evidence.problem.davis_evidence if ev.root_cause_relevant]
    kinds.append(davis_kind(DavisEvidence(display_name=evidence.problem.title)))
    for kind in kinds:
        cat = _KIND_CATEGORY.get(kind)
        if cat is not None:
            return cat  # type: ignore[return-value]
    return "code"
