"""The investigation report: what the graph returns, the webhook store keeps and the evals score.

``build_report`` turns gathered :class:`Evidence` and the ranking's :class:`Analysis` into an
:class:`InvestigationReport`: every evidence item cites the query or API call it came from
and links to Dynatrace, next steps carry ready-to-run DQL built with the safe builders of
``dynatrace_agent.dql``, and whatever could not be checked is listed, never silently skipped.
The narrative is template-based unless a language model supplies one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent import dql
from dynatrace_agent.analysis.evidence import (
    Category,
    ChangeEvent,
    Citation,
    Evidence,
    Gap,
    Impact,
)
from dynatrace_agent.analysis.rank import Analysis, RankedCandidate

__all__ = [
    "REPORT_FORMAT",
    "InvestigationReport",
    "LlmTokens",
    "NextStep",
    "ProblemSummary",
    "ReportEvidence",
    "RootCauseCandidate",
    "RunStats",
    "TimelineEntry",
    "build_report",
    "classic_base",
    "entity_link",
    "problem_link",
]

REPORT_FORMAT = "dynatrace-agent/report@1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportEvidence(_Model):
    """One cited evidence item: what was seen, where it came from, and where to look."""

    kind: str
    summary: str
    source: str | None = None
    records: list[str] = Field(default_factory=list)
    link: str | None = None


class RootCauseCandidate(_Model):
    """A ranked root-cause candidate as the report presents it."""

    entity_id: str
    name: str | None = None
    type: str | None = None
    score: float
    category: Category
    reasons: list[str] = Field(default_factory=list)
    counter_evidence: list[str] = Field(default_factory=list)
    evidence: list[ReportEvidence] = Field(default_factory=list)
    link: str | None = None


class ProblemSummary(_Model):
    """The problem as Davis reported it, with a link."""

    problem_id: str
    display_id: str | None = None
    title: str = ""
    severity: str | None = None
    impact_level: str | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    affected: list[str] = Field(default_factory=list)
    davis_root_cause: str | None = None
    link: str | None = None


class TimelineEntry(_Model):
    """One dated event: a change, the problem's start, the first errors."""

    time: datetime
    kind: Literal["change", "problem", "first_error", "first_failure"]
    summary: str
    entity_id: str | None = None
    source: str | None = None


class NextStep(_Model):
    """Something to do next; ``dql`` is a query ready to paste into a notebook."""

    action: str
    dql: str | None = None


class LlmTokens(_Model):
    input: int = 0
    output: int = 0


class RunStats(_Model):
    """What the investigation cost."""

    api_calls: int = 0
    tool_output_tokens: int = 0
    llm_tokens: LlmTokens = Field(default_factory=LlmTokens)
    wall_ms: int = 0


class InvestigationReport(_Model):
    """The outcome of one investigation (contracts §5)."""

    format: str = REPORT_FORMAT
    problem: ProblemSummary
    ranked_root_causes: list[RootCauseCandidate] = Field(default_factory=list)
    category: Category = "none"
    triggering_change: str | None = None
    triggering_change_detail: ChangeEvent | None = None
    impact: Impact = Field(default_factory=Impact)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    confidence: float = 0.0
    unavailable: list[Gap] = Field(default_factory=list)
    narrative: str = ""
    citations: list[Citation] = Field(default_factory=list)
    stats: RunStats = Field(default_factory=RunStats)

    def to_markdown(self) -> str:
        """A compact Markdown rendering for terminals, chat and tickets."""
        return _markdown(self)


# --------------------------------------------------------------------------- links


def classic_base(environment_url: str) -> str:
    """The classic web UI base of an environment URL (``*.apps.*`` → ``*.live.*``, no trailing /)."""
    base = environment_url.strip().rstrip("/")
    for apps, live in (
        (".apps.dynatrace.com", ".live.dynatrace.com"),
        (".apps.dynatracelabs.com", ".live.dynatracelabs.com"),
    ):
        if apps in base:
            base = base.replace(apps, live)
    return base


def problem_link(environment_url: str, problem_id: str) -> str:
    """Link to a problem's page in the classic UI."""
    return f"{classic_base(environment_url)}/#problems/problemdetail;pid={quote(problem_id, safe='')}"


def entity_link(environment_url: str, entity_id: str) -> str:
    """Link to an entity: the service overview for services, the generic entity page otherwise."""
    base = classic_base(environment_url)
    safe_id = quote(entity_id, safe="")
    if entity_id.upper().startswith("SERVICE-"):
        return f"{base}/#newservices/serviceOverview;id={safe_id}"
    return f"{base}/ui/entity/{safe_id}"


def _is_entity_id(value: str) -> bool:
    try:
        dql.entity_id(value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- building


def _candidate(ranked: RankedCandidate, env: str) -> RootCauseCandidate:
    items = [
        ReportEvidence(
            kind=e.kind,
            summary=e.summary,
            source=e.source,
            records=e.records,
            link=entity_link(env, e.entity_id) if e.entity_id and _is_entity_id(e.entity_id) else None,
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
        link=entity_link(env, ranked.entity_id) if _is_entity_id(ranked.entity_id) else None,
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
    if _is_entity_id(entity):
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
    if (top.type or "SERVICE").upper() == "SERVICE" or not _is_entity_id(top.entity_id):
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
    impact = _impact_line(report.impact)
    if impact:
        parts.append(f"Impact: {impact}.")
    if report.unavailable:
        parts.append(
            "Not checked: " + "; ".join(f"{g.capability} ({g.reason})" for g in report.unavailable) + "."
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
        unavailable=list(evidence.gaps),
        citations=list(evidence.citations),
        stats=stats or RunStats(),
    )
    report.narrative = narrative if narrative is not None else _template_narrative(report, analysis)
    return report


# --------------------------------------------------------------------------- markdown


def _impact_line(impact: Impact) -> str:
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


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(r: InvestigationReport) -> str:
    p = r.problem
    title = f"# {p.display_id or p.problem_id}: {p.title}".rstrip(": ")
    out = [title, ""]
    meta = [f"**Category:** {r.category}", f"**Confidence:** {r.confidence:.0%}"]
    if p.start:
        meta.append(f"**Started:** {p.start:%Y-%m-%d %H:%M} UTC")
    if p.link:
        meta.append(f"[Open in Dynatrace]({p.link})")
    out += [" · ".join(meta), "", r.narrative, ""]
    if r.ranked_root_causes:
        out += ["## Root-cause candidates", "", "| # | Entity | Category | Score |", "|---|---|---|---|"]
        for i, c in enumerate(r.ranked_root_causes, 1):
            name = _md_escape(c.name or c.entity_id)
            entity = f"[{name}]({c.link})" if c.link else name
            out.append(f"| {i} | {entity} | {c.category} | {c.score:.2f} |")
        out.append("")
        for c in r.ranked_root_causes[:3]:
            if not (c.reasons or c.counter_evidence):
                continue
            out.append(f"**{_md_escape(c.name or c.entity_id)}**")
            out += [f"- {reason}" for reason in c.reasons]
            out += [f"- _against:_ {counter}" for counter in c.counter_evidence]
            for e in c.evidence:
                if e.source:
                    source = " ".join(e.source.split()).replace("`", "'")
                    out.append(f"  - {e.kind}: {e.summary} — source: `{source}`")
            out.append("")
    if r.triggering_change_detail is not None:
        ch = r.triggering_change_detail
        out += ["## Triggering change", "", f"{ch.kind} “{ch.name or ch.event_type}” (event `{ch.event_id}`)"]
        out += [f"- {k}: {v}" for k, v in sorted(ch.details.items())]
        out.append("")
    impact = _impact_line(r.impact)
    if impact:
        out += ["## Impact", "", impact, ""]
    if r.timeline:
        out += ["## Timeline", ""]
        out += [f"- {e.time:%H:%M:%S} {e.summary}" for e in r.timeline]
        out.append("")
    if r.next_steps:
        out += ["## Next steps", ""]
        for s in r.next_steps:
            out.append(f"- {s.action}")
            if s.dql:
                out += ["  ```dql", f"  {s.dql}", "  ```"]
        out.append("")
    if r.unavailable:
        out += ["## Not checked", ""]
        out += [f"- **{g.capability}**: {g.reason}" for g in r.unavailable]
        out.append("")
    st = r.stats
    out.append(
        f"_{st.api_calls} API calls · {st.tool_output_tokens} tool-output tokens · "
        f"LLM {st.llm_tokens.input}/{st.llm_tokens.output} tokens · {st.wall_ms} ms_"
    )
    return "\n".join(out).rstrip() + "\n"
