"""``--cases`` looks one level deep and says what it found; unlabelled cases are listed, not scored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dynatrace_agent.cli import main
from evals.harness import NoCasesFound, find_cases, run_eval

FIXTURE = Path(__file__).parents[1] / "simulator" / "fixtures" / "small_case"


def _unlabelled_copy(target: Path, case_id: str = "recorded-unlabelled") -> Path:
    shutil.copytree(FIXTURE, target)
    data = json.loads((target / "case.json").read_text())
    data["id"] = case_id
    data["expected"] = None  # what `record` writes
    (target / "case.json").write_text(json.dumps(data))
    return target


def test_a_case_set_is_its_direct_subfolders_only(tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root / "a")
    shutil.copytree(FIXTURE, root / "notes" / "deeper" / "b")  # two levels down: not a case of this set
    found = find_cases(root)
    assert found.cases == [root / "a"]
    assert found.skipped == ["notes"]
    line = found.describe()
    assert "found 1 case folder in" in line and "skipped 1 subfolder(s) without case.json: notes" in line
    assert find_cases(root / "a").describe() == f"found 1 case folder: {root / 'a'}"


def test_a_folder_without_cases_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "big" / "x" / "y" / "case")
    with pytest.raises(NoCasesFound, match="one level deep"):
        find_cases(tmp_path / "big")
    (tmp_path / "file.json").write_text("{}")
    with pytest.raises(NoCasesFound, match="is a file"):
        find_cases(tmp_path / "file.json")


async def test_an_unlabelled_case_runs_but_does_not_lower_the_score(tmp_path: Path) -> None:
    root = tmp_path / "cases"
    shutil.copytree(FIXTURE, root / "good")
    _unlabelled_copy(root / "recorded")
    lines: list[str] = []
    results = await run_eval(root, progress=lines.append)
    rows = {row["id"]: row for row in results["cases"]}
    recorded = rows["recorded-unlabelled"]
    assert recorded["ok"] and recorded["labelled"] is False and recorded["rank"] is None
    assert recorded["ranked_root_causes"]  # the investigation ran
    assert rows["small-checkout"]["labelled"] is True
    summary = results["summary"]
    assert summary["cases"] == 2 and summary["scored"] == 1 and summary["unlabelled"] == 1
    assert summary["ac_at_1"] == 1.0 and summary["category_accuracy"] == 1.0
    assert all(b["ac_at_1"] in (0.0, 1.0) for b in results["baselines"].values())
    assert sum(band["cases"] for band in results["calibration"]) <= 1  # the unlabelled run is not calibrated
    assert lines[0].startswith("found 2 case folders in")
    assert any("recorded-unlabelled: unlabelled (expected is null), not scored" in line for line in lines)


def test_eval_command_warns_when_nothing_is_labelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cases"
    _unlabelled_copy(root / "recorded")
    assert main(["eval", "--cases", str(root)]) == 0
    captured = capsys.readouterr()
    assert "every case is unlabelled" in captured.err
    assert "1 unlabelled case(s)" in captured.out
    threshold = tmp_path / "threshold.json"
    gates = {"ac_at_1": 0.5, "ac_at_3": 0.5, "category_accuracy": 0.5, "change_event_recall": 0.5}
    threshold.write_text(json.dumps(gates))
    assert main(["eval", "--cases", str(root), "--threshold", str(threshold)]) == 1
    assert "needs at least one labelled case" in capsys.readouterr().err


def test_eval_command_refuses_a_folder_without_cases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    assert main(["eval", "--cases", str(tmp_path / "empty")]) != 0
    err = capsys.readouterr().err
    assert "no case folder in" in err and "Traceback" not in err
