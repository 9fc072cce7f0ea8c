"""Alert groups: problems that share impacted entities (or tags) within a time window.

One failing database often opens several Davis problems at once (a slow service, failing
requests on its callers, an unavailable host). Showing them as one group points at the
common cause. Two alerts are linked when they first appeared within ``window_s`` of each
other and share an impacted entity (by id, or by name when no id is known) or, with
``by_tags``, a tag; groups are the connected components of that relation. The computation
is pure and deterministic, so every instance shows the same groups for the same alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dynatrace_agent.webhook.store import Alert

__all__ = ["AlertGroup", "GroupingPolicy", "group_alerts"]


@dataclass(frozen=True)
class GroupingPolicy:
    """What links two alerts; ``tag_keys`` limits tag matching to those keys (None: all)."""

    window_s: float = 1800.0
    by_entities: bool = True
    by_tags: bool = True
    tag_keys: tuple[str, ...] | None = None


@dataclass
class AlertGroup:
    """Alerts linked by shared entities or tags; ``shared`` names what links them."""

    id: str
    alerts: list[Alert]
    shared: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Whether any alert of the group is still open."""
        return any(a.state == "OPEN" for a in self.alerts)

    @property
    def first_seen(self) -> float:
        """When the group's earliest alert was first seen (epoch seconds)."""
        return min(a.first_seen for a in self.alerts)

    @property
    def last_seen(self) -> float:
        """When the group's latest notification arrived (epoch seconds)."""
        return max(a.last_seen for a in self.alerts)


def _keys(alert: Alert, policy: GroupingPolicy) -> set[str]:
    keys: set[str] = set()
    if policy.by_entities:
        for entity in alert.entities:
            ident = entity.get("id")
            name = entity.get("name")
            if ident:
                keys.add(f"entity:{ident}")
            elif name:
                keys.add(f"entity-name:{str(name).lower()}")
    if policy.by_tags:
        for tag in alert.tags:
            key = tag.split(":", 1)[0].strip()
            if policy.tag_keys is None or key in policy.tag_keys:
                keys.add(f"tag:{tag}")
    return keys


def _label(key: str, alerts: Sequence[Alert]) -> str:
    kind, _, value = key.partition(":")
    if kind == "entity":
        for alert in alerts:
            for entity in alert.entities:
                if entity.get("id") == value and entity.get("name"):
                    return f"{entity['name']} ({value})"
    return value


def group_alerts(alerts: Sequence[Alert], policy: GroupingPolicy | None = None) -> list[AlertGroup]:
    """Group ``alerts``; groups (and alerts within them) newest first. Singletons are groups too."""
    policy = policy or GroupingPolicy()
    ordered = sorted(alerts, key=lambda a: (a.first_seen, a.id))
    parent = list(range(len(ordered)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    keys = [_keys(a, policy) for a in ordered]
    # Sweep in time order, remembering for each key the alerts seen within the window.
    recent: dict[str, list[int]] = {}
    for i, alert in enumerate(ordered):
        for key in keys[i]:
            seen = [
                j for j in recent.get(key, []) if alert.first_seen - ordered[j].first_seen <= policy.window_s
            ]
            for j in seen:
                parent[find(i)] = find(j)
            seen.append(i)
            recent[key] = seen

    members: dict[int, list[int]] = {}
    for i in range(len(ordered)):
        members.setdefault(find(i), []).append(i)
    groups: list[AlertGroup] = []
    for indexes in members.values():
        group_alerts_ = sorted((ordered[i] for i in indexes), key=lambda a: (-a.last_seen, a.id))
        shared: list[str] = []
        if len(indexes) > 1:
            counts: dict[str, int] = {}
            for i in indexes:
                for key in keys[i]:
                    counts[key] = counts.get(key, 0) + 1
            shared = [_label(k, group_alerts_) for k, c in sorted(counts.items()) if c > 1]
        oldest = min(indexes, key=lambda i: (ordered[i].first_seen, ordered[i].id))
        groups.append(AlertGroup(id=ordered[oldest].id, alerts=group_alerts_, shared=shared))
    groups.sort(key=lambda g: (-g.last_seen, g.id))
    return groups
