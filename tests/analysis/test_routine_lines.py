"""A routine log line that stops while its endpoint is still called: a code path cut short.

Synthetic logs and spans only; the rule is about how services behave in general (an
exception or early return ends a path without logging), not about any dataset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dynatrace_agent.analysis.evidence import LineShift
from dynatrace_agent.analysis.rank import rank_root_causes
from dynatrace_agent.analysis.signals.routine_lines import judge_shifts, line_shifts, line_template

from .scenarios import START, evidence, svc, traces

FRONT, MID, DEEP = "SERVICE-000000000000000F", "SERVICE-0000000000000001", "SERVICE-0000000000000002"
PG = {
    FRONT: "PROCESS_GROUP-000000000000000F",
    MID: "PROCESS_GROUP-0000000000000001",
    DEEP: "PROCESS_GROUP-0000000000000002",
}


def _line(
    minute: int, second: int, group: str, text: str, *, level: str = "INFO", span: str = ""
) -> dict[str, Any]:
    ts = START + timedelta(minutes=minute, seconds=second)
    where = f"c.e.QuoteService#{40 if 'quote' in text else 71}"
    context = f"TraceID: ab12cd34ef56ab78 SpanID: {span or 'cd34ef56ab12cd34'}"
    return {
        "timestamp": ts.isoformat().replace("+00:00", "Z"),
        "content": f"{ts:%H:%M:%S}.123 {level}  {where} {context} {text}",
        "loglevel": level,
        "dt.entity.process_group": group,
        "span_id": span,
    }


def _traffic(
    *, cut_from: int | None, minutes: range = range(-8, 2), per_minute: int = 30
) -> list[dict[str, Any]]:
    """Each request logs "received" and, unless the path is cut, "quote computed"."""
    lines = []
    for m in minutes:
        for i in range(per_minute):
            span = f"{m + 100:02x}{i:014x}"
            lines.append(_line(m, i, PG[DEEP], f"[getQuote][received] route {i}", span=span))
            if cut_from is None or m < cut_from:
                lines.append(_line(m, i, PG[DEEP], f"[getQuote][quote computed] price {i * 3}", span=span))
    return lines


def test_template_keeps_the_statement_and_masks_values() -> None:
    a = line_template(
        "19:20:07.893 INFO  p.c.PriceController#46 TraceID: 4e7e SpanID: 17c8 [query][price for route 12]"
    )
    b = line_template(
        "19:21:09.001 INFO  p.c.PriceController#46 TraceID: 9f00 SpanID: 0a1b [query][price for route 99]"
    )
    c = line_template(
        "19:21:09.001 INFO  p.c.PriceController#39 TraceID: 9f00 SpanID: 0a1b [query][price for route 99]"
    )
    assert a == b  # the same statement with other values
    assert a != c  # another statement (source line) is another template


def test_a_line_that_stops_while_its_siblings_go_on_is_a_shift() -> None:
    shifts = line_shifts(_traffic(cut_from=-1), onset=START)
    assert [s.entity for s in shifts] == [PG[DEEP]]
    shift = shifts[0]
    assert "quote computed" in shift.example and shift.after == 0 and shift.p_value < 1e-6
    assert shift.since == START - timedelta(minutes=1)


def test_a_steady_mix_and_a_uniform_drop_in_traffic_are_not_shifts() -> None:
    assert line_shifts(_traffic(cut_from=None), onset=START) == []
    # Half the traffic from the onset on: every line halves, the mix stays.
    lines = _traffic(cut_from=None, minutes=range(-8, -1)) + _traffic(
        cut_from=None, minutes=range(-1, 2), per_minute=15
    )
    assert line_shifts(lines, onset=START) == []


def test_error_lines_that_stop_are_recovery_not_a_cut_path() -> None:
    lines = _traffic(cut_from=None)
    lines += [
        _line(m, 50, PG[DEEP], "[getQuote] request failed", level="ERROR")
        for m in range(-8, -1)
        for _ in range(10)
    ]
    assert line_shifts(lines, onset=START) == []


def _shift(verdict: str = "unknown", p: float = 1e-9) -> LineShift:
    return LineShift(
        entity=PG[DEEP],
        name="deep",
        template="c.e.QuoteService#hb [getQuote][quote computed]",
        example="[getQuote][quote computed] price 3",
        before=200,
        after=0,
        expected=60.0,
        p_value=p,
        since=START - timedelta(minutes=1),
        span_ids=["0a0b0c0d0e0f0102"],
        verdict=verdict,  # type: ignore[arg-type]
    )


def _calls(per_minute_before: int, per_minute_after: int) -> dict[datetime, int]:
    return {
        START + timedelta(minutes=m): (per_minute_before if m < -1 else per_minute_after)
        for m in range(-8, 2)
    }


def test_endpoint_still_called_means_cut_called_less_means_upstream() -> None:
    endpoints = {"0a0b0c0d0e0f0102": (DEEP, "GET /quote")}
    cut = judge_shifts([_shift()], endpoints, {(DEEP, "GET /quote"): _calls(30, 30)})[0]
    assert (cut.verdict, cut.endpoint, cut.endpoint_after) == ("cut", "GET /quote", 90)
    upstream = judge_shifts([_shift()], endpoints, {(DEEP, "GET /quote"): _calls(30, 0)})[0]
    assert upstream.verdict == "called_less"
    assert judge_shifts([_shift()], {}, {})[0].verdict == "unknown"
    # The entity was nearly silent after the change: too few calls expected to tell.
    quiet = _shift().model_copy(update={"expected": 0.5})
    assert judge_shifts([quiet], endpoints, {(DEEP, "GET /quote"): _calls(30, 0)})[0].verdict == "unknown"
    # Few calls after the change, and a dip that chance explains: nothing to tell either way.
    dip = _shift().model_copy(update={"expected": 5.0})
    assert judge_shifts([dip], endpoints, {(DEEP, "GET /quote"): _calls(30, 1)})[0].verdict == "unknown"
    # Lines per call, not calls alone: the endpoint also serves requests that never wrote the line.
    mixed = _shift().model_copy(update={"before": 70})
    assert judge_shifts([mixed], endpoints, {(DEEP, "GET /quote"): _calls(30, 20)})[0].verdict == "cut"


def _candidates() -> list:  # type: ignore[type-arg]
    return [
        svc(FRONT, "front", calls=[MID], relations=["affected"], process_groups=[PG[FRONT]]),
        svc(
            MID, "mid", calls=[DEEP], called_by=[FRONT], relations=["callee"], hop=1, process_groups=[PG[MID]]
        ),
        svc(DEEP, "deep", called_by=[MID], relations=["callee"], hop=2, process_groups=[PG[DEEP]]),
    ]


def test_a_cut_path_outranks_the_caller_where_its_errors_surface() -> None:
    # MID logs the errors and is the deepest span marked failed; DEEP only stopped a line.
    ev = evidence(
        candidates=_candidates(),
        traces=[traces(FRONT, failures=20), traces(MID, failures=20, origins=20), traces(DEEP)],
        line_shifts=[_shift("cut")],
    )
    result = rank_root_causes(ev)
    assert result.ranked[0].entity_id == DEEP
    assert result.ranked[0].category == "code"
    mid = next(r for r in result.ranked if r.entity_id == MID)
    assert any("relayed" in c for c in mid.counter_evidence)


def test_a_line_whose_endpoint_was_called_less_blames_nobody() -> None:
    ev = evidence(
        candidates=_candidates(),
        traces=[traces(MID, failures=20, origins=20)],
        line_shifts=[_shift("called_less")],
    )
    assert rank_root_causes(ev).ranked[0].entity_id == MID
