"""Eval gates: a threshold gates AC@1, AC@3, category and change-event recall, and nothing vague.

A threshold that passes everything (``{}``, a typo'd key) would make the CI accuracy gate
decorative, so those are configuration errors; each gated metric on its own fails the gate.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.cli import main
from dynatrace_agent.errors import ConfigurationError
from evals.harness import REQUIRED_GATES, check_threshold, read_threshold, validate_threshold

EVALS = Path(__file__).parents[2] / "evals"
SUMMARY = {
    "ac_at_1": 0.8,
    "ac_at_3": 0.9,
    "ac_at_5": 1.0,
    "category_accuracy": 0.7,
    "change_event_recall": 0.6,
}
AT_SUMMARY = dict.fromkeys(REQUIRED_GATES, 0.0) | {k: v for k, v in SUMMARY.items() if k in REQUIRED_GATES}


def _results(**overrides: Any) -> dict[str, Any]:
    return {"summary": {**SUMMARY, **overrides}}


def test_the_required_gates_are_ac1_ac3_category_and_change_recall() -> None:
    assert REQUIRED_GATES == ("ac_at_1", "ac_at_3", "category_accuracy", "change_event_recall")


def test_meeting_every_minimum_exactly_passes() -> None:
    assert check_threshold(_results(), AT_SUMMARY) == []


@pytest.mark.parametrize("gate", REQUIRED_GATES)
def test_each_gate_on_its_own_fails_when_its_metric_drops(gate: str) -> None:
    failures = check_threshold(_results(**{gate: SUMMARY[gate] - 0.01}), AT_SUMMARY)
    assert len(failures) == 1
    assert failures[0].startswith(f"{gate} ") and "below the recorded threshold" in failures[0]


def test_optional_gates_are_checked_when_recorded() -> None:
    threshold = {**AT_SUMMARY, "ac_at_5": 1.0}
    assert check_threshold(_results(), threshold) == []
    assert check_threshold(_results(ac_at_5=0.99), threshold) == [
        "ac_at_5 0.99 is below the recorded threshold 1.0"
    ]


def test_a_gated_metric_missing_from_the_results_is_a_regression() -> None:
    threshold = {**AT_SUMMARY, "facts_recall": 0.5}  # only present when a model judged the report
    assert check_threshold(_results(), threshold) == ["facts_recall None is below the recorded threshold 0.5"]


def test_an_empty_threshold_is_an_error_naming_every_missing_gate() -> None:
    with pytest.raises(ConfigurationError, match="does not gate") as info:
        check_threshold(_results(), {})
    for gate in REQUIRED_GATES:
        assert gate in str(info.value)


def test_a_threshold_without_ac3_is_an_error() -> None:
    threshold = {k: v for k, v in AT_SUMMARY.items() if k != "ac_at_3"}
    with pytest.raises(ConfigurationError, match=r"does not gate ac_at_3;"):
        check_threshold(_results(), threshold)


@pytest.mark.parametrize("key", ["ac_at1", "AC_AT_1", "category", "median_wall_ms", "ac_at_10"])
def test_an_unknown_key_is_an_error_naming_it_and_the_accepted_keys(key: str) -> None:
    with pytest.raises(ConfigurationError, match="unknown threshold key") as info:
        check_threshold(_results(), {**AT_SUMMARY, key: 0.1})
    message = str(info.value)
    assert key in message and "ac_at_3" in message and "change_event_recall" in message


@pytest.mark.parametrize("minimum", [-0.1, 1.5, "0.8", None, True])
def test_a_minimum_must_be_a_number_from_0_to_1(minimum: object) -> None:
    with pytest.raises(ConfigurationError, match="must be a number from 0 to 1"):
        validate_threshold({**AT_SUMMARY, "ac_at_1": minimum})


@pytest.mark.parametrize("threshold", [[0.8], 0.8, "ac_at_1"])
def test_a_threshold_must_be_an_object(threshold: object) -> None:
    with pytest.raises(ConfigurationError, match="JSON object"):
        validate_threshold(threshold)


SHIPPED = json.loads((EVALS / "thresholds.json").read_text(encoding="utf-8"))


def test_one_thresholds_file_gates_every_public_set() -> None:
    assert [p.name for p in EVALS.glob("threshold*.json")] == ["thresholds.json"]
    case_sets = {"base", "alt", "min", "conv", "five"}  # python -m evals.generators --list
    real = {"nezha", "petshop", "petshop_nochange"}  # imported by CI from ../shared/datasets
    assert case_sets | real == set(SHIPPED)
    ci = (EVALS.parent / ".ci" / "run").read_text(encoding="utf-8")
    ungated = [name for name in SHIPPED if not re.search(rf"^\s*gate \S+ {name}$", ci, re.MULTILINE)]
    assert not ungated, f"thresholds CI never applies: {ungated}"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_threshold_gates_all_four_metrics(name: str) -> None:
    minimums = read_threshold(EVALS / "thresholds.json", name)
    assert set(REQUIRED_GATES) <= set(minimums)
    # Ranking is always gated; a set without change events can only record 0 for their recall.
    assert minimums["ac_at_1"] > 0 and minimums["ac_at_3"] > 0, "a zero minimum gates nothing"


def test_the_cli_refuses_a_bad_threshold_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    threshold = tmp_path / "threshold.json"
    threshold.write_text(json.dumps({"ac_at_1": 0.8, "ac_at3": 0.9}))
    missing_cases = tmp_path / "no-cases-here"
    # The cases folder does not exist: a run would fail on it; the threshold error comes first.
    assert main(["eval", "--cases", str(missing_cases), "--threshold", str(threshold)]) == 2
    err = capsys.readouterr().err
    assert f"threshold file {threshold}" in err and "unknown threshold key(s) ac_at3" in err
    assert "Traceback" not in err


def test_a_file_of_sets_needs_a_known_set_name(tmp_path: Path) -> None:
    good = dict.fromkeys(REQUIRED_GATES, 0.5)
    keyed = tmp_path / "thresholds.json"
    keyed.write_text(json.dumps({"alt": good, "base": {**good, "ac_at_1": 2}}))
    assert read_threshold(keyed, "alt") == good
    with pytest.raises(
        ConfigurationError, match=r"holds several sets \(alt, base\); name one with --threshold-set"
    ):
        read_threshold(keyed)
    with pytest.raises(ConfigurationError, match="has no set 'nope'; it holds alt, base"):
        read_threshold(keyed, "nope")
    with pytest.raises(ConfigurationError, match=r"thresholds.json \[base\]: threshold ac_at_1 must be"):
        read_threshold(keyed, "base")
    flat = tmp_path / "one.json"
    flat.write_text(json.dumps(good))
    assert read_threshold(flat) == good
    with pytest.raises(ConfigurationError, match="holds one threshold, not sets; drop --threshold-set alt"):
        read_threshold(flat, "alt")
    with pytest.raises(ConfigurationError, match="cannot read threshold file"):
        read_threshold(tmp_path / "missing.json")


def test_the_cli_takes_a_set_from_the_thresholds_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing_cases = tmp_path / "no-cases-here"
    shipped = str(EVALS / "thresholds.json")
    assert main(["eval", "--cases", str(missing_cases), "--threshold", shipped]) == 2
    assert "name one with --threshold-set" in capsys.readouterr().err
    assert main(["eval", "--cases", str(missing_cases), "--threshold-set", "alt"]) == 2
    assert "give --threshold too" in capsys.readouterr().err
    # A valid set passes the up-front check; the run then fails on the missing cases folder.
    assert (
        main(["eval", "--cases", str(missing_cases), "--threshold", shipped, "--threshold-set", "alt"]) == 2
    )
    err = capsys.readouterr().err
    assert "threshold" not in err and str(missing_cases) in err and "Traceback" not in err
