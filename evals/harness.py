"""Replay incident cases through the investigation graph and score the reports.

Every case folder under a directory is served by the in-process simulator (the production
client talks to it through an ASGI transport), investigated by the graph exactly as a live
problem would be, and scored against its ``expected`` block. Baselines are scored on the
same cases in the same run. A case that fails to load or crashes is recorded with its error
and scored as a miss; the run goes on.

Case tags steer the simulated tenant: ``oauth:none`` serves no platform plane (classic data
only), ``env:managed`` serves a Managed-style URL (``/e/<env-id>``) without a platform plane.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynatrace_agent.case import ExpectedOutcome, IncidentCase, load_case
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport
from evals import baselines as baseline_module
from evals.judge import judge_facts
from evals.scoring import (
    RESULTS_FORMAT,
    Prediction,
    baseline_summary,
    calibration,
    rank_of_truth,
    score_case,
    summarise_by_tag,
    summarise_results,
)
from graphs.investigation.run import InvestigationRunner

CASE_FILES = ("case.json", "case.json.gz")


class NoCasesFound(FileNotFoundError):
    """``--cases`` named a folder that is neither a case folder nor a folder of case folders."""


@dataclass(frozen=True)
class CaseDiscovery:
    """What ``--cases`` pointed at: the case folders to run and the subfolders left out."""

    root: Path
    cases: list[Path]
    skipped: list[str]  # subfolders of a case set that hold no case.json

    def describe(self) -> str:
        """One line for the user: how many cases were found where, and what was left out."""
        if self.cases == [self.root]:
            return f"found 1 case folder: {self.root}"
        plural = "s" if len(self.cases) != 1 else ""
        line = f"found {len(self.cases)} case folder{plural} in {self.root}"
        if self.skipped:
            names = ", ".join(self.skipped[:5]) + (", ..." if len(self.skipped) > 5 else "")
            line += f" (skipped {len(self.skipped)} subfolder(s) without case.json: {names})"
        return line


def _is_case_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in CASE_FILES)


def find_cases(root: str | Path) -> CaseDiscovery:
    """The cases ``root`` names: itself when it is a case folder, else its direct subfolders.

    Only one level is looked at, on purpose: walking a whole tree turned a mistyped path into
    hundreds of "cases" (recorded fixtures, node_modules, ...). Raises ``NoCasesFound`` with what
    to pass instead when there is nothing to run.
    """
    base = Path(root)
    if not base.exists():
        raise NoCasesFound(f"case directory {base} does not exist")
    if not base.is_dir():
        raise NoCasesFound(
            f"{base} is a file; --cases takes a case folder (holding case.json) or a folder of case folders"
        )
    if _is_case_folder(base):
        return CaseDiscovery(base, [base], [])
    children = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    cases = [p for p in children if _is_case_folder(p)]
    if not cases:
        raise NoCasesFound(
            f"no case folder in {base}: neither it nor any of its {len(children)} subfolder(s) holds a "
            "case.json; --cases takes a case folder or a folder whose subfolders are case folders "
            "(one level deep)"
        )
    return CaseDiscovery(base, cases, [p.name for p in children if p not in cases])


def discover_cases(root: str | Path) -> list[Path]:
    """Every case folder ``root`` names (see ``find_cases``), sorted by path."""
    return find_cases(root).cases


def is_labelled(expected: ExpectedOutcome | None) -> bool:
    """Whether a case carries a truth to score against.

    ``record`` writes ``expected: null`` for a person to fill in; such a case still runs (it
    is useful to see the report) but scoring it would count as a miss and lower the set's score.
    """
    if expected is None:
        return False
    return bool(expected.root_cause_entity_id or expected.root_cause_names or expected.category)


def case_tags(path: Path) -> list[str]:
    """The tags of a case without loading its tables (an unreadable case has none)."""
    for name in ("case.json", "case.json.gz"):
        file = path / name
        if file.is_file():
            try:
                raw = gzip.decompress(file.read_bytes()) if name.endswith(".gz") else file.read_bytes()
                tags = json.loads(raw).get("tags", [])
            except (OSError, ValueError, AttributeError):
                return []
            return [str(t) for t in tags] if isinstance(tags, list) else []
    return []


def tenant_for(case: IncidentCase) -> tuple[SimulatorOptions, str]:
    """Simulator options and base URL that reproduce the kind of tenant a case describes."""
    tags = {t.lower() for t in case.tags}
    managed = "env:managed" in tags
    no_oauth = managed or "oauth:none" in tags
    options = SimulatorOptions(oauth_enabled=not no_oauth)
    base = "http://127.0.0.1:8400/e/0e1d2c3b-managed" if managed else "http://127.0.0.1:8400"
    return options, base


@dataclass
class CaseRun:
    """The outcome of one case: the results-format row plus what the table needs."""

    row: dict[str, Any]
    tags: list[str]
    baseline_ranks: dict[str, int | None]
    confidence: float | None = None


def _prediction(report: Any) -> Prediction:
    data = report.model_dump(mode="json") if hasattr(report, "model_dump") else dict(report)
    ranked = [
        {"entity_id": c.get("entity_id"), "name": c.get("name"), "score": round(float(c.get("score", 0)), 4)}
        for c in data.get("ranked_root_causes", [])
    ]
    changes: list[str] = []
    if data.get("triggering_change"):
        changes.append(str(data["triggering_change"]))
    for candidate in data.get("ranked_root_causes", [])[:1]:
        for item in candidate.get("evidence", []):
            for record in item.get("records", []) if item.get("kind") == "change" else []:
                changes.append(str(record))
    return Prediction(ranked=ranked, category=data.get("category"), change_events=changes)


def _failed_row(case_id: str, error: str, expected_change: bool, labelled: bool = True) -> dict[str, Any]:
    return {
        "id": case_id,
        "labelled": labelled,
        "ok": False,
        "error": error,
        "ranked_root_causes": [],
        "rank": None,
        "category": None,
        "category_correct": False,
        "change_event_found": False if expected_change else None,
        "tool_output_tokens": 0,
        "llm_tokens": {"input": 0, "output": 0},
        "api_calls": 0,
        "wall_ms": 0,
    }


async def run_case(path: Path, *, model: Any = None, deadline_s: float = 120.0) -> CaseRun:
    """Load, serve, investigate and score one case; never raises for a case's own failure."""
    try:
        case = load_case(path)
    except Exception as exc:  # a broken case is a result, not a crash of the run
        return CaseRun(_failed_row(path.name, f"load failed: {exc}", False), [], {})
    labelled = is_labelled(case.expected)
    expected = case.expected if labelled else None
    baseline_ranks: dict[str, int | None] = {}
    if expected is not None:
        for name, baseline in baseline_module.BASELINES.items():
            try:
                baseline_ranks[name] = rank_of_truth(expected, baseline(case))
            except Exception:
                baseline_ranks[name] = None
    options, base_url = tenant_for(case)
    started = time.perf_counter()
    try:
        runner = InvestigationRunner(model=model)
        settings = simulator_settings(options, base_url=base_url, name=case.id)
        async with DynatraceClient(settings, transport=simulator_transport(case, options)) as client:
            report = await asyncio.wait_for(
                runner.investigate(case.problem, client=client), timeout=deadline_s
            )
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        row = _failed_row(case.id, detail, bool(expected and expected.change_event_id), labelled)
        row["wall_ms"] = int((time.perf_counter() - started) * 1000)
        return CaseRun(row, list(case.tags), baseline_ranks)
    wall_ms = int((time.perf_counter() - started) * 1000)
    prediction = _prediction(report)
    scored = score_case(expected, prediction)
    stats = report.stats
    row = {
        "id": case.id,
        "labelled": labelled,
        "ok": True,
        "error": None,
        "ranked_root_causes": prediction.ranked,
        "rank": scored["rank"],
        "category": prediction.category,
        "category_correct": scored["category_correct"],
        "change_event_found": scored["change_event_found"],
        "tool_output_tokens": int(stats.tool_output_tokens),
        "llm_tokens": {"input": int(stats.llm_tokens.input), "output": int(stats.llm_tokens.output)},
        "api_calls": int(stats.api_calls),
        "wall_ms": wall_ms,
    }
    if model is not None and expected is not None and expected.facts:
        row["judge"] = await judge_facts(model, report.to_markdown(), expected.facts)
    confidence = round(float(getattr(report, "confidence", 0.0)), 4)
    return CaseRun(row, list(case.tags), baseline_ranks, confidence)


async def run_eval(
    cases_dir: str | Path,
    *,
    filter_tag: str | None = None,
    repeat: int = 1,
    model: Any = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every case (``repeat`` times each) and return the results document.

    Unlabelled cases (``expected`` null) run and are listed but are left out of every score.
    """
    discovery = find_cases(cases_dir)
    if progress:
        progress(discovery.describe())
    paths = [p for p in discovery.cases if not filter_tag or filter_tag in case_tags(p)]
    if progress and filter_tag:
        progress(f"{len(paths)} of them carry the tag {filter_tag!r}")
    runs: list[CaseRun] = []
    for path in paths:
        for attempt in range(max(1, repeat)):
            run = await run_case(path, model=model)
            runs.append(run)
            if progress:
                r = run.row
                if not r["ok"]:
                    status = f"FAILED: {r['error']}"
                elif not r["labelled"]:
                    status = "unlabelled (expected is null), not scored"
                else:
                    status = f"rank {r['rank']}"
                suffix = f" (repeat {attempt + 1})" if repeat > 1 else ""
                progress(f"{r['id']}{suffix}: {status}, {r['wall_ms']} ms")
    rows = [run.row for run in runs]
    tags = {str(run.row["id"]): run.tags for run in runs}
    baseline_names = list(baseline_module.BASELINES)
    summary = summarise_results(rows)
    judged = [r["judge"] for r in rows if r.get("judge") and r["judge"].get("found") is not None]
    if judged:
        total = sum(j["facts"] for j in judged)
        summary["facts_recall"] = round(sum(j["found"] for j in judged) / total, 4) if total else 0.0
    return {
        "format": RESULTS_FORMAT,
        "cases": rows,
        "summary": summary,
        "by_tag": summarise_by_tag(rows, tags),
        "calibration": calibration(
            [
                {**run.row, "confidence": run.confidence}
                for run in runs
                if run.confidence is not None and run.row["labelled"]
            ]
        ),
        "baselines": {
            name: baseline_summary([run.baseline_ranks.get(name) for run in runs if run.row["labelled"]])
            for name in baseline_names
        },
    }


def render_table(results: dict[str, Any]) -> str:
    """A plain-text table per case, per tag and for the baselines."""
    lines = [
        f"{'case':<38} {'ok':<3} {'rank':>4} {'category':<14} {'chg':<4} {'tokens':>6} {'calls':>5} {'ms':>6}"
    ]
    for row in results["cases"]:
        change = {True: "yes", False: "no", None: "-"}[row["change_event_found"]]
        category = str(row["category"] or "-")
        if row["category_correct"] is False and row["ok"]:
            category += "*"
        rank = row["rank"] or ("-" if row.get("labelled", True) else "unl")
        lines.append(
            f"{row['id'][:38]:<38} {'y' if row['ok'] else 'N':<3} {rank:>4} {category:<14} "
            f"{change:<4} {row['tool_output_tokens']:>6} {row['api_calls']:>5} {row['wall_ms']:>6}"
        )
    s = results["summary"]
    lines.append("")
    lines.append(
        f"graph: AC@1 {s['ac_at_1']:.2f}  AC@3 {s['ac_at_3']:.2f}  AC@5 {s['ac_at_5']:.2f}  "
        f"category {s['category_accuracy']:.2f}  change recall {s['change_event_recall']:.2f}  "
        f"median {s['median_wall_ms']:.0f} ms, {s['median_tool_output_tokens']:.0f} tokens  "
        f"({s['ok']}/{s['cases']} ran)"
    )
    if s.get("unlabelled"):
        lines.append(
            f"{s['unlabelled']} unlabelled case(s) (expected is null) ran but are not scored; "
            f"the scores above cover {s['scored']} case(s)"
        )
    if "facts_recall" in s:
        lines.append(f"judge: {s['facts_recall']:.2f} of the expected facts stated in the reports")
    for name, b in results.get("baselines", {}).items():
        lines.append(
            f"baseline {name}: AC@1 {b['ac_at_1']:.2f}  AC@3 {b['ac_at_3']:.2f}  AC@5 {b['ac_at_5']:.2f}"
        )
    bands = [b for b in results.get("calibration", []) if b["cases"]]
    if bands:
        lines.append("")
        lines.append(
            "calibration: "
            + "  ".join(f"{b['confidence']}: {b['top_right']:.0%} right of {b['cases']}" for b in bands)
        )
    by_tag = results.get("by_tag", {})
    if by_tag:
        lines.append("")
        lines.append(f"{'tag':<30} {'cases':>5} {'AC@1':>5} {'AC@3':>5} {'cat':>5}")
        for tag, t in by_tag.items():
            lines.append(
                f"{tag[:30]:<30} {t['cases']:>5} {t['ac_at_1']:>5.2f} {t['ac_at_3']:>5.2f} "
                f"{t['category_accuracy']:>5.2f}"
            )
    return "\n".join(lines)


#: Metrics every threshold file must gate: a case set's accuracy is these four together.
REQUIRED_GATES = ("ac_at_1", "ac_at_3", "category_accuracy", "change_event_recall")
#: Metrics a threshold file may gate as well.
OPTIONAL_GATES = ("ac_at_5", "facts_recall")


def validate_threshold(threshold: Any) -> dict[str, float]:
    """The threshold's minimums, or ``ConfigurationError`` saying what is wrong with it.

    A threshold that cannot gate what it claims is a configuration error, not a pass: it must
    be an object holding a minimum from 0 to 1 for each of ``REQUIRED_GATES``, and any other
    key (a typo such as ``ac_at1`` would otherwise silently gate nothing) is refused, naming
    the keys that are accepted. Checked before a run, so a bad file fails in a second.
    """
    from dynatrace_agent.errors import ConfigurationError

    if not isinstance(threshold, dict):
        raise ConfigurationError(
            f"a threshold must be a JSON object of metric minimums, got {type(threshold).__name__}"
        )
    known = REQUIRED_GATES + OPTIONAL_GATES
    unknown = sorted(str(k) for k in threshold if k not in known)
    if unknown:
        raise ConfigurationError(
            f"unknown threshold key(s) {', '.join(unknown)}; use only {', '.join(known)}"
        )
    missing = [k for k in REQUIRED_GATES if k not in threshold]
    if missing:
        raise ConfigurationError(
            f"the threshold does not gate {', '.join(missing)}; record a minimum for each of "
            f"{', '.join(REQUIRED_GATES)}"
        )
    for key, minimum in threshold.items():
        if isinstance(minimum, bool) or not isinstance(minimum, int | float) or not 0 <= minimum <= 1:
            raise ConfigurationError(f"threshold {key} must be a number from 0 to 1, got {minimum!r}")
    return {str(k): float(v) for k, v in threshold.items()}


def read_threshold(path: Path, set_name: str | None = None) -> dict[str, float]:
    """A threshold file's minimums, validated, or ``ConfigurationError`` naming the file and the fix.

    ``evals/thresholds.json`` keeps every public set's floor in one file, keyed by set name, so
    gates are changed side by side; ``set_name`` picks an entry from a file keyed by set (every
    value an object). It must be given for such a file and must not be for a single threshold.
    """
    from dynatrace_agent.errors import ConfigurationError

    try:
        loaded: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read threshold file {path}: {exc}") from exc
    keyed = isinstance(loaded, dict) and bool(loaded) and all(isinstance(v, dict) for v in loaded.values())
    if keyed:
        sets = ", ".join(sorted(loaded))
        if set_name is None:
            raise ConfigurationError(
                f"threshold file {path} holds several sets ({sets}); name one with --threshold-set"
            )
        if set_name not in loaded:
            raise ConfigurationError(f"threshold file {path} has no set {set_name!r}; it holds {sets}")
        loaded = loaded[set_name]
    elif set_name is not None:
        raise ConfigurationError(
            f"threshold file {path} holds one threshold, not sets; drop --threshold-set {set_name}"
        )
    where = f"{path} [{set_name}]" if keyed else str(path)
    try:
        return validate_threshold(loaded)
    except ConfigurationError as exc:
        raise ConfigurationError(f"threshold file {where}: {exc}") from None


def check_threshold(results: dict[str, Any], threshold: dict[str, Any]) -> list[str]:
    """Regressions against a recorded threshold (``{"ac_at_1": 0.8, ...}``); empty when none.

    The threshold is validated first (``validate_threshold``): unknown keys, a missing gate or
    a minimum outside 0..1 raise ``ConfigurationError``. A metric missing from the results
    counts as a regression.
    """
    minimums = validate_threshold(threshold)
    failures: list[str] = []
    summary = results["summary"]
    for key, minimum in minimums.items():
        value = summary.get(key)
        if value is None or float(value) < float(minimum):
            failures.append(f"{key} {value} is below the recorded threshold {minimum}")
    return failures
