"""Callee blame's contract: a failing caller whose error logs name a callee (by name or by
address) hands the blame to that callee, keeps a share, and the report quotes the message."""

from __future__ import annotations

import pytest

from dynatrace_agent.analysis.evidence import Candidate, LogPattern, LogStats
from dynatrace_agent.analysis.ranking.callee_blame import blame_named_callee, named_hosts
from dynatrace_agent.analysis.ranking.context import CandidateIndex, CandidateState, RankContext

from .scenarios import evidence, svc

CART, PRICE, STOCK = "SERVICE-0C", "SERVICE-0P", "SERVICE-0S"
BLAME = "its error logs blame"


def _pattern(text: str, count: int = 10, example: str | None = None) -> LogPattern:
    return LogPattern(
        pattern=text, level="ERROR", incident_count=count, example=text if example is None else example
    )


def _ctx(
    patterns: list[LogPattern],
    *,
    cart: dict[str, float] | None = None,
    price: dict[str, float] | None = None,
    calls: list[str] | None = None,
    candidates: list[Candidate] | None = None,
    top: list[LogPattern] | None = None,
    any_origins: bool = True,
) -> RankContext:
    cands = candidates or [svc(CART, "ts-cart-service"), svc(PRICE, "ts-price-service"), svc(STOCK, "stock")]
    ctx = RankContext(
        evidence=evidence(candidates=cands),
        index=CandidateIndex(cands),
        states={c.entity_id: CandidateState(candidate=c) for c in cands},
        scale=1.0,
        callees={CART: set([PRICE, STOCK] if calls is None else calls)},
        any_origins=any_origins,
    )
    st = ctx.states[CART]
    st.signals.update({"origin": 1.0} if cart is None else cart)
    st.logs = LogStats(
        entity=CART,
        incident_errors=sum(p.incident_count for p in patterns),
        new_patterns=patterns,
        top_patterns=top or [],
        source="fetch logs | filter dt.entity.service == SERVICE-0C",
    )
    ctx.states[PRICE].signals.update(price or {})
    return ctx


def _blamed(ctx: RankContext) -> str | None:
    blame_named_callee(ctx)
    return ctx.states[CART].relays_to


# --- naming a callee --------------------------------------------------------------------------------


def test_a_callee_named_in_the_error_logs_takes_the_blame() -> None:
    ctx = _ctx(
        [_pattern("invalid price from price service: -1")], cart={"origin": 0.8, "logs": 0.5, "latency": 1.0}
    )
    assert _blamed(ctx) == PRICE
    cart, price = ctx.states[CART], ctx.states[PRICE]
    # the callee takes the caller's origin strength (all of it: every message names it)
    assert price.signals["origin"] == pytest.approx(0.8)
    assert price.reasons == [
        "the failures of ts-cart-service are about what it received from this service: "
        "“invalid price from price service: -1”"
    ]
    (item,) = price.evidence
    assert item.kind == "logs"
    assert item.summary == "ts-cart-service's error logs name ts-price-service"
    assert item.entity_id == PRICE
    assert item.source == "fetch logs | filter dt.entity.service == SERVICE-0C"
    assert item.records == ["invalid price from price service: -1"]
    assert price.hints == {"code": 1.0}  # a bad answer: a code fault of the callee
    # the caller keeps a share of its failure signals, not of its other ones
    assert cart.signals["origin"] == pytest.approx(0.32)
    assert cart.signals["logs"] == pytest.approx(0.2)
    assert cart.signals["latency"] == 1.0
    assert cart.counter == [f"{BLAME} ts-price-service: its failures reject what that returned"]
    assert price.signals["origin"] > cart.signals["origin"]


def test_the_blame_grows_with_the_share_of_errors_that_name_the_callee() -> None:
    # a third of the errors: 0.33 + 0.3 of the caller's origin
    ctx = _ctx([_pattern("bad price from price service", 10), _pattern("db write failed", 20)])
    assert _blamed(ctx) == PRICE
    assert ctx.states[PRICE].signals["origin"] == pytest.approx(10 / 30 + 0.3)
    # an example of another pattern is what names it
    assert ctx.states[PRICE].reasons[0].endswith("“bad price from price service”")
    # records: the first three patterns, whichever they name
    ctx2 = _ctx([_pattern(f"error {i} from price service", 5) for i in range(4)])
    blame_named_callee(ctx2)
    assert ctx2.states[PRICE].evidence[0].records == [f"error {i} from price service" for i in range(3)]


def test_at_least_three_tenths_of_the_errors_must_name_the_callee() -> None:
    at = _ctx([_pattern("bad price from price service", 30), _pattern("db write failed", 70)])
    below = _ctx([_pattern("bad price from price service", 29), _pattern("db write failed", 71)])
    assert _blamed(at) == PRICE
    assert _blamed(below) is None
    assert "origin" not in below.states[PRICE].signals and below.states[CART].counter == []
    assert below.states[CART].signals["origin"] == 1.0


def test_patterns_seen_once_do_not_count() -> None:
    ctx = _ctx([_pattern("bad price from price service", 1), _pattern("db write failed", 2)])
    assert _blamed(ctx) is None
    ctx2 = _ctx([_pattern("bad price from price service", 2), _pattern("db write failed", 1)])
    assert _blamed(ctx2) == PRICE
    only_once = _ctx([_pattern("bad price from price service", 1)])
    assert _blamed(only_once) is None


def test_top_patterns_count_when_there_are_no_new_ones() -> None:
    ctx = _ctx([], top=[_pattern("bad price from price service")])
    assert _blamed(ctx) == PRICE
    # new patterns win over the top ones
    ctx2 = _ctx([_pattern("db write failed")], top=[_pattern("bad price from price service")])
    assert _blamed(ctx2) is None


def test_the_callee_most_of_the_errors_name_is_blamed() -> None:
    ctx = _ctx([_pattern("bad price from price service", 4), _pattern("stock service said no", 6)])
    assert _blamed(ctx) == STOCK
    ctx2 = _ctx([_pattern("bad price from price service", 6), _pattern("stock service said no", 4)])
    assert _blamed(ctx2) == PRICE
    # a tie keeps the first in id order
    ctx3 = _ctx([_pattern("bad price from price service", 5), _pattern("stock service said no", 5)])
    assert _blamed(ctx3) == PRICE


def test_only_callees_are_found_by_name() -> None:
    ctx = _ctx([_pattern("bad price from price service")], calls=[STOCK])
    assert _blamed(ctx) is None


def test_the_message_example_is_quoted_up_to_160_characters() -> None:
    long = "price service returned garbage " + "x" * 300
    ctx = _ctx([_pattern("price service returned <*>", example=long)])
    blame_named_callee(ctx)
    reason = ctx.states[PRICE].reasons[0]
    assert f"“{long[:160]}”" in reason and long[:161] not in reason
    no_example = _ctx([_pattern("price service returned <*>", example="")])
    blame_named_callee(no_example)
    assert no_example.states[PRICE].reasons[0].endswith("“price service returned <*>”")


# --- how a service may be named ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "call to ts-price-service failed",
        "TS PRICE SERVICE rejected",
        "bad answer from price_service",
        "bad answer from price-svc",
        "bad answer from priceapi",
        "bad answer from price server",
        "bad answer from ts_price_service",
    ],
)
def test_a_service_is_named_by_its_name_its_words_or_its_core_with_a_suffix(message: str) -> None:
    assert _blamed(_ctx([_pattern(message)])) == PRICE


@pytest.mark.parametrize(
    "message", ["bad answer from pricelist", "priceservice2 failed", "the price was wrong"]
)
def test_a_name_inside_another_word_names_nothing(message: str) -> None:
    assert _blamed(_ctx([_pattern(message)])) is None


def test_names_made_only_of_generic_words_or_too_short_name_nothing() -> None:
    cands = [svc(CART, "cart"), svc(PRICE, "api-service"), svc(STOCK, "ts-ab")]
    assert _blamed(_ctx([_pattern("api-service failed")], candidates=cands)) is None
    assert _blamed(_ctx([_pattern("ts-ab failed")], candidates=cands)) is None
    three = [svc(CART, "cart"), svc(PRICE, "ts-abc"), svc(STOCK, "stock")]
    assert _blamed(_ctx([_pattern("abc service failed")], candidates=three)) == PRICE
    unnamed = [svc(CART, "cart"), svc(PRICE, None), svc(STOCK, "stock")]  # type: ignore[arg-type]
    assert _blamed(_ctx([_pattern("price failed")], candidates=unnamed)) is None
    # an unnamed callee does not stop the search for a named one
    assert _blamed(_ctx([_pattern("stock service failed")], candidates=unnamed)) == STOCK


@pytest.mark.parametrize(
    "generic", ["ts", "svc", "service", "services", "api", "app", "server", "srv", "ms", "prod"]
)
def test_generic_words_are_not_what_names_a_service(generic: str) -> None:
    cands = [svc(CART, "cart"), svc(PRICE, f"{generic}-pr"), svc(STOCK, "stock")]
    assert _blamed(_ctx([_pattern(f"call to {generic} failed")], candidates=cands)) is None
    named = [svc(CART, "cart"), svc(PRICE, f"the-{generic}-pricing"), svc(STOCK, "stock")]
    assert _blamed(_ctx([_pattern("pricing service failed")], candidates=named)) == PRICE


# --- naming by address -----------------------------------------------------------------------------


def test_named_hosts_read_urls_host_ports_and_kubernetes_dns_names() -> None:
    assert named_hosts("GET http://ts-price-service:8080/api/v1 failed") == ["ts-price-service"]
    assert named_hosts("https://user:pw@Price.example.com/x") == ["price"]
    assert named_hosts("dial tcp stock.default.svc.cluster.local:9000: refused") == ["stock"]
    assert named_hosts("lookup stock.default.svc failed") == ["stock"]
    assert named_hosts("connect to stock:5432 refused") == ["stock"]
    assert named_hosts("redis-cache.prod:6379 timeout") == ["redis-cache"]
    # IP addresses and localhost name nothing; each host once
    assert named_hosts("http://10.0.0.7:8080/x and localhost:8080 and http://localhost/") == []
    assert named_hosts("http://a1/x then http://a1/y, then b2:80") == ["a1", "b2"]
    assert named_hosts("at 12:30 the count was 5") == []
    assert named_hosts("ratio 3:2000") == []


def test_a_candidate_addressed_in_the_logs_takes_the_blame_without_a_call_edge() -> None:
    ctx = _ctx([_pattern("POST http://stock:8080/reserve returned 500 <*>")], calls=[])
    assert _blamed(ctx) == STOCK
    stock = ctx.states[STOCK]
    assert stock.signals["origin"] == pytest.approx(1.0)
    assert stock.reasons[0].endswith("“POST http://stock:8080/reserve returned 500 <*>”")
    assert stock.evidence[0].summary == "ts-cart-service's error logs name stock"


def test_addresses_that_share_the_errors_add_up_and_the_most_addressed_wins() -> None:
    ctx = _ctx(
        [_pattern("http://stock/a failed", 2), _pattern("http://stock/b failed", 2), _pattern("other", 6)],
        calls=[],
    )
    assert _blamed(ctx) == STOCK
    assert ctx.states[STOCK].signals["origin"] == pytest.approx(0.4 + 0.3)
    ctx2 = _ctx(
        [_pattern("http://stock/a failed", 3), _pattern("http://ts-price-service/b failed", 4)],
        calls=[],
    )
    assert _blamed(ctx2) == PRICE
    few = _ctx([_pattern("http://stock/a failed", 2), _pattern("other", 5)], calls=[])
    assert _blamed(few) is None  # two of seven


def test_addresses_of_itself_or_unknown_hosts_blame_nothing() -> None:
    assert _blamed(_ctx([_pattern("listening on http://ts-cart-service:8080 failed")], calls=[])) is None
    assert _blamed(_ctx([_pattern("GET http://inventory:8080/x failed")], calls=[])) is None


def test_a_known_entity_that_is_no_candidate_is_not_blamed() -> None:
    ctx = _ctx([_pattern("GET http://stock:8080/x failed")], calls=[])
    del ctx.states[STOCK]
    assert _blamed(ctx) is None


def test_an_address_beats_a_weaker_name_and_a_name_a_weaker_address() -> None:
    ctx = _ctx([_pattern("bad price from price service", 4), _pattern("http://stock/x failed", 6)])
    assert _blamed(ctx) == STOCK
    ctx2 = _ctx([_pattern("bad price from price service", 6), _pattern("http://stock/x failed", 4)])
    assert _blamed(ctx2) == PRICE


# --- when the blame does not move ---------------------------------------------------------------------


def test_a_caller_that_does_not_fail_blames_nobody() -> None:
    assert _blamed(_ctx([_pattern("bad price from price service")], cart={"latency": 1.0})) is None
    assert _blamed(_ctx([_pattern("bad price from price service")], cart={"origin": 0.0})) is None


def test_without_failure_origins_any_failure_sign_can_relay_blame() -> None:
    for signal in ("failure_rate", "failure_metric", "logs"):
        with_origins = _ctx([_pattern("bad price from price service")], cart={signal: 0.6})
        assert _blamed(with_origins) is None, signal
        blind = _ctx([_pattern("bad price from price service")], cart={signal: 0.6}, any_origins=False)
        assert _blamed(blind) == PRICE, signal
        assert blind.states[PRICE].signals["origin"] == pytest.approx(0.6)
        assert blind.states[CART].signals[signal] == pytest.approx(0.24)
    strongest = _ctx(
        [_pattern("bad price from price service")], cart={"logs": 0.4, "failure_rate": 0.7}, any_origins=False
    )
    blame_named_callee(strongest)
    assert strongest.states[PRICE].signals["origin"] == pytest.approx(0.7)


def test_a_caller_without_logs_or_with_only_empty_patterns_blames_nobody() -> None:
    ctx = _ctx([_pattern("bad price from price service")])
    ctx.states[CART].logs = None
    assert _blamed(ctx) is None
    assert _blamed(_ctx([])) is None


def test_a_caller_that_relays_or_fails_in_its_outgoing_calls_keeps_its_blame_where_it_is() -> None:
    relaying = _ctx([_pattern("bad price from price service")])
    relaying.states[CART].relays_to = STOCK
    assert _blamed(relaying) == STOCK and "origin" not in relaying.states[PRICE].signals
    client = _ctx([_pattern("bad price from price service")])
    client.states[CART].client_origin = True
    assert _blamed(client) is None and "origin" not in client.states[PRICE].signals


def test_a_timeout_naming_a_healthy_callee_does_not_blame_it() -> None:
    for message in (
        "timeout calling price service",
        "price service timed out",
        "price service too slow",
        "deadline exceeded on price service",
        "price service latency high",
        "price service took 5000 ms",
    ):
        assert _blamed(_ctx([_pattern(message)])) is None, message


@pytest.mark.parametrize(
    "own", ["latency", "failure_rate", "failure_metric", "origin", "resource", "neighbour", "network", "path"]
)
def test_a_timeout_naming_a_callee_in_trouble_of_its_own_blames_it(own: str) -> None:
    ctx = _ctx([_pattern("timeout calling price service")], price={own: 0.2})
    assert _blamed(ctx) == PRICE
    # a slow answer is no wrong answer: no code hint
    assert ctx.states[PRICE].hints == {}


@pytest.mark.parametrize("own", ["resource", "neighbour", "network", "path"])
def test_a_bad_answer_from_a_callee_short_of_resources_is_no_code_fault(own: str) -> None:
    ctx = _ctx([_pattern("bad price from price service")], price={own: 0.2})
    assert _blamed(ctx) == PRICE
    assert ctx.states[PRICE].hints == {}
    busy = _ctx([_pattern("bad price from price service")], price={"latency": 0.2})
    blame_named_callee(busy)
    assert busy.states[PRICE].hints == {"code": 1.0}


def test_the_quoted_example_is_one_that_names_the_blamed_callee() -> None:
    ctx = _ctx(
        [_pattern("db write failed", 3), _pattern("GET http://ts-price-service/x 500", 7)],
    )
    assert _blamed(ctx) == PRICE
    assert ctx.states[PRICE].reasons[0].endswith("“GET http://ts-price-service/x 500”")
    # a timeout on another pattern does not stop a bad answer named in the quoted one
    ctx2 = _ctx([_pattern("bad price from price service", 7), _pattern("timeout on db", 3)])
    assert _blamed(ctx2) == PRICE


def test_blame_moves_once_per_caller() -> None:
    ctx = _ctx([_pattern("bad price from price service")])
    blame_named_callee(ctx)
    blame_named_callee(ctx)
    assert ctx.states[CART].counter == [f"{BLAME} ts-price-service: its failures reject what that returned"]
    assert ctx.states[CART].signals["origin"] == pytest.approx(0.4)


def test_an_address_repeated_in_one_message_counts_no_more_than_all_errors() -> None:
    # every message names the price service and addresses stock twice: neither share exceeds all
    ctx = _ctx(
        [_pattern("bad price from price service via http://stock:80/x (stock-7d9f8c6b5-x2k4q.default.svc)")]
    )
    assert _blamed(ctx) == PRICE
    assert ctx.states[PRICE].signals["origin"] == pytest.approx(1.0)


def test_a_caller_without_known_callees_blames_by_address() -> None:
    ctx = _ctx([_pattern("GET http://stock:8080/x failed")])
    ctx.callees.clear()
    assert _blamed(ctx) == STOCK


def test_an_address_on_three_tenths_of_the_errors_is_enough() -> None:
    at = _ctx([_pattern("GET http://stock/x failed", 3), _pattern("db write failed", 7)], calls=[])
    assert _blamed(at) == STOCK
    assert at.states[STOCK].signals["origin"] == pytest.approx(0.6)


def test_ties_keep_the_named_callee_then_the_first_address_in_id_order() -> None:
    named_first = _ctx([_pattern("bad price from price service", 5), _pattern("http://stock/x failed", 5)])
    assert _blamed(named_first) == PRICE
    two_addresses = _ctx(
        [_pattern("http://stock/x failed", 5), _pattern("http://ts-price-service/y failed", 5)], calls=[]
    )
    assert _blamed(two_addresses) == PRICE


def test_callers_that_cannot_blame_do_not_stop_one_that_can() -> None:
    ids = ["SERVICE-1", "SERVICE-2", "SERVICE-3", "SERVICE-4"]
    cands = [svc(i, f"caller-{n}") for n, i in enumerate(ids)]
    cands += [svc(CART, "ts-cart-service"), svc(PRICE, "ts-price-service"), svc(STOCK, "stock")]
    ctx = _ctx([_pattern("bad price from price service")], candidates=cands)
    ctx.callees.update({i: {PRICE} for i in ids})
    quiet = LogStats(
        entity="x", incident_errors=1, new_patterns=[_pattern("bad price from price service", 1)]
    )
    unrelated = LogStats(entity="x", incident_errors=9, new_patterns=[_pattern("db write failed", 9)])
    slow = LogStats(
        entity="x", incident_errors=9, new_patterns=[_pattern("timeout calling price service", 9)]
    )
    for cid, lg in zip(ids, (None, quiet, unrelated, slow), strict=True):
        ctx.states[cid].signals["origin"] = 1.0
        ctx.states[cid].logs = lg
    assert _blamed(ctx) == PRICE
    assert [ctx.states[i].relays_to for i in ids] == [None, None, None, None]


@pytest.mark.parametrize(
    "message", ["shippingrate service failed", "bad answer from shipping_rate api", "Shipping-Rate-Svc"]
)
def test_a_name_of_several_words_is_recognised_with_or_without_separators(message: str) -> None:
    cands = [svc(CART, "cart"), svc(PRICE, "ts-shipping-rate-service"), svc(STOCK, "stock")]
    assert _blamed(_ctx([_pattern(message)], candidates=cands)) == PRICE


def test_a_name_without_a_service_suffix_is_recognised_by_its_words() -> None:
    cands = [svc(CART, "cart"), svc(PRICE, "order-book"), svc(STOCK, "stock")]
    assert _blamed(_ctx([_pattern("Order Book rejected the quote")], candidates=cands)) == PRICE
    assert _blamed(_ctx([_pattern("order_book rejected the quote")], candidates=cands)) == PRICE


def test_a_short_name_is_recognised_by_its_address_and_that_message_is_quoted() -> None:
    cands = [svc(CART, "cart"), svc(PRICE, "price"), svc(STOCK, "db", type="DATABASE_SERVICE")]
    ctx = _ctx(
        [_pattern("query failed, retrying", 4), _pattern("dial tcp db:5432: connection refused", 6)],
        candidates=cands,
        calls=[],
    )
    assert _blamed(ctx) == STOCK
    assert ctx.states[STOCK].reasons[0].endswith("“dial tcp db:5432: connection refused”")
