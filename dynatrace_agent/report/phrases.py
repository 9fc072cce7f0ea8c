"""Plain-language phrases shared by the template narrative and the Markdown rendering.

Both say the impact the same way, so a reader of the narrative and of the Impact section
sees the same figures in the same words.
"""

from __future__ import annotations

from dynatrace_agent.models.evidence import Impact

__all__ = ["impact_line"]


def impact_line(impact: Impact) -> str:
    """The impact in one line: affected users, then the other figures known."""
    bits: list[str] = []
    if impact.affected_users is not None:
        bits.append(f"{impact.affected_users} users")
    elif impact.estimated_affected_users is not None:
        bits.append(f"~{impact.estimated_affected_users} users (Davis estimate)")
    if impact.sessions is not None:
        bits.append(f"{impact.sessions} sessions")
    if impact.error_sessions:
        bits.append(f"{impact.error_sessions} with errors")
    if impact.frustrated_sessions:
        bits.append(f"{impact.frustrated_sessions} frustrated")
    for b in impact.bizevents:
        if b.relative_change is not None and abs(b.relative_change) >= 0.2:
            bits.append(f"{b.event_type} {b.relative_change:+.0%} vs baseline")
    if impact.slos_at_risk:
        bits.append("SLOs at risk: " + ", ".join(s.name for s in impact.slos_at_risk))
    return ", ".join(bits)
