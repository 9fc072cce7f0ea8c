"""Which metric keys to ask for, split by which dimensions: planned from the tenant's key listing.

Fixed key lists miss whatever a tenant calls its metrics (``dt.service.response.time`` next
to ``dt.service.request.response_time``, custom or converted keys) and whatever dimensions its
series carry (per-pod series keyed by ``k8s.pod.name`` alone). So the metrics branch first
lists the keys (DQL ``metrics``), keeps the ones whose kind matters for a root cause
(:func:`~dynatrace_agent.analysis.evidence.metric_kind`), and groups them into few
``timeseries`` queries that split by the identifying dimensions the keys really have.
Everything here is pure planning; the branch runs the plans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dynatrace_agent.analysis.evidence import NAME_DIMENSIONS, metric_kind
from dynatrace_agent.analysis.ranking.strength import INVERSE_METRIC, RESTART_METRIC
from dynatrace_agent.capabilities.metrics import grail_metric_key
from dynatrace_agent.dql import DQLValueError

__all__ = [
    "INFRA_TYPES",
    "MAX_KEYS",
    "MAX_QUERIES",
    "KeyInfo",
    "QueryPlan",
    "listing_query",
    "parse_listing",
    "plan_queries",
    "select_keys",
    "split_usable",
]

#: At most this many keys are asked for, most telling kinds first.
MAX_KEYS = 40
#: At most this many ``timeseries`` queries come out of one plan.
MAX_QUERIES = 10
#: Keys per ``timeseries`` query (the metrics capability takes at most five).
KEYS_PER_QUERY = 5
_MAX_IDS = 50
#: Kinds in the order they are kept when the listing holds more than ``MAX_KEYS`` of them.
_KIND_PRIORITY = (
    "latency",
    "failure",
    "availability",
    "throughput",
    "cpu",
    "memory",
    "restarts",
    "network",
    "disk",
    "saturation",
)
#: Name dimensions worth splitting by (an entity id may be missing: converted or OTel series).
SPLIT_NAMES = (*NAME_DIMENSIONS, "host.name")
#: Entity types whose metrics are infrastructure (hosts, processes, clusters).
INFRA_TYPES = frozenset(
    {
        "HOST",
        "PROCESS_GROUP",
        "PROCESS_GROUP_INSTANCE",
        "KUBERNETES_CLUSTER",
        "KUBERNETES_NODE",
        "CLOUD_APPLICATION_NAMESPACE",
    }
)
_ENTITY_ID = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9A-F]{1,16}$")
#: Guessed entity dimension by key prefix, for listings that do not name dimensions.
_PREFIX_DIMENSION = (
    ("dt.host.", "dt.entity.host"),
    ("dt.process.", "dt.entity.process_group"),
)
_K8S_PREFIXES = ("dt.kubernetes.", "k8s.", "container.")


@dataclass(frozen=True)
class KeyInfo:
    """One listed metric key; ``dimensions`` is None when the listing does not say."""

    key: str
    unit: str | None = None
    dimensions: tuple[str, ...] | None = None

    @property
    def kind(self) -> str:
        """The key's kind; availability-like and restart keys are kinds of their own here."""
        if INVERSE_METRIC.search(self.key):
            return "availability"
        if RESTART_METRIC.search(self.key):
            return "restarts"
        return metric_kind(self.key)


@dataclass(frozen=True)
class QueryPlan:
    """One ``timeseries`` query: keys, split dimensions and candidate ids to filter by.

    ``named_only`` drops series that carry none of the split's name dimensions (a by-name split
    of series that have no such name has no owner).
    """

    label: str
    keys: tuple[str, ...]
    by: tuple[str, ...]
    entity_ids: tuple[str, ...] = ()
    named_only: bool = False


def listing_query(start: str, end: str) -> str:
    """The DQL that lists the metric keys with data in ``[start, end)`` (ISO timestamps)."""
    return f'metrics from: "{start}", to: "{end}"'


def parse_listing(records: Iterable[Mapping[str, Any]]) -> list[KeyInfo]:
    """Key infos from ``metrics`` records (``metric.key``, optional ``unit`` and ``dimensions``)."""
    seen: dict[str, KeyInfo] = {}
    for record in records:
        key = record.get("metric.key")
        if not isinstance(key, str) or not key.strip() or key in seen:
            continue
        unit = record.get("unit")
        dims = record.get("dimensions")
        seen[key] = KeyInfo(
            key=key.strip(),
            unit=unit if isinstance(unit, str) and unit else None,
            dimensions=tuple(str(d) for d in dims) if isinstance(dims, list) else None,
        )
    return list(seen.values())


def split_usable(infos: Sequence[KeyInfo]) -> tuple[list[KeyInfo], list[str]]:
    """The listed keys a query can name, and the ones it cannot (to report, not to ask for).

    One unusable key (a classic selector, a name with spaces or quotes) must not take the
    whole query group down with it, so keys are checked one by one before planning.
    """
    usable: list[KeyInfo] = []
    rejected: list[str] = []
    for info in infos:
        try:
            grail_metric_key(info.key)
        except DQLValueError:
            rejected.append(info.key)
        else:
            usable.append(info)
    return usable, rejected


def select_keys(infos: Sequence[KeyInfo], limit: int = MAX_KEYS) -> list[KeyInfo]:
    """The keys worth asking for: a known kind, most telling kinds first, at most ``limit``."""
    ranked = [i for i in infos if i.kind in _KIND_PRIORITY]
    ranked.sort(key=lambda i: (_KIND_PRIORITY.index(i.kind), i.key))
    return ranked[:limit]


def _candidate_ids(candidates: Sequence[Mapping[str, Any]], fields: set[str] | None) -> tuple[str, ...]:
    """Ids of candidates whose ``dt.entity.<type>`` field is in ``fields`` (None: every non-infra one)."""
    ids = []
    for c in candidates:
        cid = str(c.get("entity_id") or "")
        if not _ENTITY_ID.match(cid):
            continue
        if fields is None:
            if (c.get("type") or "").upper() in INFRA_TYPES:
                continue
        elif "dt.entity." + cid.rsplit("-", 1)[0].lower() not in fields:
            if "dt.entity.service" in fields and (c.get("type") or _type_of(cid)) not in INFRA_TYPES:
                # A request-serving candidate of another type (a custom device, a function)
                # may be filed under this dimension anyway (``dt.entity.service`` holding a
                # CUSTOM_DEVICE id): a filter by field would drop its series, so ask for all.
                return ()
            continue
        ids.append(cid)
    return tuple(ids[:_MAX_IDS])


def _type_of(entity_id: str) -> str:
    return entity_id.rsplit("-", 1)[0].upper()


def _splits(info: KeyInfo) -> list[tuple[str, tuple[str, ...], bool]]:
    """(group, split dimensions, filter by candidates) for one key.

    Known dimensions: split by every entity and name dimension the key has. Unknown ones: the
    entity dimension its prefix implies, Kubernetes names for container keys, and for request
    keys both the candidates' ids and their names.
    """
    if info.dimensions is not None:
        entity = tuple(sorted(d for d in info.dimensions if d.startswith("dt.entity.")))
        names = tuple(d for d in SPLIT_NAMES if d in info.dimensions)
        if not entity and not names:
            return [("metrics", (), False)]
        return [("metrics by " + ", ".join(entity + names), entity + names, bool(entity))]
    for prefix, dim in _PREFIX_DIMENSION:
        if info.key.startswith(prefix):
            return [(f"metrics by {dim}", (dim,), True)]
    if info.key.startswith(_K8S_PREFIXES):
        return [("container metrics by workload", ("k8s.workload.name", "k8s.pod.name"), False)]
    return [
        ("request metrics", (), True),
        ("request metrics by name", ("service.name", "k8s.workload.name", "k8s.pod.name"), False),
    ]


def plan_queries(
    infos: Sequence[KeyInfo], candidates: Sequence[Mapping[str, Any]], max_queries: int = MAX_QUERIES
) -> list[QueryPlan]:
    """Group the keys by how they split into at most ``max_queries`` queries of ≤ 5 keys each.

    A split on entity dimensions is filtered to the candidates of those types when there are
    any (a tenant has many more services than an incident touches); a split on names only is
    not filtered, since names cannot be matched in the query.
    """
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...], bool], list[str]] = {}
    for info in infos:
        for label, by, filtered in _splits(info):
            ids: tuple[str, ...] = ()
            if filtered:
                fields = {d for d in by if d.startswith("dt.entity.")} or None
                ids = _candidate_ids(candidates, fields)
                if not ids and not by:
                    continue  # no candidate to ask about and nothing to split by
            named_only = bool(by) and not any(d.startswith("dt.entity.") for d in by)
            groups.setdefault((label, by, ids, named_only), []).append(info.key)
    plans = []
    for (label, by, ids, named_only), keys in groups.items():
        for i in range(0, len(keys), KEYS_PER_QUERY):
            plans.append(QueryPlan(label, tuple(keys[i : i + KEYS_PER_QUERY]), by, ids, named_only))
    return plans[:max_queries]
