"""RUM user sessions → affected users and sessions, frustration, top errors, example users.

Reads Grail's ``user.sessions`` (the new RUM model) only: ``dt.rum.session.id``,
``frontend.name`` (an array), ``dt.rum.user_tag`` / ``dt.rum.instance.id`` for the user,
``dt.rum.user_type`` (``real_user``, ``synthetic``, ``robot``) and the error counters under
``error.*``. A session record carries no error *messages* (those are on ``user.events``), so
"top errors" ranks the kinds of error the sessions counted: exceptions, HTTP 5xx and 4xx,
crashes, ANRs, CSP violations.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from dynatrace_agent.rum import (
    ERROR_KINDS,
    FRUSTRATED_ERRORS,
    session_error_kinds,
    session_errors,
    session_frustrated,
)
from dynatrace_agent.summarise._common import Record, counts_line, fmt_pct, fmt_time, text_of
from dynatrace_agent.summarise.budget import (
    DEFAULT_BUDGET,
    GrailFacts,
    Section,
    fit_sections,
    grail_facts_line,
    table_section,
    top_n,
)

__all__ = [
    "ERROR_KINDS",
    "FRUSTRATED_ERRORS",
    "session_application",
    "session_error_kinds",
    "session_errors",
    "session_frontends",
    "session_frustrated",
    "session_id",
    "session_user",
    "summarise_sessions",
]


def session_id(record: Record) -> str | None:
    """``dt.rum.session.id``."""
    return text_of(record, "dt.rum.session.id")


def session_user(record: Record) -> str | None:
    """The tagged user (``dt.rum.user_tag``), else the anonymous ``dt.rum.instance.id``."""
    return text_of(record, "dt.rum.user_tag", "dt.rum.instance.id")


def session_frontends(record: Record) -> list[str]:
    """The frontends (applications) the session touched; ``frontend.name`` is an array."""
    value = record.get("frontend.name")
    items = value if isinstance(value, list) else [value]
    names = [str(v).strip() for v in items if v is not None and str(v).strip()]
    return names or ["?"]


def session_application(record: Record) -> str:
    """The frontend(s) the session touched, comma-separated."""
    return ", ".join(session_frontends(record))


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
            "or check the application name (frontend.name).",
            [],
            budget=budget,
            facts=grail_facts_line(grail, returned=0),
        )
    users: dict[str, _User] = defaultdict(_User)
    apps: Counter[str] = Counter()
    error_kinds: Counter[str] = Counter()
    kind_sessions: Counter[str] = Counter()
    app_errors: Counter[str] = Counter()
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
        for app in session_frontends(r):
            entry.apps[app] += 1
            apps[app] += 1
            app_errors[app] += errors
        entry.last = r.get("start_time") or entry.last
        frustrated += is_frustrated
        with_errors += errors > 0
        for kind, n in session_error_kinds(r).items():
            error_kinds[kind] += n
            kind_sessions[kind] += 1
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
    if error_kinds:
        lines = [
            f"- {n:,} {kind} in {kind_sessions[kind]:,} sessions" for kind, n in error_kinds.most_common()
        ]
        failing_apps = [(a, n) for a, n in app_errors.most_common(3) if n > 0]
        if len(apps) > 1 and failing_apps:
            lines.append("- errors by application: " + ", ".join(f"{a} {n:,}" for a, n in failing_apps))
        sections.append(Section("Top errors:", lines, noun="error kinds", total=len(error_kinds)))
    return fit_sections(
        headline, sections, budget=budget, facts=grail_facts_line(grail, returned=len(records)), narrow=narrow
    )
