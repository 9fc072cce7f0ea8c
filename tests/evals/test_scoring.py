"""Scoring follows the incident-case spec: rank by id or name, misses for failed cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynatrace_agent.case import ExpectedOutcome, load_case
from evals import baselines
from evals.harness import case_tags, check_threshold, discover_cases, render_table, tenant_for
from evals.scoring import Prediction, rank_of_truth, score_case, summarise_results

FIXTURE = Path(__file__).parents[1] / "simulator" / "fixtures" / "small_case"

EXPECTED = ExpectedOutcome(
    root_cause_entity_id="SERVICE-AAAAAAAAAAAAAAAA",
    root_cause_names=("payment", "payment-service"),
    category="deployment",
    change_event_id="evt-1",
)


def test_rank_matches_by_id_or_case_insensitive_name() -> None:
    ranked = [
        {"entity_id": "SERVICE-BBBBBBBBBBBBBBBB", "name": "checkout"},
        {"entity_id": "SERVICE-CCCCCCCCCCCCCCCC", "name": "Payment-Service"},
    ]
    assert rank_of_truth(EXPECTED, ranked) == 2
    assert rank_of_truth(EXPECTED, [{"entity_id": "SERVICE-AAAAAAAAAAAAAAAA", "name": "x"}]) == 1
    assert rank_of_truth(EXPECTED, [{"entity_id": "SERVICE-DDDDDDDDDDDDDDDD", "name": "cart"}]) is None


def test_score_case_category_and_change() -> None:
    hit = score_case(
        EXPECTED, Prediction([{"entity_id": "SERVICE-AAAAAAAAAAAAAAAA"}], "deployment", ["evt-1"])
    )
    assert hit == {"rank": 1, "category_correct": True, "change_event_found": True}
    miss = score_case(EXPECTED, Prediction([], "code", []))
    assert miss == {"rank": None, "category_correct": False, "change_event_found": False}


def test_no_fault_truth_is_found_by_a_none_verdict() -> None:
    truth = ExpectedOutcome(None, (), "none", None)
    assert score_case(truth, Prediction([], "none", []))["rank"] == 1
    assert (
        score_case(truth, Prediction([{"entity_id": "SERVICE-AAAAAAAAAAAAAAAA"}], "code", []))["rank"] is None
    )


def test_summary_counts_failed_cases_as_misses() -> None:
    rows = [
        {"id": "a", "ok": True, "rank": 1, "category_correct": True, "change_event_found": True,
         "wall_ms": 100, "tool_output_tokens": 10},
        {"id": "b", "ok": True, "rank": 3, "category_correct": False, "change_event_found": None,
         "wall_ms": 300, "tool_output_tokens": 30},
        {"id": "c", "ok": False, "rank": None, "category_correct": False, "change_event_found": False,
         "wall_ms": 0, "tool_output_tokens": 0},
    ]  # fmt: skip
    summary = summarise_results(rows)
    assert summary["cases"] == 3 and summary["ok"] == 2
    assert summary["ac_at_1"] == pytest.approx(1 / 3, abs=1e-3)
    assert summary["ac_at_3"] == pytest.approx(2 / 3, abs=1e-3)
    assert summary["category_accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert summary["change_event_recall"] == 0.5
    assert summary["median_wall_ms"] == 200
    gates = {"ac_at_3": 0.6, "category_accuracy": 0.3, "change_event_recall": 0.5}
    assert check_threshold({"summary": summary}, {"ac_at_1": 0.5, **gates})
    assert not check_threshold({"summary": summary}, {"ac_at_1": 0.3, **gates})
    table = render_table({"cases": [], "summary": summary, "baselines": {}, "by_tag": {}})
    assert "AC@1 0.33" in table


def test_discovery_tags_and_tenant_kind(tmp_path: Path) -> None:
    assert discover_cases(FIXTURE) == [FIXTURE]
    assert case_tags(FIXTURE) == ["kind:deployment"]
    case = load_case(FIXTURE)
    options, base = tenant_for(case)
    assert options.oauth_enabled and "/e/" not in base
    case.tags = ["env:managed"]
    options, base = tenant_for(case)
    assert not options.oauth_enabled and "/e/" in base
    with pytest.raises(FileNotFoundError):
        discover_cases(tmp_path / "missing")


def test_baselines_read_the_case_directly() -> None:
    case = load_case(FIXTURE)
    davis = baselines.davis(case)
    assert all("entity_id" in item for item in davis)
    errors = baselines.most_error_logs(case)
    assert errors == sorted(errors, key=lambda item: -item["score"])
    deviation = baselines.largest_metric_deviation(case)
    assert all(item["entity_id"] for item in deviation)


def test_latest_change_and_deepest_failing_span_baselines(tmp_path: Path) -> None:
    from dynatrace_agent.case import CaseWriter

    meta = {"id": "b", "now": "2025-03-04T10:40:00Z", "problem": "P-1", "tags": []}
    problem = {"problemId": "p1", "displayId": "P-1", "startTime": 1741083600000, "endTime": -1}
    events = [
        {
            "timestamp": "2025-03-04T10:10:00Z",
            "event.type": "CUSTOM_DEPLOYMENT",
            "dt.entity.service": "SERVICE-OLD",
        },
        {
            "timestamp": "2025-03-04T10:15:00Z",
            "event.type": "CUSTOM_CONFIGURATION",
            "dt.source_entity": "SERVICE-NEW",
        },
        {
            "timestamp": "2025-03-04T10:30:00Z",
            "event.type": "CUSTOM_DEPLOYMENT",
            "dt.entity.service": "SERVICE-AFTER",
        },
        {
            "timestamp": "2025-03-04T10:16:00Z",
            "event.type": "AVAILABILITY_EVENT",
            "dt.entity.service": "SERVICE-X",
        },
    ]
    at = "2025-03-04T10:25:00Z"
    spans = [
        {
            "trace.id": "t",
            "span.id": "a",
            "span.parent_id": None,
            "start_time": at,
            "dt.entity.service": "SERVICE-F",
        },
        {
            "trace.id": "t",
            "span.id": "b",
            "span.parent_id": "a",
            "start_time": at,
            "dt.entity.service": "SERVICE-M",
        },
        {
            "trace.id": "t",
            "span.id": "c",
            "span.parent_id": "b",
            "start_time": at,
            "dt.entity.service": "SERVICE-D",
        },
    ]
    logs = [
        {"timestamp": at, "content": "boom", "loglevel": "ERROR", "span_id": "c"},
        {"timestamp": at, "content": "relayed", "loglevel": "ERROR", "span_id": "a"},
    ]
    case = CaseWriter(tmp_path).write(
        meta, {"problems": [problem], "events": events, "spans": spans, "logs": logs}
    )
    assert [r["entity_id"] for r in baselines.latest_change(case)] == ["SERVICE-NEW", "SERVICE-OLD"]
    assert [r["entity_id"] for r in baselines.deepest_failing_span(case)] == ["SERVICE-D"]


def test_calibration_table_counts_top_hits_per_confidence_band() -> None:
    from evals.scoring import calibration

    cases = [
        {"ok": True, "rank": 1, "confidence": 0.9},
        {"ok": True, "rank": 2, "confidence": 0.75},
        {"ok": True, "rank": 1, "confidence": 0.55},
        {"ok": True, "rank": None, "confidence": 0.1},
        {"ok": False, "rank": None, "confidence": 0.9},  # did not run: left out
    ]
    table = {row["confidence"]: row for row in calibration(cases)}
    assert table[">= 70%"] == {"confidence": ">= 70%", "cases": 2, "top_right": 0.5}
    assert table["50-69%"]["top_right"] == 1.0
    assert table["30-49%"] == {"confidence": "30-49%", "cases": 0, "top_right": None}
    assert table["< 30%"]["top_right"] == 0.0
