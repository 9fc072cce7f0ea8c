"""Entities deployed to or reconfigured shortly before the start: candidates whatever the topology says.

The root of a problem may sit further from the alerted component than the call graph is
explored (behind a proxy, a Lambda wrapper, a load balancer, several hops down). A change
on it just before the start is the strongest lead, and judging it needs the entity's own
metrics and logs: so the entities that changed are handed to the metrics and routine-lines
branches next to the topology's candidates.
"""

from __future__ import annotations

import re
from typing import Any

from dynatrace_agent.analysis import ProblemInfo
from dynatrace_agent.analysis.signals import change_events

__all__ = ["TRIGGER_WINDOW", "changed_candidates"]

#: Minutes around the start (before, after) in which a change can have triggered the problem.
TRIGGER_WINDOW = (-30.0, 2.0)
_MADE = ("deployment", "configuration")
_MAX = 20
_TYPE = re.compile(r"^([A-Z][A-Z0-9_]*)-[0-9A-F]{16}$")


def changed_candidates(
    raw_events: list[dict[str, Any]], problem: ProblemInfo, known: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Candidate records (id and type) for entities changed in the trigger window and not known yet.

    ``raw_events`` are the window's change event records (``nodes.change_query``).
    """
    seen = {c["entity_id"] for c in known}
    out: list[dict[str, Any]] = []
    for ch in change_events(raw_events, (), problem.start):
        m = ch.minutes_from_start
        if ch.kind not in _MADE or m is None or not TRIGGER_WINDOW[0] <= m <= TRIGGER_WINDOW[1]:
            continue
        for entity in ch.entity_ids:
            match = _TYPE.match(entity)
            if match and entity not in seen and len(out) < _MAX:
                seen.add(entity)
                out.append({"entity_id": entity, "type": match.group(1), "relations": ["changed"]})
    return out
