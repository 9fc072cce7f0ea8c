"""The harness replays cases through the real graph; a broken case is a scored miss, not a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dynatrace_agent.cli import main
from evals.harness import run_eval

FIXTURE = Path(__file__).parents[1] / "simulator" / "fixtures" / "small_case"


def _cases(tmp_path: Path) -> Path:
    root = tmp_path / "cases"
    shutil.copytree(FIXTURE, root / "good")
    broken = root / "broken"
    (broken / "tenant").mkdir(parents=True)
    (broken / "case.json").write_text('{"format": "dynatrace-agent/incident-case@1", "id": ')
    return root


async def test_run_eval_scores_good_cases_and_reports_broken_ones(tmp_path: Path) -> None:
    results = await run_eval(_cases(tmp_path))
    assert results["format"] == "dynatrace-agent/eval-results@1"
    rows = {row["id"]: row for row in results["cases"]}
    good = rows["small-checkout"]
    assert good["ok"] and good["error"] is None
    assert good["rank"] == 1 and good["category_correct"] and good["change_event_found"]
    assert good["api_calls"] > 0 and good["tool_output_tokens"] > 0
    assert set(good) == {
        "id", "labelled", "ok", "error", "ranked_root_causes", "rank", "category", "category_correct",
        "change_event_found", "tool_output_tokens", "llm_tokens", "api_calls", "wall_ms",
    }  # fmt: skip
    broken = rows["broken"]
    assert not broken["ok"] and "load failed" in broken["error"]
    summary = results["summary"]
    assert summary["cases"] == 2 and summary["ok"] == 1 and summary["ac_at_1"] == 0.5
    assert set(results["baselines"]) == {
        "davis",
        "most_error_logs",
        "largest_metric_deviation",
        "latest_change",
        "deepest_failing_span",
    }


def test_eval_command_writes_json_and_enforces_a_threshold(tmp_path: Path, capsys: object) -> None:
    cases = _cases(tmp_path)
    out = tmp_path / "results.json"
    threshold = tmp_path / "threshold.json"
    gates = {"ac_at_3": 0.5, "category_accuracy": 0.5, "change_event_recall": 0.5}
    threshold.write_text(json.dumps({"ac_at_1": 0.9, **gates}))
    assert main(["eval", "--cases", str(cases), "--json", str(out), "--threshold", str(threshold)]) == 1
    assert json.loads(out.read_text())["summary"]["ac_at_1"] == 0.5
    threshold.write_text(json.dumps({"ac_at_1": 0.5, **gates}))
    assert (
        main(["eval", "--cases", str(cases), "--threshold", str(threshold), "--filter", "kind:deployment"])
        == 0
    )


async def test_judge_grades_expected_facts_with_a_model(tmp_path: Path) -> None:
    from tests.graphs.fakes import FakeSynthesisModel

    root = tmp_path / "cases"
    shutil.copytree(FIXTURE, root / "good")
    judge_answer = {"verdicts": [{"found": True, "quote": "checkout 2.14.0"}]}
    synthesis = {"narrative": "checkout 2.14.0 failed", "ranking": [], "follow_up": []}
    model = FakeSynthesisModel(messages=iter([]), structured=[synthesis, judge_answer])
    results = await run_eval(root, model=model)
    row = results["cases"][0]
    assert row["judge"]["facts"] == 1 and row["judge"]["found"] == 1
    assert results["summary"]["facts_recall"] == 1.0


async def test_a_failing_judge_scores_nothing() -> None:
    from evals.judge import judge_facts
    from tests.graphs.fakes import FakeSynthesisModel

    model = FakeSynthesisModel(messages=iter([]), fail=True)
    verdict = await judge_facts(model, "report", ["a fact"])
    assert verdict["found"] is None and "judge failed" in verdict["error"]
