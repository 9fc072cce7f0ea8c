"""Davis problems → a compact table, and one problem in detail.

Problems come from the classic Problems API v2 (epoch-ms times, ``EntityStub`` entities).
The list view is one row per problem with its ids kept so the next call can drill in; the
detail view puts the root cause and the evidence Davis marked root-cause relevant first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from dynatrace_agent.summarise._common import Record, counts_line, fmt_time, label, shorten
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, Section, fit_sections, table_section, top_n
from dynatrace_agent.values import as_int

__all__ = ["entity_stub", "problem_time", "summarise_problem", "summarise_problems"]


def entity_stub(stub: object) -> str:
    """``name (ENTITY-ID)`` from an EntityStub ``{entityId: {id, type}, name}``."""
    if not isinstance(stub, Mapping):
        return "?"
    ident = stub.get("entityId")
    entity = ident.get("id") if isinstance(ident, Mapping) else ident
    return label(str(entity) if entity else None, str(stub.get("name")) if stub.get("name") else None)


def problem_time(value: object) -> str:
    """Epoch ms as ``YYYY-MM-DD HH:MM:SSZ``; ``open`` for the API's ``-1``."""
    number = as_int(value)
    if number is None or number < 0:
        return "open" if number == -1 else "?"
    return fmt_time(number)


def _stubs(value: object) -> list[str]:
    return [entity_stub(s) for s in value] if isinstance(value, list) else []


#: The affected column lists whole entities up to about this many characters, then "+N".
AFFECTED_CHARS = 90


def _whole_items(items: Sequence[str], limit: int = AFFECTED_CHARS) -> str:
    """``a; b +3``: as many whole items as fit (at least one); an entity id is never cut in half."""
    shown: list[str] = []
    for item in items:
        if shown and len("; ".join([*shown, item])) > limit:
            break
        shown.append(item)
    rest = len(items) - len(shown)
    return "; ".join(shown) + (f" +{rest}" if rest else "")


def summarise_problems(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    total: int | None = None,
    narrow: str | None = "status, severity, entity, tag or a shorter timeframe",
) -> str:
    """One table row per problem: display id, status, severity, impact, title, root cause, start."""
    overall = total if total is not None else len(records)
    if not records:
        return fit_sections(
            "No problems matched. Widen the timeframe (e.g. now-7d), include closed problems, "
            "or drop the severity/entity filter.",
            [],
            budget=budget,
        )
    status = Counter(str(r.get("status", "?")) for r in records)
    severity = Counter(str(r.get("severityLevel", "?")) for r in records)
    headline = f"{overall:,} problems ({counts_line(status)}); severity: {counts_line(severity)}"
    rows = []
    newest = sorted(records, key=lambda r: -(as_int(r.get("startTime")) or 0))
    for r in newest[: top_n(budget)]:
        affected = _stubs(r.get("affectedEntities"))
        rows.append(
            [
                r.get("displayId"),
                r.get("problemId"),
                r.get("status"),
                r.get("severityLevel"),
                r.get("impactLevel"),
                shorten(str(r.get("title", "")), 60),
                entity_stub(r.get("rootCauseEntity")) if r.get("rootCauseEntity") else "–",
                _whole_items(affected),
                problem_time(r.get("startTime")),
            ]
        )
    table = table_section(
        None,
        [
            "display id",
            "problemId",
            "status",
            "severity",
            "impact",
            "title",
            "root cause",
            "affected",
            "start",
        ],
        rows,
        noun="problems",
        total=overall,
        max_cell_chars=AFFECTED_CHARS + 40,
    )
    return fit_sections(headline, [table], budget=budget, narrow=narrow)


def _evidence_line(item: Mapping[str, Any]) -> str:
    kind = item.get("evidenceType", "?")
    text = (
        f"- {'[root cause] ' if item.get('rootCauseRelevant') else ''}{kind}: {item.get('displayName', '')}"
    )
    if item.get("entity"):
        text += f" on {entity_stub(item.get('entity'))}"
    if item.get("valueBeforeChangePoint") is not None or item.get("valueAfterChangePoint") is not None:
        text += (
            f" ({item.get('valueBeforeChangePoint')} → {item.get('valueAfterChangePoint')}"
            f"{' ' + str(item['unit']) if item.get('unit') else ''})"
        )
    if item.get("eventId"):
        text += f" event {item.get('eventId')}"
    if item.get("startTime") is not None:
        text += f" from {problem_time(item.get('startTime'))}"
    return text


def summarise_problem(
    problem: Record,
    *,
    budget: int = DEFAULT_BUDGET,
    link: str | None = None,
) -> str:
    """One problem: headline facts, root cause, entities, evidence (root-cause first), impact, comments."""
    head = [
        f"{problem.get('displayId', '?')} ({problem.get('problemId', '?')}): {problem.get('title', '')}",
        f"status {problem.get('status', '?')}, severity {problem.get('severityLevel', '?')}, "
        f"impact {problem.get('impactLevel', '?')}, from {problem_time(problem.get('startTime'))} "
        f"to {problem_time(problem.get('endTime'))}",
        "Davis root cause: "
        + (entity_stub(problem.get("rootCauseEntity")) if problem.get("rootCauseEntity") else "none named"),
    ]
    tags = problem.get("entityTags")
    if isinstance(tags, list) and tags:
        shown = [
            str(t.get("stringRepresentation") or t.get("key")) for t in tags[:8] if isinstance(t, Mapping)
        ]
        head.append("tags: " + ", ".join(shown))
    if link:
        head.append(f"link: {link}")
    sections = [
        Section(
            "Affected entities:",
            [f"- {s}" for s in _stubs(problem.get("affectedEntities"))],
            noun="affected entities",
        ),
        Section(
            "Impacted entities:",
            [f"- {s}" for s in _stubs(problem.get("impactedEntities"))],
            noun="impacted entities",
        ),
    ]
    evidence = problem.get("evidenceDetails")
    details = evidence.get("details") if isinstance(evidence, Mapping) else None
    if isinstance(details, list):
        ordered = sorted(
            (d for d in details if isinstance(d, Mapping)),
            key=lambda d: (not d.get("rootCauseRelevant"), as_int(d.get("startTime")) or 0),
        )
        sections.append(
            Section(
                "Evidence:",
                [_evidence_line(d) for d in ordered],
                noun="evidence items",
                total=as_int(evidence.get("totalCount")) if isinstance(evidence, Mapping) else None,
            )
        )
    impact = problem.get("impactAnalysis")
    impacts = impact.get("impacts") if isinstance(impact, Mapping) else None
    if isinstance(impacts, list):
        sections.append(
            Section(
                "Impact analysis:",
                [
                    f"- {i.get('impactType', '?')} {entity_stub(i.get('impactedEntity'))}: "
                    f"~{i.get('estimatedAffectedUsers', 0)} users"
                    + (
                        f", {i['numberOfPotentiallyAffectedServiceCalls']} calls"
                        if i.get("numberOfPotentiallyAffectedServiceCalls") is not None
                        else ""
                    )
                    for i in impacts
                    if isinstance(i, Mapping)
                ],
                noun="impacts",
            )
        )
    comments = problem.get("recentComments")
    items = comments.get("comments") if isinstance(comments, Mapping) else None
    if isinstance(items, list):
        sections.append(
            Section(
                "Comments:",
                [
                    f"- {problem_time(c.get('createdAtTimestamp'))} {c.get('authorName', '?')}: "
                    f"{shorten(str(c.get('content', '')), 200)}"
                    for c in items
                    if isinstance(c, Mapping)
                ],
                noun="comments",
            )
        )
    return fit_sections("\n".join(head), sections, budget=budget, narrow=None)
