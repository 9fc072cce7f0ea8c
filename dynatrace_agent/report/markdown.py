"""The report as Markdown, for people on call.

Verdict and gaps first, then the ranked table and per-candidate reasons citing their sources
footnote-style ([1], [2], each query listed once at the end), log messages shortened to one
line, and every untrusted string escaped.
"""

from __future__ import annotations

import re
from typing import Protocol

from dynatrace_agent.models.evidence import ChangeEvent, Citation, Gap, Impact
from dynatrace_agent.report.links import is_entity_id
from dynatrace_agent.report.parts import (
    NextStep,
    ProblemSummary,
    ReportEvidence,
    RootCauseCandidate,
    RunStats,
    TimelineEntry,
)
from dynatrace_agent.report.phrases import impact_line

__all__ = ["RenderableReport", "render_markdown"]


class RenderableReport(Protocol):
    """What the rendering reads of a report (``InvestigationReport`` has it all).

    A protocol rather than the report class itself, because the class renders itself
    through this module (``to_markdown``): the dependency stays one way.
    """

    @property
    def problem(self) -> ProblemSummary:
        """The problem investigated."""

    @property
    def ranked_root_causes(self) -> list[RootCauseCandidate]:
        """Root-cause candidates, most likely first."""

    @property
    def category(self) -> str:
        """The root-cause category."""

    @property
    def triggering_change_detail(self) -> ChangeEvent | None:
        """The change that triggered the problem, when one did."""

    @property
    def impact(self) -> Impact:
        """Who and what the problem affected."""

    @property
    def timeline(self) -> list[TimelineEntry]:
        """What happened, in time order."""

    @property
    def next_steps(self) -> list[NextStep]:
        """What to do or check next."""

    @property
    def confidence(self) -> float:
        """Confidence in the top root cause, 0..1."""

    @property
    def false_alarm(self) -> bool:
        """Whether the problem looks like a false alarm."""

    @property
    def unavailable(self) -> list[Gap]:
        """Data the investigation could not read, and why."""

    @property
    def narrative(self) -> str:
        """The model's narrative (empty without a model)."""

    @property
    def citations(self) -> list[Citation]:
        """The evidence the report cites."""

    @property
    def stats(self) -> RunStats:
        """What the run cost: API calls, tokens, time."""


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


def _problem_lines(r: RenderableReport) -> list[str]:
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


def _verdict_line(r: RenderableReport) -> str:
    if r.false_alarm:
        return (
            "- **Verdict:** likely a false alarm: no entity deviates beyond noise "
            f"(confidence {r.confidence:.0%})"
        )
    if not r.ranked_root_causes:
        return "- **Verdict:** no root-cause candidate could be ranked"
    top = r.ranked_root_causes[0]
    who = _text(top.name or top.entity_id, 80)
    if top.name and is_entity_id(top.entity_id):
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


def _change_lines(r: RenderableReport, sources: _Sources) -> list[str]:
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


def _timeline_lines(r: RenderableReport, sources: _Sources) -> list[str]:
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


def _next_step_lines(r: RenderableReport) -> list[str]:
    if not r.next_steps:
        return []
    out = ["## Next steps", ""]
    for s in r.next_steps:
        out.append(f"- {_text(s.action, 400)}")
        if s.dql:
            out += _code_block(s.dql, indent="  ")
    out.append("")
    return out


def render_markdown(r: RenderableReport) -> str:
    """The report as compact Markdown for terminals, chat and tickets."""
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
            ident = _code(c.entity_id) if is_entity_id(c.entity_id) else "—"
            out.append(f"| {i} | {entity} | {ident} | {_text(c.category, 40)} | {c.score:.2f} |")
        out.append("")
        for i, c in enumerate(r.ranked_root_causes[:3], 1):
            if c.reasons or c.counter_evidence or c.evidence:
                out += _candidate_lines(i, c, sources)
    out += _change_lines(r, sources)
    impact = impact_line(r.impact)
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
