"""Log signals: error-rate jumps, new error patterns, and hints at a category from their text."""

from __future__ import annotations

import re

from dynatrace_agent.analysis.evidence import (
    EvidenceItem,
    LogStats,
)
from dynatrace_agent.analysis.ranking.context import RankContext
from dynatrace_agent.analysis.ranking.scoring import clamp, ratio_strength

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


def log_signals(ctx: RankContext) -> None:
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
            strength = ratio_strength(b_rate + 1.0 / b_min, i_rate, min_abs=0.0, span=4.0)
        new_errors = [p for p in lg.new_patterns if p.incident_count >= 2]
        strength = clamp(strength + 0.2 * min(len(new_errors), 2))
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
                st.hint(kind, share * strength)
                if st.relays_to is not None:  # the dependency's symptoms, logged by its caller
                    dep = states[st.relays_to]
                    dep.hint(kind, share * strength)
