"""Contract of the log pass: error-rate jumps and new error patterns, and the category their text hints at.

* the error rate is per minute of each window; a jump counts from 3 incident errors on, as
  log2 of the rate ratio over four doublings (the baseline gets one error's allowance);
* each new pattern seen at least twice adds 0.2, two at most;
* a candidate whose failures are relayed (or moved to a dependency) keeps 0.4 of it;
* the text of the patterns hints at a category (first matching family wins), shared by how
  often each pattern occurred, and scaled by the signal; a relaying caller's hints go to the
  dependency it relays too.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from dynatrace_agent.analysis.evidence import Evidence, LogPattern, LogStats, Window
from dynatrace_agent.analysis.ranking.candidates import attach_evidence
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext
from dynatrace_agent.analysis.ranking.logs import log_signals

from .scenarios import START, evidence, svc

CART = "SERVICE-00000000000000CA"
DB = "SERVICE-00000000000000DB"
#: 20 baseline minutes, 10 incident minutes: rates differ from counts, and from each other.
WINDOW = Window(
    baseline_start=START - timedelta(minutes=20),
    baseline_end=START,
    incident_start=START,
    incident_end=START + timedelta(minutes=10),
)


def _pattern(text: str, count: int = 5, example: str | None = None) -> LogPattern:
    return LogPattern(
        pattern=text, level="ERROR", incident_count=count, example=text if example is None else example
    )


def _logs(
    base: int, inc: int, new: list[LogPattern] | None = None, top: list[LogPattern] | None = None
) -> LogStats:
    return LogStats(
        entity=CART,
        baseline_errors=base,
        incident_errors=inc,
        new_patterns=new or [],
        top_patterns=top or [],
        source="fetch logs | errors",
    )


def _ctx(ev: Evidence) -> RankContext:
    ctx = RankContext(
        evidence=ev,
        index=CandidateIndex(list(ev.candidates)),
        states={c.entity_id: CandidateState(candidate=c) for c in ev.candidates},
        scale=1.0,
    )
    attach_evidence(ctx)
    return ctx


def _run(
    lg: LogStats | None, *, window: Window | None = WINDOW, relays: bool = False, counter: str = ""
) -> RankContext:
    ev = evidence(
        candidates=[svc(CART, "cart", relations=["affected"]), svc(DB, "orders-db", is_database=True)],
        logs=[lg] if lg is not None else [],
        window=window,
    )
    ctx = _ctx(ev)
    if relays:
        ctx.states[CART].relays_to = DB
    if counter:
        ctx.states[CART].counter.append(counter)
    log_signals(ctx)
    return ctx


def test_an_error_rate_jump_is_read_per_minute_of_each_window() -> None:
    # 20 errors in 20 baseline minutes, 40 in 10 incident minutes: 1/min → 4/min.
    st = _run(_logs(20, 40, top=[_pattern("request failed")])).states[CART]
    expected = math.log2(4.0 / (1.0 + 1.0 / 20)) / 4.0
    assert st.signals == {"logs": pytest.approx(expected)}
    assert st.reasons == ["error logs 1/min → 4/min"]
    (item,) = st.evidence
    assert (item.kind, item.entity_id, item.source) == ("logs", CART, "fetch logs | errors")
    assert item.summary == "error logs 1/min → 4/min"
    assert item.records == ["request failed"]


def test_without_a_window_counts_are_per_minute() -> None:
    st = _run(_logs(1, 16), window=None).states[CART]
    assert st.reasons == ["error logs 1/min → 16/min"]
    assert st.signals["logs"] == pytest.approx(math.log2(16 / 2) / 4)


def test_a_quiet_baseline_still_needs_the_rate_to_climb_four_doublings_for_full_strength() -> None:
    # 0 → 16 errors in 10 min (1.6/min) over a one-error allowance (0.05/min): ×32, full.
    assert _run(_logs(0, 16)).states[CART].signals["logs"] == 1.0
    # 0 → 3 in 10 min: 0.3/min over 0.05/min, ×6.
    assert _run(_logs(0, 3)).states[CART].signals["logs"] == pytest.approx(math.log2(6) / 4)


def test_a_jump_counts_from_three_incident_errors_on() -> None:
    assert "logs" in _run(_logs(0, 3)).states[CART].signals
    quiet = _run(_logs(0, 2)).states[CART]
    assert quiet.signals == {} and quiet.reasons == [] and quiet.evidence == [] and quiet.hints == {}


def test_each_new_pattern_seen_twice_adds_a_fifth_two_at_most() -> None:
    one = _run(_logs(0, 2, new=[_pattern("boom", count=2)])).states[CART]
    assert one.signals["logs"] == pytest.approx(0.2)
    two = _run(_logs(0, 2, new=[_pattern("a", 2), _pattern("b", 2)])).states[CART]
    assert two.signals["logs"] == pytest.approx(0.4)
    three = _run(_logs(0, 2, new=[_pattern("a", 2), _pattern("b", 2), _pattern("c", 2)])).states[CART]
    assert three.signals["logs"] == pytest.approx(0.4)
    once = _run(_logs(0, 2, new=[_pattern("rare", count=1)])).states[CART]
    assert once.signals == {}
    # on top of a rate jump, clamped at 1
    assert _run(_logs(0, 16, new=[_pattern("a", 8)])).states[CART].signals["logs"] == 1.0


def test_the_first_new_pattern_is_quoted_and_new_patterns_are_the_records() -> None:
    new = [_pattern("p1", 2, "NullPointerException at Cart.java:42"), _pattern("p2", 2), _pattern("p3", 2)]
    new.append(_pattern("p4", 2))
    st = _run(_logs(0, 8, new=new, top=[_pattern("old")])).states[CART]
    assert st.reasons[0].endswith("; new: “NullPointerException at Cart.java:42”")
    assert st.evidence[0].records == ["p1", "p2", "p3"]
    # a pattern without an example is quoted by its pattern
    st = _run(_logs(0, 2, new=[_pattern("Timeout <*> ms", 2, example="")])).states[CART]
    assert st.reasons[0].endswith("; new: “Timeout <*> ms”")


def test_a_pattern_seen_once_is_not_quoted_and_top_patterns_are_the_records() -> None:
    st = _run(_logs(0, 8, new=[_pattern("rare", 1)], top=[_pattern("t1"), _pattern("t2")])).states[CART]
    assert "new:" not in st.reasons[0]
    assert st.evidence[0].records == ["t1", "t2"]


@pytest.mark.parametrize(
    ("relays", "counter"), [(True, ""), (False, "most of its failures are relayed from orders-db")]
)
def test_relayed_failures_keep_four_tenths_of_the_signal(relays: bool, counter: str) -> None:
    new = [_pattern("a", 2), _pattern("b", 2)]
    full = _run(_logs(0, 2, new=new)).states[CART].signals["logs"]
    relayed = _run(_logs(0, 2, new=new), relays=relays, counter=counter).states[CART]
    assert relayed.signals["logs"] == pytest.approx(0.4 * full)


def test_a_candidate_without_logs_is_left_alone() -> None:
    ctx = _run(None)
    assert all(st.signals == {} and st.hints == {} for st in ctx.states.values())


# -- what the text hints at -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("No route to host", "network"),
        ("write failed: Broken pipe", "network"),
        # network comes before dependency: a reset connection is the wire, not the callee
        ("Connection reset by peer while calling orders-db", "network"),
        ("java.lang.OutOfMemoryError: Java heap space", "resource"),
        ("grpc: RESOURCE EXHAUSTED", "resource"),
        ("Connection refused", "dependency"),
        ("502 Bad Gateway from api", "dependency"),
        ("Config key payment.url missing", "configuration"),
        ("403 Forbidden", "configuration"),
        ("java.lang.IllegalStateException: cart is empty", "code"),
        ("Assertion failed: total >= 0", "code"),
        ("cart checkout did not complete", None),
    ],
)
def test_the_text_of_the_errors_hints_at_a_category(text: str, category: str | None) -> None:
    st = _run(_logs(0, 2, new=[_pattern(text, 2)])).states[CART]
    assert st.hints == ({category: pytest.approx(0.2)} if category else {})


def test_the_example_is_read_with_the_pattern() -> None:
    st = _run(
        _logs(0, 2, new=[_pattern("request <*> failed", 2, example="dns lookup of api failed")])
    ).states[CART]
    assert set(st.hints) == {"network"}


def test_hints_are_shared_by_how_often_each_pattern_occurred_and_scaled_by_the_signal() -> None:
    new = [_pattern("Connection refused", 6), _pattern("NullPointerException", 2)]
    st = _run(_logs(0, 16, new=new)).states[CART]  # full strength
    assert st.hints == {"dependency": pytest.approx(0.75), "code": pytest.approx(0.25)}
    weak = _run(_logs(0, 2, new=new)).states[CART]  # two new patterns: 0.4
    assert weak.hints == {"dependency": pytest.approx(0.3), "code": pytest.approx(0.1)}


def test_without_new_patterns_the_top_patterns_give_the_hints() -> None:
    st = _run(_logs(0, 16, top=[_pattern("deadlock detected", 3)])).states[CART]
    assert st.hints == {"dependency": pytest.approx(1.0)}


def test_a_relaying_caller_s_hints_also_go_to_its_dependency() -> None:
    ctx = _run(_logs(0, 16, new=[_pattern("too many connections", 4)]), relays=True)
    assert ctx.states[CART].hints == {"dependency": pytest.approx(0.4)}
    assert ctx.states[DB].hints == {"dependency": pytest.approx(0.4)}
    alone = _run(_logs(0, 16, new=[_pattern("too many connections", 4)]))
    assert alone.states[DB].hints == {}


def test_the_quote_of_a_new_pattern_follows_the_rates() -> None:
    st = _run(_logs(0, 8, new=[_pattern("Timeout calling ledger", 8)])).states[CART]
    assert st.reasons == ["error logs 0/min → 0.8/min; new: “Timeout calling ledger”"]


def test_patterns_of_one_family_add_up() -> None:
    new = [_pattern("Connection refused", 3), _pattern("deadlock detected", 3), _pattern("panic: nil map", 2)]
    st = _run(_logs(0, 16, new=new)).states[CART]
    assert st.hints == {"dependency": pytest.approx(0.75), "code": pytest.approx(0.25)}


def test_quiet_logs_give_no_hints_at_all() -> None:
    st = _run(_logs(0, 2, new=[_pattern("NullPointerException", 1)])).states[CART]
    assert st.signals == {} and st.hints == {}


def test_a_candidate_without_logs_does_not_stop_the_others() -> None:
    ev = evidence(
        candidates=[svc(DB, "orders-db", is_database=True), svc(CART, "cart")],
        logs=[_logs(0, 16)],
        window=WINDOW,
    )
    ctx = _ctx(ev)
    log_signals(ctx)
    assert ctx.states[CART].signals["logs"] == 1.0
