"""Scoring of investigation reports against a case's labelled truth.

The rules are the incident-case spec's (``dynatrace-agent/eval-results@1``): a predicted
root cause matches when its entity id equals the expected one or, where ids differ, when its
name equals an accepted name (case-insensitive). A case that failed to run is a miss for
every metric. Kept free of I/O so the same functions score the graph and the baselines.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dynatrace_agent.case import ExpectedOutcome

RESULTS_FORMAT = "dynatrace-agent/eval-results@1"


@dataclass
class Prediction:
    """What one investigator (the graph or a baseline) said about a case."""

    ranked: list[dict[str, Any]] = field(default_factory=list)  # {entity_id, name, score}
    category: str | None = None
    change_events: list[str] = field(default_factory=list)  # event ids the report named


def rank_of_truth(expected: ExpectedOutcome, ranked: Sequence[Mapping[str, Any]]) -> int | None:
    """1-based rank of the true root cause in ``ranked``; None when absent.

    A case whose truth is "no fault" (category ``none`` and no root-cause entity) is found at
    rank 1 when the investigator's own verdict is ``none`` — there is no entity to rank.
    """
    for position, item in enumerate(ranked, start=1):
        if expected.matches_root_cause(_str(item.get("entity_id")), _str(item.get("name"))):
            return position
    return None


def score_case(expected: ExpectedOutcome | None, prediction: Prediction) -> dict[str, Any]:
    """Per-case fields of the results format that depend on the truth."""
    if expected is None:
        return {"rank": None, "category_correct": None, "change_event_found": None}
    rank = rank_of_truth(expected, prediction.ranked)
    no_fault_truth = expected.category == "none" and not (
        expected.root_cause_entity_id or expected.root_cause_names
    )
    if no_fault_truth and prediction.category == "none":
        rank = 1
    category_correct = None if expected.category is None else prediction.category == expected.category
    change_found: bool | None = None
    if expected.change_event_id is not None:
        change_found = expected.change_event_id in prediction.change_events
    return {"rank": rank, "category_correct": category_correct, "change_event_found": change_found}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _share(values: Iterable[bool]) -> float:
    items = list(values)
    return round(sum(items) / len(items), 4) if items else 0.0


def _median(values: Iterable[float]) -> float:
    items = list(values)
    return round(statistics.median(items), 1) if items else 0.0


def summarise_results(cases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``summary`` block: AC@k over every labelled case (failed ones count as misses) and medians.

    A case marked ``"labelled": false`` (its ``expected`` is null) is counted in ``cases`` and
    ``unlabelled`` but in no score: it has no truth, so it can be neither a hit nor a miss.
    """
    every = list(cases)
    cases = [c for c in every if c.get("labelled", True)]
    ranks = [c.get("rank") if c.get("ok") else None for c in cases]

    def at(k: int) -> float:
        return _share(r is not None and r <= k for r in ranks)

    categories = [
        bool(c.get("ok") and c.get("category_correct"))
        for c in cases
        if c.get("category_correct") is not None or not c.get("ok")
    ]
    changes = [
        bool(c.get("ok") and c.get("change_event_found"))
        for c in cases
        if c.get("change_event_found") is not None
    ]
    ok_cases = [c for c in every if c.get("ok")]
    summary: dict[str, Any] = {
        "cases": len(every),
        "ok": len(ok_cases),
        "ac_at_1": at(1),
        "ac_at_3": at(3),
        "ac_at_5": at(5),
        "category_accuracy": _share(categories),
        "change_event_recall": _share(changes),
        "median_wall_ms": _median(c.get("wall_ms", 0) for c in ok_cases),
        "median_tool_output_tokens": _median(c.get("tool_output_tokens", 0) for c in ok_cases),
    }
    if len(every) != len(cases):
        summary["scored"] = len(cases)
        summary["unlabelled"] = len(every) - len(cases)
    return summary


def summarise_by_tag(cases: Sequence[Mapping[str, Any]], tags: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The summary restricted to the cases carrying each tag (``tags`` maps case id → tags)."""
    by_tag: dict[str, list[Mapping[str, Any]]] = {}
    for case in cases:
        for tag in tags.get(str(case.get("id")), ()):
            by_tag.setdefault(tag, []).append(case)
    return {tag: summarise_results(group) for tag, group in sorted(by_tag.items())}


def baseline_summary(ranks: Sequence[int | None]) -> dict[str, float]:
    """AC@1/3/5 of a baseline from its ranks (None = the truth was not among its guesses)."""
    return {f"ac_at_{k}": _share(r is not None and r <= k for r in ranks) for k in (1, 3, 5)}


#: Confidence bands of the calibration table: (lower bound inclusive, label).
CONFIDENCE_BANDS: tuple[tuple[float, str], ...] = (
    (0.7, ">= 70%"),
    (0.5, "50-69%"),
    (0.3, "30-49%"),
    (0.0, "< 30%"),
)


def calibration(cases: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """How often the top candidate is right at each reported confidence level.

    A confidence means something only if higher bands are right more often; this table is
    what a reader checks before trusting a "92 %" in a report. Cases that did not run, or have
    no labelled truth or no confidence, are left out.
    """
    bands: dict[str, list[bool]] = {label: [] for _, label in CONFIDENCE_BANDS}
    for case in cases:
        confidence = case.get("confidence")
        if not case.get("ok") or not isinstance(confidence, int | float) or "rank" not in case:
            continue
        label = next(label for low, label in CONFIDENCE_BANDS if confidence >= low)
        bands[label].append(case.get("rank") == 1)
    return [
        {"confidence": label, "cases": len(hits), "top_right": (sum(hits) / len(hits)) if hits else None}
        for label, hits in bands.items()
    ]
