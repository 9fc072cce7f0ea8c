"""The investigation report: what the graph returns, the webhook store keeps and the evals score.

``build_report`` turns gathered :class:`Evidence` and the ranking's :class:`Analysis` into an
:class:`InvestigationReport`: every evidence item cites the query or API call it came from
and links to Dynatrace, next steps carry ready-to-run DQL built with the safe builders of
``dynatrace_agent.dql``, and whatever could not be checked is listed, never silently skipped.
The narrative is template-based unless a language model supplies one.

``to_markdown`` is for people on call: verdict and gaps first, then the ranked table and
per-candidate reasons citing their sources footnote-style ([1], [2], each query listed once at
the end), log messages shortened to one line, and every untrusted string escaped.
"""

from __future__ import annotations

import re
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
    false_alarm: bool = False
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


# Inline text is untrusted (entity names, log lines, event descriptions): every piece that is
# not markup we write ourselves goes through ``_text`` so it can neither break a table or list
# nor inject links, images, HTML or code spans.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<|])")
_EDGE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_QUOTED = re.compile(r"“([^”]*)”")
_TOKEN = re.compile(r"\w+(?:\.\w+)*%?")
_SAFE_URL = re.compile(r"https?://[^\s()<>\[\]`\\]+")
_MESSAGE_CHARS = 110  # a quoted log message / pattern, after taking its first line
_LINE_CHARS = 260  # one reason, summary or detail value
_SPLIT_DQL_CHARS = 160  # a next step's DQL longer than this is shown one pipe stage per line
_MATCH_THRESHOLD = 0.5  # share of an evidence summary's words a reason must contain to cite it


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary where one is close, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.7:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def _message(text: str) -> str:
    """A (log) message on one line: its first non-blank line, clipped; an ellipsis marks anything cut."""
    lines = [ln.strip() for ln in _CONTROL.sub(" ", text).splitlines() if ln.strip()]
    if not lines:
        return ""
    first = " ".join(lines[0].split())
    clipped = _clip(first, _MESSAGE_CHARS)
    if len(lines) > 1 and not clipped.endswith("…"):
        clipped += " …"
    return clipped


def _one_line(text: str, limit: int = _LINE_CHARS) -> str:
    """Plain text on a single line: quoted messages shortened, whitespace collapsed, clipped."""
    text = _QUOTED.sub(lambda m: f"“{_message(m.group(1))}”", text)
    return _clip(" ".join(_CONTROL.sub(" ", text).split()), limit)


def _escape(text: str) -> str:
    """Backslash-escape what Markdown would read as markup (pipes, brackets, backticks, HTML, emphasis)."""
    out = _EDGE_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", text))
    return out.replace("~", "\\~") if out.count("~") > 1 else out  # a pair would strike through


def _text(text: str, limit: int = _LINE_CHARS) -> str:
    """Untrusted text made safe for one Markdown line (a table cell, a list item, a heading)."""
    return _escape(_one_line(text, limit))


def _link(label: str, url: str | None) -> str:
    """``[label](url)`` for a plain http(s) URL; just the label for anything else (a stored report
    may carry links we did not build)."""
    return f"[{label}]({url})" if url and _SAFE_URL.fullmatch(url) else label


def _code(text: str) -> str:
    """An inline code span that survives backticks in ``text`` (the fence is longer than any run)."""
    body = " ".join(text.split())
    runs = [len(r) for r in re.findall(r"`+", body)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _pipeline(query: str) -> list[str]:
    """A DQL query split before each top-level ``|`` (never inside strings or backtick names)."""
    parts: list[str] = []
    start = 0
    quote: str | None = None
    i = 0
    while i < len(query):
        ch = query[i]
        if quote is not None:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in '"`':
            quote = ch
        elif ch == "|" and i > start:
            parts.append(query[start:i].strip())
            start = i
        i += 1
    parts.append(query[start:].strip())
    return [p for p in parts if p]


def _code_block(query: str, *, indent: str, lang: str = "dql") -> list[str]:
    """A fenced block, long queries one stage per line; the fence outgrows any backtick run."""
    lines = (
        query.splitlines()
        if "\n" in query
        else _pipeline(query)
        if len(query) > _SPLIT_DQL_CHARS
        else [query]
    )
    runs = [len(r) for r in re.findall(r"`+", query)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return [f"{indent}{fence}{lang}", *(f"{indent}{ln}" for ln in lines), f"{indent}{fence}"]


class _Sources:
    """Footnote registry: each distinct query / API call gets one number, in order of first citation."""

    def __init__(self, citations: list[Citation]) -> None:
        self.order: list[str] = []
        self.numbers: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        self.records: dict[str, int] = {}
        self.citations = citations
        for c in citations:
            key = self.key(c.query)
            self.labels.setdefault(key, c.capability)
            if c.records is not None:
                self.records[key] = max(self.records.get(key, 0), c.records)

    @staticmethod
    def key(source: str) -> str:
        return " ".join(source.split())

    def ref(self, source: str | None, label: str) -> int | None:
        if not source or not source.strip():
            return None
        key = self.key(source)
        if key not in self.numbers:
            self.order.append(source.strip())
            self.numbers[key] = len(self.order)
            self.labels.setdefault(key, label)
        return self.numbers[key]

    def mark(self, source: str | None, label: str) -> str:
        n = self.ref(source, label)
        return f" [{n}]" if n is not None else ""

    def render(self) -> list[str]:
        if not self.order:
            return []
        out = ["## Sources", ""]
        for n, source in enumerate(self.order, 1):
            key = self.key(source)
            label = _text(self.labels.get(key, "source"), 60)
            count = self.records.get(key)
            shown = f" · {count} record{'s' if count != 1 else ''}" if count is not None else ""
            out.append(f"- [{n}] {label}{shown}: {_code(source)}")
        others: dict[str, int] = {}
        for c in self.citations:
            if self.key(c.query) not in self.numbers:
                others[c.capability] = others.get(c.capability, 0) + 1
        if others:
            listed = ", ".join(f"{_text(cap, 60)} ×{n}" for cap, n in sorted(others.items()))
            out.append(f"- also queried: {listed}")
        out.append("")
        return out


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


def _cite_reasons(
    reasons: list[str], evidence: list[ReportEvidence]
) -> tuple[list[set[int]], list[ReportEvidence]]:
    """Which evidence items back which reason (by shared words and figures); the rest stay apart.

    The ranking writes a reason and its evidence item together, so the item's summary shares
    most of its words and numbers with that reason.
    """
    backed: list[set[int]] = [set() for _ in reasons]
    reason_tokens = [_tokens(r) for r in reasons]
    loose: list[ReportEvidence] = []
    for index, item in enumerate(evidence):
        words = _tokens(item.summary)
        best, best_score = -1, 0.0
        for i, rt in enumerate(reason_tokens):
            shared = len(words & rt)
            score = shared / len(words) if words else 0.0
            if score > best_score and (shared >= 2 or len(words) == 1):
                best, best_score = i, score
        if best >= 0 and best_score >= _MATCH_THRESHOLD:
            backed[best].add(index)
        else:
            loose.append(item)
    return backed, loose


def _trace_ids(item: ReportEvidence) -> str:
    if item.kind != "traces" or not item.records:
        return ""
    return f" · e.g. trace {_code(item.records[0])}"


def _problem_lines(r: InvestigationReport) -> list[str]:
    p = r.problem
    bits: list[str] = []
    if p.start:
        bits.append(f"started {p.start:%Y-%m-%d %H:%M} UTC")
    if p.end:
        bits.append(
            f"ended {p.end:%H:%M}"
            if p.start and p.end.date() == p.start.date()
            else f"ended {p.end:%Y-%m-%d %H:%M}"
        )
    for label, value in (("severity", p.severity), ("impact", p.impact_level), ("status", p.status)):
        if value:
            bits.append(f"{label} {_text(value, 40)}")
    if p.affected:
        more = f" (+{len(p.affected) - 4})" if len(p.affected) > 4 else ""
        bits.append("affects " + ", ".join(_text(a, 60) for a in p.affected[:4]) + more)
    if p.davis_root_cause:
        bits.append(f"Davis root cause: {_text(p.davis_root_cause, 80)}")
    if p.link and _SAFE_URL.fullmatch(p.link):
        bits.append(_link("Open in Dynatrace", p.link))
    return [f"- **Problem:** {' · '.join(bits)}"] if bits else []


def _verdict_line(r: InvestigationReport) -> str:
    if r.false_alarm:
        return (
            "- **Verdict:** likely a false alarm: no entity deviates beyond noise "
            f"(confidence {r.confidence:.0%})"
        )
    if not r.ranked_root_causes:
        return "- **Verdict:** no root-cause candidate could be ranked"
    top = r.ranked_root_causes[0]
    who = _text(top.name or top.entity_id, 80)
    if top.name and _is_entity_id(top.entity_id):
        who += f" ({_code(top.entity_id)})"
    line = f"- **Verdict:** {who} · {r.category} · confidence {r.confidence:.0%}"
    ch = r.triggering_change_detail
    if ch is not None:
        line += f" · triggered by {ch.kind} “{_text(ch.name or ch.event_type, 80)}”"
    return line


def _gap_lines(gaps: list[Gap]) -> list[str]:
    """One line per distinct reason (gaps failing for the same cause are listed together)."""
    grouped: dict[str, list[str]] = {}
    for g in gaps:
        reason = g.reason.strip()
        if reason.startswith(g.capability + " "):
            reason = reason[len(g.capability) :].strip()
        grouped.setdefault(reason, []).append(g.capability)
    return [f"- **{_text(', '.join(caps), 200)}**: {_text(reason, 400)}" for reason, caps in grouped.items()]


def _candidate_lines(rank: int, c: RootCauseCandidate, sources: _Sources) -> list[str]:
    name = _text(c.name or c.entity_id, 80)
    out = [f"### {rank}. {name} · {c.category} · score {c.score:.2f}"]
    backed, loose = _cite_reasons(c.reasons, c.evidence)
    for reason, items in zip(c.reasons, backed, strict=True):
        chosen = [c.evidence[i] for i in sorted(items)]
        numbers = sorted({n for e in chosen if (n := sources.ref(e.source, e.kind)) is not None})
        mark = f" [{', '.join(map(str, numbers))}]" if numbers else ""
        extra = next((t for t in map(_trace_ids, chosen) if t), "")
        out.append(f"- {_text(reason)}{mark}{extra}")
    for item in loose:
        out.append(
            f"- {item.kind}: {_text(item.summary)}{sources.mark(item.source, item.kind)}{_trace_ids(item)}"
        )
    out += [f"- _against:_ {_text(counter)}" for counter in c.counter_evidence]
    out.append("")
    return out


def _detail_lines(details: dict[str, str]) -> list[str]:
    """Event properties, one line per namespace (``deployment.*``), the description on its own."""
    groups: dict[str, list[str]] = {}
    lines: list[str] = []
    for key, value in sorted(details.items()):
        if key == "event.description":
            lines.append(f"- description: {_text(value, 300)}")
            continue
        prefix, _, rest = key.partition(".")
        field = f"{_text(rest, 60)}: {_text(value, 120)}" if rest else _text(value, 120)
        groups.setdefault(prefix, []).append(field)
    for prefix, fields in groups.items():
        shown = fields[:8] + ([f"… {len(fields) - 8} more"] if len(fields) > 8 else [])
        lines.append(f"- {_text(prefix, 60)} — " + " · ".join(shown))
    return lines


def _change_lines(r: InvestigationReport, sources: _Sources) -> list[str]:
    ch = r.triggering_change_detail
    if ch is None:
        return []
    when = ""
    if ch.timestamp is not None:
        when = f" at {ch.timestamp:%H:%M} UTC"
    if ch.minutes_from_start is not None and ch.minutes_from_start < 0:
        when += f", {-ch.minutes_from_start:.0f} min before the problem"
    head = (
        f"{ch.kind} “{_text(ch.name or ch.event_type, 120)}”{when} (event {_code(ch.event_id)})"
        f"{sources.mark(ch.source, 'events')}"
    )
    out = ["## Triggering change", "", head]
    out += _detail_lines(ch.details)
    out.append("")
    return out


def _timeline_lines(r: InvestigationReport, sources: _Sources) -> list[str]:
    if not r.timeline:
        return []
    day = r.problem.start.date() if r.problem.start else r.timeline[0].time.date()
    ch = r.triggering_change_detail
    out = ["## Timeline (UTC)", ""]
    for e in r.timeline:
        stamp = f"{e.time:%H:%M:%S}" if e.time.date() == day else f"{e.time:%m-%d %H:%M:%S}"
        trigger = (
            ch is not None
            and e.kind == "change"
            and e.time == ch.timestamp
            and (ch.name or ch.event_type) in e.summary
        )
        flag = " **← trigger**" if trigger else ""
        out.append(f"- {stamp} {_text(e.summary, 160)}{flag}{sources.mark(e.source, e.kind)}")
    out.append("")
    return out


def _next_step_lines(r: InvestigationReport) -> list[str]:
    if not r.next_steps:
        return []
    out = ["## Next steps", ""]
    for s in r.next_steps:
        out.append(f"- {_text(s.action, 400)}")
        if s.dql:
            out += _code_block(s.dql, indent="  ")
    out.append("")
    return out


def _markdown(r: InvestigationReport) -> str:
    p = r.problem
    sources = _Sources(r.citations)
    title = _text(p.title, 160)
    out = [f"# {_text(p.display_id or p.problem_id, 80)}" + (f": {title}" if title else ""), ""]
    out += _problem_lines(r)
    out.append(_verdict_line(r))
    if r.unavailable:
        caps = ", ".join(dict.fromkeys(_text(g.capability, 60) for g in r.unavailable))
        out.append(f"- **Not checked:** {caps} (see below)")
    out.append("")
    for paragraph in re.split(r"\n\s*\n", r.narrative.strip()):
        if paragraph.strip():
            out += [_text(paragraph, 2000), ""]
    if r.ranked_root_causes:
        out += [
            "## Root-cause candidates",
            "",
            "| # | Entity | Id | Category | Score |",
            "|---|---|---|---|---|",
        ]
        for i, c in enumerate(r.ranked_root_causes, 1):
            name = _text(c.name or c.entity_id, 80)
            entity = _link(name, c.link)
            ident = _code(c.entity_id) if _is_entity_id(c.entity_id) else "—"
            out.append(f"| {i} | {entity} | {ident} | {_text(c.category, 40)} | {c.score:.2f} |")
        out.append("")
        for i, c in enumerate(r.ranked_root_causes[:3], 1):
            if c.reasons or c.counter_evidence or c.evidence:
                out += _candidate_lines(i, c, sources)
    out += _change_lines(r, sources)
    impact = _impact_line(r.impact)
    if impact:
        out += ["## Impact", "", _text(impact, 600) + sources.mark(r.impact.source, "user_sessions"), ""]
    out += _timeline_lines(r, sources)
    out += _next_step_lines(r)
    if r.unavailable:
        out += ["## Not checked", "", *_gap_lines(r.unavailable), ""]
    out += sources.render()
    st = r.stats
    out.append(
        f"_{st.api_calls} API calls · {st.tool_output_tokens} tool-output tokens · "
        f"LLM {st.llm_tokens.input}/{st.llm_tokens.output} tokens · {st.wall_ms} ms_"
    )
    return "\n".join(out).rstrip() + "\n"
