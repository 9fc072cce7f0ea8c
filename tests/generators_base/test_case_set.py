"""The public set covers what issue 7 asks for, and each case's signals support its truth."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

from tests.generators_base.caseio import CASES_DIR, DEMO_DIR, case_folders, iso_to_ns, read_json, table

PUBLIC = [f for f in case_folders() if f != DEMO_DIR]


def _cases() -> dict[str, dict[str, Any]]:
    return {f.name: read_json(f / "case.json") for f in PUBLIC}


def _problem(folder: Path) -> dict[str, Any]:
    case = read_json(folder / "case.json")
    return next(
        p for p in table(folder, "problems") or [] if case["problem"] in (p["displayId"], p["problemId"])
    )


def test_public_set_covers_the_required_kinds() -> None:
    cases = _cases()
    assert len(cases) >= 12
    categories = collections.Counter(c["expected"]["category"] for c in cases.values())
    for needed in (
        "deployment",
        "configuration",
        "code",
        "resource",
        "dependency",
        "network",
        "traffic",
        "none",
    ):
        assert categories[needed] >= 1, needed
    tags = {t for c in cases.values() for t in c["tags"]}
    for needed in (
        "oauth:none",
        "env:managed",
        "concurrent-problems",
        "davis:symptom",
        "no-spans",
        "no-sessions",
    ):
        assert needed in tags, needed
    assert any(c["expected"]["change_event_id"] is None for c in cases.values())
    assert any(c["problem"].endswith("V2") for c in cases.values()), (
        "one case refers to its problem by problemId"
    )


def test_davis_root_cause_varies_and_symptom_cases_mislead() -> None:
    seen = set()
    for folder in [*PUBLIC, DEMO_DIR]:
        case = read_json(folder / "case.json")
        davis = _problem(folder).get("rootCauseEntity")
        truth = case["expected"]["root_cause"]["entity_id"]
        seen.add("absent" if davis is None else "truth" if davis["entityId"]["id"] == truth else "symptom")
        if "davis:symptom" in case["tags"]:
            assert davis is not None and davis["entityId"]["id"] != truth
    assert seen == {"absent", "truth", "symptom"}


def test_concurrent_case_has_a_second_open_problem() -> None:
    folder = CASES_DIR / "concurrent-cache-oom-and-disk"
    main = _problem(folder)
    others = [
        p
        for p in table(folder, "problems") or []
        if p["status"] == "OPEN" and p is not main and p["problemId"] != main["problemId"]
    ]
    assert others, "the concurrent problem must be open too"


def test_culprit_is_not_the_only_service_logging_errors() -> None:
    for folder in [*PUBLIC, DEMO_DIR]:
        logs = table(folder, "logs")
        if not logs:
            continue
        start_ns = _problem(folder)["startTime"] * 1_000_000
        before = {
            r["service.name"]
            for r in logs
            if r["loglevel"] == "ERROR" and iso_to_ns(r["timestamp"]) < start_ns
        }
        assert len(before) >= 3, f"{folder.name}: healthy services must log some errors before the incident"


def test_failures_at_the_culprit_rise_after_the_start() -> None:
    """Where the truth is a traced service with a failure fault, its spans fail more after the start."""
    for folder in (DEMO_DIR, CASES_DIR / "code-entitlements-npe", CASES_DIR / "config-ledger-pool"):
        case = read_json(folder / "case.json")
        truth = case["expected"]["root_cause"]["entity_id"]
        start_ns = _problem(folder)["startTime"] * 1_000_000
        counts = {True: [0, 0], False: [0, 0]}
        for s in table(folder, "spans") or []:
            if s["dt.entity.service"] == truth and s["span.kind"] == "server":
                bucket = counts[iso_to_ns(s["start_time"]) >= start_ns]
                bucket[0] += 1
                bucket[1] += bool(s["request.is_failed"])
        rate_after = counts[True][1] / max(1, counts[True][0])
        rate_before = counts[False][1] / max(1, counts[False][0])
        assert rate_after > 3 * rate_before + 0.05, folder.name


def test_bizevents_completions_drop_in_the_demo() -> None:
    events = table(DEMO_DIR, "bizevents") or []
    start_ns = _problem(DEMO_DIR)["startTime"] * 1_000_000

    def share(after: bool) -> float:
        done = [
            e
            for e in events
            if (iso_to_ns(e["timestamp"]) >= start_ns) == after
            and e["event.type"] in ("com.shop.order.completed", "com.shop.payment.failed")
        ]
        completed = sum(1 for e in done if e["event.type"] == "com.shop.order.completed")
        return completed / len(done)

    assert share(False) > 0.95 and share(True) < 0.9


def test_generated_data_stays_small() -> None:
    total = sum(p.stat().st_size for root in (CASES_DIR, DEMO_DIR) for p in root.rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024
