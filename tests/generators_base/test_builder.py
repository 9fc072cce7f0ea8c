"""Unit behaviour of the builder library: time formats, ids, scenario validation, fault model."""

from __future__ import annotations

import pytest

from evals.generators.base.clock import iso, parse_utc, to_ns
from evals.generators.base.dynamics import Dynamics
from evals.generators.base.kit import call, ep, new_tenant
from evals.generators.base.model import Effect, Entry
from evals.generators.base.rng import CaseRandom, derive_seed


def test_iso_fraction_digits() -> None:
    ns = to_ns(parse_utc("2025-03-04T10:21:07Z")) + 123_456_789
    assert iso(ns) == "2025-03-04T10:21:07.123456789Z"
    assert iso(ns, 3) == "2025-03-04T10:21:07.123Z"
    assert iso(ns, 0) == "2025-03-04T10:21:07Z"
    with pytest.raises(ValueError, match=r"0\.\.9"):
        iso(ns, 10)


def test_seed_derivation_is_stable() -> None:
    assert derive_seed(1, "a") == derive_seed(1, "a") != derive_seed(1, "b")
    assert derive_seed(7, "x") == 15897730785395961261


def _small_tenant() -> tuple[object, Dynamics]:
    rng = CaseRandom(5)
    t = new_tenant(rng, "2025-01-01T00:00:00Z")
    t.host("h", "host-1")
    t.service(
        "db",
        "PostgreSQL x",
        kind="database",
        technology="PostgreSQL",
        latency_ms=2.0,
        error_rate=0.0,
        endpoints=(ep("SELECT"),),
    )
    t.service(
        "b",
        "backend",
        hosts=("h",),
        latency_ms=10.0,
        error_rate=0.0,
        endpoints=(ep("GET /b", call("db", "SELECT")),),
    )
    t.service(
        "a",
        "frontend",
        hosts=("h",),
        latency_ms=5.0,
        error_rate=0.0,
        endpoints=(ep("GET /a", call("b", "GET /b")),),
    )
    entries = (Entry("a", "GET /a", 10),)
    dyn = Dynamics(t, (Effect("db", start=0.0, ramp=0.0, error_rate=0.5),), entries)
    return t, dyn


def test_failure_of_a_dependency_propagates_to_callers() -> None:
    _, dyn = _small_tenant()
    before, after = dyn.minute(-5), dyn.minute(5)
    assert before.fail[("a", "GET /a")] == pytest.approx(0.0)
    assert after.fail[("b", "GET /b")] == pytest.approx(0.45)
    assert after.fail[("a", "GET /a")] == pytest.approx(0.405)
    assert after.blame[("a", "GET /a")] == "b" and after.blame[("b", "GET /b")] == "db"
    assert after.service_count("db") == pytest.approx(10.0)


def test_relationships_follow_the_contract() -> None:
    t, _ = _small_tenant()
    ents = {e["displayName"]: e for e in t.entities()}  # type: ignore[attr-defined]
    a, b, h = ents["frontend"], ents["backend"], ents["host-1"]
    assert a["fromRelationships"]["calls"] == [{"id": b["entityId"], "type": "SERVICE"}]
    assert b["toRelationships"]["calls"] == [{"id": a["entityId"], "type": "SERVICE"}]
    assert b["fromRelationships"]["runsOnHost"] == [{"id": h["entityId"], "type": "HOST"}]
    pg = b["fromRelationships"]["runsOn"][0]["id"]
    assert {"id": pg, "type": "PROCESS_GROUP"} in h["toRelationships"]["runsOn"]


def test_scenario_mistakes_are_named() -> None:
    rng = CaseRandom(1)
    t = new_tenant(rng, "2025-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="unknown host key 'nope'"):
        t.service("x", "x", hosts=("nope",), latency_ms=1.0, endpoints=(ep("GET /"),))
    t.host("h", "h")
    t.service("x", "x", hosts=("h",), latency_ms=1.0, endpoints=(ep("GET /", call("y", "GET /")),))
    with pytest.raises(ValueError, match="calls unknown service 'y'"):
        t.entities()
