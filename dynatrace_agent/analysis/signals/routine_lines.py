"""Routine log lines that stop: where a code path ends early.

An exception or an early return inside a service rarely logs anything new: the lines that
the rest of the code path would have written simply stop, while the service's other lines
go on. Error counts never see that; the mix of its routine lines does. For every entity the
lines are grouped by template (the code location and the first words of the message, with
variable parts masked), and a template whose share collapses from some minute near the
problem's start on is a *shift*. Whether the shift is the entity's own doing is decided with
traces (:func:`judge_shifts`): if the endpoint that wrote the line was still called as
often, the path was cut inside the entity; if the endpoint was called less, the cause lies
upstream (a caller that stopped calling).

The test is a conditional binomial test of the template's count after the change minute
given its count before and the entity's other lines, so a quiet minute, a busy minute or a
different load level do not read as a shift; it is corrected for the change minutes tried.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from dynatrace_agent.analysis.evidence import LineShift
from dynatrace_agent.analysis.signals.logs import log_level
from dynatrace_agent.analysis.signals.records import Record, clean_text, first_time
from dynatrace_agent.analysis.stats import message_pattern

__all__ = [
    "CHANGE_MINUTES",
    "SIGNIFICANCE",
    "judge_shifts",
    "line_shifts",
    "line_template",
]

#: Minutes (relative to the problem's start) at which a line may have stopped. Davis opens a
#: problem minutes after the onset, so the onset is searched among the minutes before it.
CHANGE_MINUTES = (-3, -2, -1, 0)
#: Corrected p-value below which a drop is reported.
SIGNIFICANCE = 1e-3
#: A line must have been expected at least this often after the change to count as stopped.
MIN_EXPECTED = 5.0
#: ... and then be seen at most this share of the expected count.
MAX_KEPT_SHARE = 0.5
#: Words of the message kept in a template (after the code location): enough to tell
#: statements apart, few enough that values late in the message do not split a template.
TEMPLATE_WORDS = 4
#: A drop in an endpoint's calls below this chance says its callers stopped calling.
_CALLS_SIGNIFICANCE = 0.01
_MAX_PER_ENTITY = 3
_MAX_SPAN_IDS = 50
_MAX_EXAMPLE_CHARS = 300
_TRACE_CONTEXT = re.compile(r"\b(?:trace[_.]?id|span[_.]?id|dt\.trace_id|dt\.span_id)\s*[:=]\s*\S+", re.I)
# A source location (``Class#123``, ``file.py:42``) names one statement: keep it, digits and all.
_LOCATION = re.compile(r"([A-Za-z_$][\w.$]*(?:#|\.(?:java|py|go|js|ts|rb|cs|kt|scala|php|c|cpp):))(\d+)\b")
# Leading time stamps, levels and thread/pid tokens before the message proper.
_LEADING = re.compile(r"^(?:\S*\d\S*\s+|(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|-)\s+)+", re.I)


def _location_token(match: re.Match[str]) -> str:
    # Letters instead of digits, so the masking below leaves the statement's identity alone.
    return match.group(1) + "".join(chr(ord("a") + int(d)) for d in match.group(2))


def line_template(text: str) -> str:
    """The statement a log line comes from: its source location and first words, values masked."""
    t = _TRACE_CONTEXT.sub(" ", text or "")
    t = _LOCATION.sub(_location_token, t)
    t = _LEADING.sub("", t.strip())
    words: list[str] = []
    for word in message_pattern(t).split():
        if "<" in word and ">" in word:  # a masked value: what follows varies too
            break
        words.append(word)
        if len(words) > TEMPLATE_WORDS:
            break
    return " ".join(words) or message_pattern(t)[:60]


def _routine(record: Record) -> bool:
    # Error and warning lines stopping is a recovery, not a cut path: only the others count.
    return log_level(record) is None


def _entity(record: Record) -> tuple[str, str | None] | None:
    """The process that wrote the line: its process group first, since every line has one.

    ``dt.entity.service`` is set only on lines written inside a traced request; keying by it
    would split one process's lines into two populations with different mixes.
    """
    name = next(
        (
            v
            for k in ("k8s.workload.name", "dt.process.name", "dt.service.name", "service.name")
            if (v := clean_text(record.get(k)))
        ),
        None,
    )
    for key in ("dt.entity.process_group", "k8s.workload.name", "dt.entity.service", "service.name"):
        value = clean_text(record.get(key))
        if value:
            return value, name
    return None


def _binomial_cdf(k: int, n: int, q: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, q), summed in log space (n may be thousands)."""
    if q <= 0.0:
        return 1.0
    if q >= 1.0:
        return 1.0 if k >= n else 0.0
    log_q, log_r = math.log(q), math.log1p(-q)
    base = math.lgamma(n + 1)
    total = sum(
        math.exp(base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_q + (n - i) * log_r)
        for i in range(min(k, n) + 1)
    )
    return min(1.0, total)


def _minute(ts: datetime, onset: datetime) -> int:
    return math.floor((ts - onset).total_seconds() / 60.0)


def line_shifts(
    logs: Iterable[Record],
    *,
    onset: datetime,
    names: Mapping[str, str] | None = None,
    source: str | None = None,
) -> list[LineShift]:
    """Templates whose share of their entity's routine lines collapsed near ``onset``, most certain first.

    Error and warning lines are left out: a failure that stops is a recovery, not a cut path.
    """
    counts: dict[str, dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
    totals: dict[str, Counter[int]] = defaultdict(Counter)
    examples: dict[tuple[str, str], str] = {}
    spans: dict[tuple[str, str], list[str]] = defaultdict(list)
    entity_names: dict[str, str] = dict(names or {})
    for record in logs:
        if not isinstance(record, Mapping) or not _routine(record):
            continue
        ts = first_time(record, "timestamp")
        owner = _entity(record)
        if ts is None or owner is None:
            continue
        entity, name = owner
        if name and entity not in entity_names:
            entity_names[entity] = name
        content = clean_text(record.get("content")) or ""
        template = line_template(content)
        minute = _minute(ts, onset)
        counts[entity][template][minute] += 1
        totals[entity][minute] += 1
        key = (entity, template)
        examples.setdefault(key, content[:_MAX_EXAMPLE_CHARS])
        span_id = clean_text(record.get("span_id"))
        if span_id and minute < min(CHANGE_MINUTES) and len(spans[key]) < _MAX_SPAN_IDS:
            spans[key].append(span_id)

    shifts: list[LineShift] = []
    for entity, templates in counts.items():
        found: list[LineShift] = []
        for template, per_minute in templates.items():
            best = _best_change(per_minute, totals[entity])
            if best is None:
                continue
            minute, before, after, expected, p_value = best
            found.append(
                LineShift(
                    entity=entity,
                    name=entity_names.get(entity),
                    template=template,
                    example=examples.get((entity, template), ""),
                    before=before,
                    after=after,
                    expected=round(expected, 1),
                    p_value=p_value,
                    since=onset + timedelta(minutes=minute),
                    span_ids=spans.get((entity, template), []),
                    source=source,
                )
            )
        found.sort(key=lambda s: (s.p_value, s.template))
        shifts.extend(found[:_MAX_PER_ENTITY])
    shifts.sort(key=lambda s: (s.p_value, s.entity, s.template))
    return shifts


def _best_change(per_minute: Counter[int], totals: Counter[int]) -> tuple[int, int, int, float, float] | None:
    """The change minute at which the template's drop is least likely by chance, if significant."""
    best: tuple[int, int, int, float, float] | None = None
    for m in CHANGE_MINUTES:
        if not totals.get(m - 1):
            # A change is seen between adjacent minutes; across a gap in the data it may be
            # nothing but two different moments (a distant baseline with another load mix).
            continue
        before = sum(c for minute, c in per_minute.items() if minute < m)
        after = sum(c for minute, c in per_minute.items() if minute >= m)
        others_before = sum(c for minute, c in totals.items() if minute < m) - before
        others_after = sum(c for minute, c in totals.items() if minute >= m) - after
        if before == 0 or others_before <= 0 or others_after <= 0:
            continue
        expected = before * others_after / others_before
        if expected < MIN_EXPECTED or after > MAX_KEPT_SHARE * expected:
            continue
        # Given before + after lines of this template, how many fall after the change if the
        # template kept its share of the entity's lines.
        share_after = others_after / (others_before + others_after)
        p_value = min(1.0, _binomial_cdf(after, before + after, share_after) * len(CHANGE_MINUTES))
        if p_value < SIGNIFICANCE and (best is None or p_value < best[4]):
            best = (m, before, after, expected, p_value)
    return best


def _poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean)."""
    term, total = math.exp(-mean), 0.0
    for i in range(k + 1):
        total += term
        term *= mean / (i + 1)
    return min(1.0, total)


def _verdict(shift: LineShift, calls_before: int, calls_after: int) -> str:
    """``cut`` when the endpoint kept being called, ``called_less`` when it clearly was not."""
    if calls_before <= 0 or shift.before <= 0:
        return "unknown"
    # Lines the endpoint would have written after the change at its old lines per call.
    kept = shift.before / calls_before * calls_after
    if kept >= MIN_EXPECTED:
        return "cut" if shift.after <= MAX_KEPT_SHARE * kept else "called_less"
    # Too few calls after the change to expect a line: either its callers stopped calling
    # (a clear drop against the entity's own activity then), or there is too little to tell.
    expected_calls = calls_before * shift.expected / shift.before
    if expected_calls >= MIN_EXPECTED and _poisson_cdf(calls_after, expected_calls) < _CALLS_SIGNIFICANCE:
        return "called_less"
    return "unknown"


def judge_shifts(
    shifts: list[LineShift],
    endpoints: Mapping[str, tuple[str, str]],
    calls: Mapping[tuple[str, str], Mapping[datetime, int]],
) -> list[LineShift]:
    """Say for each shift whether its endpoint was still called (``cut``) or called less.

    ``endpoints`` maps a span id to (service, span name) of the span that wrote the line;
    ``calls`` maps (service, span name) to calls per minute. A shift whose lines name no
    known span stays ``unknown``.
    """
    judged: list[LineShift] = []
    for shift in shifts:
        names = Counter(endpoints[s] for s in shift.span_ids if s in endpoints)
        if not names:
            judged.append(shift)
            continue
        endpoint = names.most_common(1)[0][0]
        per_minute = calls.get(endpoint, {})
        before = sum(c for ts, c in per_minute.items() if ts < shift.since)
        after = sum(c for ts, c in per_minute.items() if ts >= shift.since)
        update: dict[str, object] = {
            "endpoint": endpoint[1],
            "endpoint_before": before,
            "endpoint_after": after,
        }
        update["verdict"] = _verdict(shift, before, after)
        judged.append(shift.model_copy(update=update))
    return judged
