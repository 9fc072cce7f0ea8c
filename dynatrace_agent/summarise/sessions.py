"""RUM user sessions → affected users and sessions, frustration, top errors, example users.

Two field vocabularies exist: the new RUM model (``dt.rum.session.id``, ``error.count``, …)
and classic USQL (``userSessionId``, ``userExperienceScore``, ``totalErrorCount``). The
accessors here read either, so the summary works on both.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from dynatrace_agent.summarise._common import Record, counts_line, fmt_pct, fmt_time, shorten, text_of
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    table_section,
    top_n,
)
from dynatrace_agent.values import as_int

__all__ = [
    "session_application",
    "session_errors",
    "session_frustrated",
    "session_id",
    "session_user",
    "summarise_sessions",
]

_ERROR_TEXT_FIELDS = (
    "error.message",
    "error.type",
    "error.name",
    "errorMessage",
    "errorName",
    "crash.message",
)


def session_id(record: Record) -> str | None:
    """Session id in either model."""
    return text_of(record, "dt.rum.session.id", "userSessionId", "session.id")


def session_user(record: Record) -> str | None:
    """The user: ``userId``/``user.id`` (tagged user) or the internal/anonymous id."""
    return text_of(record, "userId", "user.id", "user.name", "usr.id", "internalUserId", "dt.rum.instance.id")


def session_frustrated(record: Record) -> bool:
    """``userExperienceScore`` (or its new-RUM spelling) is FRUSTRATED."""
    score = text_of(record, "userExperienceScore", "user_experience_score", "dt.rum.user_experience_score")
    return bool(score) and score.upper() == "FRUSTRATED"  # type: ignore[union-attr]


def session_errors(record: Record) -> int:
    """Errors seen in the session (``error.count`` or ``totalErrorCount``; ``hasError`` as 1)."""
    for key in ("error.count", "totalErrorCount", "error_count", "errors.count"):
        count = as_int(record.get(key))
        if count is not None:
            return max(0, count)
    has_error = record.get("hasError")
    return 1 if has_error is True or str(has_error).lower() == "true" else 0


def session_application(record: Record) -> str:
    """Application name and/or entity id."""
    entity = text_of(record, "dt.entity.application", "dt.rum.application.id")
    name = text_of(record, "application.name", "applicationName", "dt.entity.application.name")
    if entity and name:
        return f"{name} ({entity})"
    return entity or name or "?"


@dataclass
class _User:
    sessions: int = 0
    frustrated: int = 0
    errors: int = 0
    apps: Counter[str] = field(default_factory=Counter)
    last: object = None


def summarise_sessions(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    grail: GrailFacts | None = None,
    narrow: str | None = "application, frustrated_only, with_errors or a shorter timeframe",
) -> str:
    """Users and sessions affected, frustration, errors, and the users most affected."""
    if not records:
        return fit_sections(
            "No user sessions matched. Widen the timeframe, drop frustrated_only/with_errors, "
            "or check the application id.",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    users: dict[str, _User] = defaultdict(_User)
    apps: Counter[str] = Counter()
    error_texts: Counter[str] = Counter()
    sessions: set[str] = set()
    frustrated = with_errors = 0
    for r in records:
        sid = session_id(r)
        if sid:
            sessions.add(sid)
        user = session_user(r) or "(anonymous)"
        entry = users[user]
        entry.sessions += 1
        is_frustrated = session_frustrated(r)
        errors = session_errors(r)
        entry.frustrated += is_frustrated
        entry.errors += errors
        app = session_application(r)
        entry.apps[app] += 1
        entry.last = r.get("start_time") or r.get("startTime") or entry.last
        apps[app] += 1
        frustrated += is_frustrated
        with_errors += errors > 0
        for key in _ERROR_TEXT_FIELDS:
            value = text_of(r, key)
            if value:
                error_texts[shorten(value, 120)] += 1
                break
    count = len(sessions) or len(records)
    headline = (
        f"{count:,} sessions by {len(users):,} users; "
        f"frustrated {frustrated:,} ({fmt_pct(frustrated, len(records))}); "
        f"with errors {with_errors:,} ({fmt_pct(with_errors, len(records))}); "
        f"applications: {counts_line(apps, 4)}"
    )
    affected = sorted(
        users.items(), key=lambda kv: (-kv[1].frustrated, -kv[1].errors, -kv[1].sessions, kv[0])
    )
    rows = [
        [
            user,
            u.sessions,
            u.frustrated,
            u.errors,
            u.apps.most_common(1)[0][0],
            fmt_time(u.last) if u.last else "?",
        ]
        for user, u in affected[: top_n(budget, per_item=150)]
    ]
    sections: list[Section] = [
        table_section(
            "Most affected users:",
            ["user", "sessions", "frustrated", "errors", "application", "last session"],
            rows,
            noun="users",
            total=len(users),
        )
    ]
    if error_texts:
        sections.append(
            Section(
                "Top errors:",
                [f"- {n:,}× {text}" for text, n in error_texts.most_common(max(3, top_n(budget) // 2))],
                noun="error messages",
                total=len(error_texts),
            )
        )
    return fit_sections(
        headline, sections, budget=budget, facts=grail_facts_line(grail, returned=len(records)), narrow=narrow
    )
