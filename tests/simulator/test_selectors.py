"""Selector parsing and the meaning of every entitySelector / problemSelector criterion."""

from __future__ import annotations

import pytest

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.simulator.entities import EntityIndex
from dynatrace_agent.simulator.problems import compile_problem_selector, sort_problems
from dynatrace_agent.simulator.selectors import Criterion, SelectorError, parse_selector
from dynatrace_agent.simulator.tags import parse_tag


def test_parser_builds_nested_criteria_with_escapes() -> None:
    parsed = parse_selector(
        'type(SERVICE), not(tag("a:b")),entityName.in("x~"y", "z"),fromRelationships.calls(type("HOST"))'
    )
    assert [c.name for c in parsed] == ["type", "not", "entityName.in", "fromRelationships.calls"]
    assert parsed[0].strings() == ["SERVICE"]
    assert isinstance(parsed[1].args[0], Criterion) and parsed[1].args[0].strings() == ["a:b"]
    assert parsed[2].strings() == ['x"y', "z"]
    assert parsed[3].criteria()[0].name == "type"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("type(SERVICE", "missing ')'"),
        ('type("SERVICE)', "unterminated"),
        ("type SERVICE", "parentheses"),
        ("type(SERVICE) x", "unexpected"),
        (",type(SERVICE)", "expected a criterion"),
        ("x" * 2001, "at most 2000"),
    ],
)
def test_parser_errors_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(SelectorError, match="position") as info:
        parse_selector(text)
    assert fragment in str(info.value)


def test_tag_parsing() -> None:
    tag = parse_tag("[AWS]Name:web\\:1")
    assert (tag.context, tag.key, tag.value) == ("AWS", "Name", "web:1")
    # Only the first unescaped colon separates key and value; an escaped one belongs to the key.
    plain = parse_tag("Name:web:1")
    assert (plain.context, plain.key, plain.value) == (None, "Name", "web:1")
    escaped_key = parse_tag("a\\:b:c")
    assert (escaped_key.key, escaped_key.value) == ("a:b", "c")
    assert parse_tag("team").value is None


@pytest.fixture(scope="module")
def index(sim_case: IncidentCase) -> EntityIndex:
    return EntityIndex(sim_case.entities, sim_case.problems, sim_case.now)


def _names(index: EntityIndex, selector: str) -> list[str]:
    return sorted(e["displayName"] for e in index.select(selector))


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ('type("SERVICE")', ["Checkout-Legacy", "checkout", "frontend", "payment"]),
        ("type(host)", ["app-host-2", "web-host-1"]),
        ('entityId("SERVICE-00000000000000C1","SERVICE-00000000000000D1")', ["checkout", "payment"]),
        ('type(SERVICE),entityName("CHECK")', ["Checkout-Legacy", "checkout"]),
        ('type(SERVICE),entityName.equals("CHECKOUT")', ["checkout"]),
        ('type(SERVICE),caseSensitive(entityName.equals("CHECKOUT"))', []),
        ('type(SERVICE),entityName.startsWith("check")', ["Checkout-Legacy", "checkout"]),
        ('type(SERVICE),entityName.in("payment","frontend")', ["frontend", "payment"]),
        ('type(SERVICE),tag("team:checkout")', ["checkout"]),
        ('type(SERVICE),tag("team")', ["checkout", "frontend", "payment"]),
        ('type(SERVICE),tag("[AWS]Name:web\\:1")', ["checkout"]),
        ('type(SERVICE),tag("[Kubernetes]team:checkout")', []),
        ('type(HOST),tag("env:prod")', ["app-host-2", "web-host-1"]),
        ('type(SERVICE),healthState("UNHEALTHY")', ["checkout", "frontend"]),
        ('type(SERVICE),healthState("HEALTHY")', ["Checkout-Legacy", "payment"]),
        ('type(SERVICE),mzName("shop")', ["checkout", "frontend"]),
        ("type(SERVICE),mzId(42)", ["checkout", "frontend"]),
        ('type(SERVICE),serviceType("WEB_SERVICE")', ["frontend"]),
        ('type(SERVICE),softwareTechnologies("java")', ["checkout"]),
        ("type(HOST),cpuCores.exists()", ["app-host-2", "web-host-1"]),
        ('type(SERVICE),not(tag("env:prod"))', ["Checkout-Legacy"]),
        ("type(SERVICE),lastSeenTms.lt(now-3d)", ["Checkout-Legacy"]),
        ("type(SERVICE),firstSeenTms.gte(now-40d)", ["checkout", "frontend", "payment"]),
        # frontend records calls->checkout on itself; payment records checkout->payment on its toRelationships
        ('type(SERVICE),fromRelationships.calls(type(SERVICE),entityName.equals("checkout"))', ["frontend"]),
        ('type(SERVICE),fromRelationships.calls(type(SERVICE),entityName.equals("payment"))', ["checkout"]),
        ('type(SERVICE),toRelationships.calls(type(SERVICE),entityName.equals("checkout"))', ["payment"]),
        ('type(HOST),toRelationships.runsOnHost(type(SERVICE),tag("team:checkout"))', ["app-host-2"]),
        (
            'type(HOST),toRelationships.runsOnHost(type(SERVICE),toRelationships.calls(entityName("frontend")))',
            ["app-host-2"],
        ),
    ],
)
def test_entity_selector_semantics(index: EntityIndex, selector: str, names: list[str]) -> None:
    assert _names(index, selector) == sorted(names)


@pytest.mark.parametrize(
    ("selector", "fragment"),
    [
        ('entityName("x")', "type("),
        ('type(SERVICE),not(type("HOST"))', "cannot be negated"),
        ('entityId("HOST-1","SERVICE-2")', "same type"),
        ('type(SERVICE),healthState("SICK")', "HEALTHY or UNHEALTHY"),
        ("type(SERVICE),fromRelationships.calls(x)", "nested selector"),
        ('type(SERVICE),weird.op("x")', "unknown"),
        ("type(SERVICE),firstSeenTms.gt(yesterday)", "not a time"),
        ("type(SERVICE),tag()", "at least one value"),
    ],
)
def test_entity_selector_errors(index: EntityIndex, selector: str, fragment: str) -> None:
    with pytest.raises(SelectorError) as info:
        index.select(selector)
    assert fragment in str(info.value)


def _ids(case: IncidentCase, selector: str) -> list[str]:
    check = compile_problem_selector(selector)
    return sorted(p["displayId"] for p in case.problems if check(p))


@pytest.mark.parametrize(
    ("selector", "ids"),
    [
        ('status("open")', ["P-250304"]),
        ('status("CLOSED")', ["P-250301", "P-250303"]),
        ('severityLevel("ERROR","PERFORMANCE")', ["P-250303", "P-250304"]),
        ('impactLevel("INFRASTRUCTURE")', ["P-250301"]),
        ('displayId("P-250303")', ["P-250303"]),
        ('displayId("250304")', ["P-250304"]),
        ('problemId("-333_1740800000000V2")', ["P-250301"]),
        ('entityTags("team:payments")', ["P-250303"]),
        ('entityTags("env")', ["P-250304"]),
        ('entityTags("[CONTEXTLESS]team:checkout")', ["P-250304"]),
        ('text("failure RATE")', ["P-250304"]),
        ('rootCauseEntity("SERVICE-00000000000000F1")', ["P-250304"]),
        ('affectedEntities("SERVICE-00000000000000D1")', ["P-250303"]),
        ('impactedEntities("APPLICATION-00000000000000A1")', ["P-250304"]),
        ('affectedEntityTypes("HOST")', ["P-250301"]),
        ('managementZones("Shop")', ["P-250304"]),
        ('problemFilterNames("payments")', ["P-250303"]),
        ('problemFilterNames.equals("payments")', []),
        ("underMaintenance(true)", ["P-250301"]),
        ('status("closed"),severityLevel("PERFORMANCE")', ["P-250303"]),
    ],
)
def test_problem_selector_semantics(sim_case: IncidentCase, selector: str, ids: list[str]) -> None:
    assert _ids(sim_case, selector) == ids


@pytest.mark.parametrize(
    ("selector", "fragment"),
    [
        ('status("sleeping")', "unknown"),
        ('severityLevel("BAD")', "use one of"),
        ('bogus("x")', "unknown problemSelector criterion"),
        ('text("' + "x" * 31 + '")', "30 characters"),
        ("status()", "quoted values"),
        ('underMaintenance("maybe")', "true or false"),
    ],
)
def test_problem_selector_errors(selector: str, fragment: str) -> None:
    with pytest.raises(SelectorError) as info:
        compile_problem_selector(selector)
    assert fragment in str(info.value)


def test_problem_sort(sim_case: IncidentCase) -> None:
    default = [p["displayId"] for p in sort_problems(sim_case.problems, None)]
    assert default == ["P-250304", "P-250303", "P-250301"]  # open first, then newest
    oldest = [p["displayId"] for p in sort_problems(sim_case.problems, "+startTime")]
    assert oldest == ["P-250301", "P-250303", "P-250304"]
    closed_first = [p["displayId"] for p in sort_problems(sim_case.problems, "-status,+startTime")]
    assert closed_first == ["P-250301", "P-250303", "P-250304"]
    with pytest.raises(SelectorError, match="cannot sort"):
        sort_problems(sim_case.problems, "title")
