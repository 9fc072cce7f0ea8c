"""Building the report: gathered :class:`Evidence` and the ranking's :class:`Analysis` in, report out.

Every evidence item cites the query or API call it came from and links to Dynatrace, next
steps carry ready-to-run DQL built with the safe builders of ``dynatrace_agent.dql``, and
whatever could not be checked is listed, never silently skipped. The narrative is
template-based unless a language model supplies one.
"""

from __future__ import annotations

from dynatrace_agent import dql
from dynatrace_agent.analysis.rank import Analysis, RankedCandidate
from dynatrace_agent.models.evidence import Evidence
from dynatrace_agent.report.links import entity_link, is_entity_id, problem_link
from dynatrace_agent.report.model import (
    InvestigationReport,
    NextStep,
    ProblemSummary,
    ReportEvidence,
    RootCauseCandidate,
    RunStats,
    TimelineEntry,
)
from dynatrace_agent.report.phrases import impact_line

__all__ = ["build_report"]


def _candidate(ranked: RankedCandidate, env: str) -> RootCauseCandidate:
    items = [
        ReportEvidence(
            kind=e.kind,
            summary=e.summary,
            source=e.source,
            records=e.records,
            link=entity_link(env, e.entity_id) if e.entity_id and is_entity_id(e.entity_id) else None,
        )
        for e in ranked.evidence
    ]
    return RootCauseCandidate(
        entity_id=ranked.entity_id,
        name=ranked.name,
        type=ranked.type,
        score=ranked.score,
        category=ranked.category,
        reasons=ranked.reasons,
        counter_evidence=ranked.counter_evidence,
        evidence=items,
        link=entity_link(env, ranked.entity_id) if is_entity_id(ranked.entity_id) else None,
    )


def _timeline(evidence: Evidence, names: dict[str, str]) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for ch in evidence.changes:
        if ch.timestamp is not None:
            target = ", ".join(names.get(e, e) for e in ch.entity_ids[:3])
            entries.append(
                TimelineEntry(
                    time=ch.timestamp,
                    kind="change",
                    summary=f"{ch.kind}: {ch.name or ch.event_type}" + (f" on {target}" if target else ""),
                    entity_id=ch.entity_ids[0] if ch.entity_ids else None,
                    source=ch.source,
                )
            )
    p = evidence.problem
    if p.start is not None:
        entries.append(
            TimelineEntry(
                time=p.start,
                kind="problem",
                summary=f"problem {p.display_id or p.problem_id} started: {p.title}",
                source=p.source,
            )
        )
    for lg in evidence.logs:
        if lg.first_incident_error is not None:
            entries.append(
                TimelineEntry(
                    time=lg.first_incident_error,
                    kind="first_error",
                    summary=f"first error log of {lg.name or names.get(lg.entity, lg.entity)}",
                    entity_id=lg.entity,
                    source=lg.source,
                )
            )
    for t in evidence.traces:
        if t.first_incident_failure is not None:
            entries.append(
                TimelineEntry(
                    time=t.first_incident_failure,
                    kind="first_failure",
                    summary=f"first failed request of {t.name or names.get(t.service, t.service)}",
                    entity_id=t.service,
                    source=t.source,
                )
            )
    order = {"change": 0, "problem": 1, "first_failure": 2, "first_error": 3}
    entries.sort(key=lambda e: (e.time, order[e.kind], e.summary))
    return entries[:30]


def _entity_filter(entity: str) -> dql.Expr:
    if is_entity_id(entity):
        return dql.eq(dql.entity_field(entity), dql.entity_id(entity))
    return dql.eq("service.name", entity)


def _render(query: dql.Query) -> str | None:
    """The query text, or None when a value cannot be placed safely (the step stays, minus DQL)."""
    try:
        return query.render()
    except ValueError:
        return None


def _next_steps(evidence: Evidence, analysis: Analysis) -> list[NextStep]:
    steps: list[NextStep] = []
    window = evidence.window
    tf = dql.timeframe(window.baseline_start, window.incident_end) if window is not None else None
    trigger = analysis.triggering_change_event
    if analysis.false_alarm:
        steps.append(
            NextStep(
                action="No entity deviates beyond noise: review the alerting threshold or close the problem."
            )
        )
    if trigger is not None:
        verb = "Roll back" if trigger.kind == "deployment" else "Revert"
        steps.append(
            NextStep(
                action=f"{verb} the {trigger.kind} “{trigger.name or trigger.event_type}” "
                f"(event {trigger.event_id}) and watch the failure rate and response time recover.",
                dql=_render(dql.Query.fetch("events", tf).filter(dql.eq("event.id", trigger.event_id))),
            )
        )
    if not analysis.ranked or analysis.false_alarm:
        return steps
    top = analysis.ranked[0]
    label = top.name or top.entity_id
    try:
        where = _entity_filter(top.entity_id)
    except ValueError:
        return steps
    hints = {
        "resource": f"Check the resource usage of {label} and what else runs on its hosts; "
        "limit or move the process that saturates them.",
        "dependency": f"Check the health of {label} and the connections to it (pool sizes, credentials, "
        "network path).",
        "network": f"Check the network path around {label}: retransmissions, packet loss, DNS.",
        "traffic": f"Check where the extra traffic on {label} comes from; scale out or rate-limit.",
        "code": f"Inspect the new errors of {label} in the failing traces and fix or roll back the code.",
        "infrastructure": f"Check the infrastructure under {label} (host, node, cluster events).",
        "configuration": f"Review the recent configuration of {label}.",
        "deployment": f"Compare the new version of {label} with the previous one.",
    }
    if top.category in hints:
        steps.append(NextStep(action=hints[top.category]))
    steps.append(
        NextStep(
            action=f"See the error log patterns of {label} over the baseline and the incident.",
            dql=_render(
                dql.Query.fetch("logs", tf)
                .filter(where, dql.in_("loglevel", ["ERROR", "WARN"]))
                .summarize([("count", dql.func("count"))], by=["loglevel", "content"])
                .sort("count", descending=True)
                .limit(20)
            ),
        )
    )
    if (top.type or "SERVICE").upper() == "SERVICE" or not is_entity_id(top.entity_id):
        steps.append(
            NextStep(
                action=f"Open failed requests of {label} and follow the traces down to the deepest failure.",
                dql=_render(
                    dql.Query.fetch("spans", tf)
                    .filter(where, dql.is_true("request.is_failed"))
                    .fields("start_time", "trace.id", "span.name", "duration", "http.response.status_code")
                    .sort("start_time", descending=True)
                    .limit(50)
                ),
            )
        )
    if evidence.gaps:
        steps.append(
            NextStep(
                action="Grant access to what could not be checked ("
                + ", ".join(sorted({g.capability for g in evidence.gaps}))
                + ") and re-run the investigation."
            )
        )
    return steps


def _template_narrative(report: InvestigationReport, analysis: Analysis) -> str:
    p = report.problem
    when = f" at {p.start:%Y-%m-%d %H:%M} UTC" if p.start else ""
    parts = [f"Problem {p.display_id or p.problem_id} “{p.title}” started{when}."]
    if analysis.false_alarm:
        parts.append(
            "No candidate entity deviates from its baseline beyond noise, so this looks like a false alarm "
            f"(confidence {report.confidence:.0%})."
        )
    elif report.ranked_root_causes:
        top = report.ranked_root_causes[0]
        parts.append(
            f"The most likely root cause is {top.name or top.entity_id} ({top.category}, score "
            f"{top.score:.2f}, confidence {report.confidence:.0%})"
            + (": " + "; ".join(top.reasons[:3]) if top.reasons else "")
            + "."
        )
        if report.triggering_change_detail is not None:
            ch = report.triggering_change_detail
            parts.append(
                f"It was triggered by the {ch.kind} “{ch.name or ch.event_type}” (event {ch.event_id})."
            )
        if p.davis_root_cause and p.davis_root_cause not in {top.entity_id, top.name}:
            parts.append(f"Davis named {p.davis_root_cause}, which the evidence shows to be a symptom.")
        others = [c.name or c.entity_id for c in report.ranked_root_causes[1:3] if c.score > 0.1]
        if others:
            parts.append("Other candidates: " + ", ".join(others) + ".")
    else:
        parts.append("No candidate entity could be ranked.")
    impact = impact_line(report.impact)
    if impact:
        parts.append(f"Impact: {impact}.")
    if report.unavailable:
        parts.append(
            "Not checked: " + ", ".join(dict.fromkeys(g.capability for g in report.unavailable)) + "."
        )
    return " ".join(parts)


def build_report(
    evidence: Evidence,
    analysis: Analysis,
    *,
    environment_url: str,
    narrative: str | None = None,
    stats: RunStats | None = None,
    max_candidates: int = 5,
) -> InvestigationReport:
    """Assemble the report; the narrative comes from templates unless one is given."""
    env = environment_url
    p = evidence.problem
    names = {c.entity_id: c.name for c in evidence.candidates if c.name}
    hint = p.root_cause_hint
    problem = ProblemSummary(
        problem_id=p.problem_id,
        display_id=p.display_id,
        title=p.title,
        severity=p.severity,
        impact_level=p.impact,
        status=p.status,
        start=p.start,
        end=p.end,
        affected=[e.name or e.id for e in p.affected],
        davis_root_cause=(hint.name or hint.id) if hint else None,
        link=problem_link(env, p.problem_id),
    )
    report = InvestigationReport(
        problem=problem,
        ranked_root_causes=[_candidate(r, env) for r in analysis.ranked[:max_candidates]],
        category=analysis.category,
        triggering_change=analysis.triggering_change,
        triggering_change_detail=analysis.triggering_change_event,
        impact=evidence.impact,
        timeline=_timeline(evidence, names),
        next_steps=_next_steps(evidence, analysis),
        confidence=analysis.confidence,
        false_alarm=analysis.false_alarm,
        unavailable=list(evidence.gaps),
        citations=list(evidence.citations),
        stats=stats or RunStats(),
    )
    report.narrative = narrative if narrative is not None else _template_narrative(report, analysis)
    return report
