"""Mutation score of the modules where a silent bug costs most: killed / survived per module.

A green suite only means something if a wrong line turns it red. This runs ``mutmut`` (a dev
dependency) over one module group at a time, each against only the test files that state
that module's contract (the machine is small and shared: never the whole suite per mutant),
and prints per module the mutants made, how many the tests killed (a failing test or a
timeout) and how many survived, with the score. Survivors are listed with ``--survivors``.

Each module runs in its own copy of the project under ``--workdir`` (mutmut rewrites the
sources it mutates), so the working tree is never touched. ``mutmut`` runs every mutant with
the tests that executed the mutated function only.

    python evals/bench/bench_mutation.py                  # every module, 2 workers
    python evals/bench/bench_mutation.py budget security  # some modules
    python evals/bench/bench_mutation.py http --survivors # and show what survived
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: What the project copy needs for its tests to run (tests import graphs/ and evals/).
COPIED = ("dynatrace_agent", "tests", "evals", "graphs", "prompts", "pyproject.toml", "langgraph.json")
#: Tests that need services a mutant run does not start are deselected.
MARKERS = "not postgres and not browser and not node and not langgraph_server and not slow"


@dataclass(frozen=True)
class Target:
    """One module group: the files to mutate and the test files that state their contract."""

    sources: tuple[str, ...]
    tests: tuple[str, ...]
    #: Extra pytest arguments, e.g. ``--deselect`` of a slow test about other modules.
    pytest_args: tuple[str, ...] = ()


TARGETS: dict[str, Target] = {
    "dql": Target(
        ("dynatrace_agent/dql.py",),
        (
            "tests/dql/test_dql.py",
            "tests/dql/test_dql_values.py",
            "tests/dql/test_dql_contract.py",
            "tests/capabilities/test_capabilities.py",
            "tests/capabilities/test_entity_relationships.py",
        ),
    ),
    "security": Target(
        ("dynatrace_agent/webhook/security.py",),
        ("tests/webhook/test_security_contract.py", "tests/webhook/test_intake.py"),
    ),
    "payloads": Target(
        ("dynatrace_agent/webhook/payloads.py",),
        # (test_property.py fuzzes the whole intake for 10 s a run: too slow per mutant)
        (
            "tests/webhook/test_payloads.py",
            "tests/webhook/test_payloads_contract.py",
            "tests/webhook/test_payload_fields.py",
            "tests/webhook/test_intake.py",
        ),
    ),
    "store_sql": Target(
        ("dynatrace_agent/webhook/store_sql.py",),
        (
            "tests/webhook/test_store.py",
            "tests/webhook/test_store_contract.py",
            "tests/webhook/test_store_dialect.py",
        ),
    ),
    "dispatch": Target(
        ("dynatrace_agent/webhook/dispatch.py",),
        (
            "tests/webhook/test_dispatch.py",
            "tests/webhook/test_lease_contract.py",
            "tests/webhook/test_dispatch_contract.py",
        ),
    ),
    "budget": Target(
        ("dynatrace_agent/summarise/budget.py",),
        (
            "tests/summarise/test_budget.py",
            "tests/summarise/test_budget_contract.py",
            "tests/summarise/test_budget_helpers.py",
        ),
        # every summariser under random data: about the summarisers, 80 s per run
        ("--deselect", "tests/summarise/test_budget.py::test_summaries_never_exceed_budget"),
    ),
    "http": Target(
        ("dynatrace_agent/client/http.py",),
        (
            "tests/client/test_http_core.py",
            "tests/client/test_retry.py",
            "tests/client/test_retry_contract.py",
            "tests/client/test_auth.py",
        ),
    ),
    "errormap": Target(
        ("dynatrace_agent/client/errormap.py",),
        (
            "tests/client/test_errormap.py",
            "tests/client/test_auth.py",
            "tests/client/test_errormap_contract.py",
            "tests/client/test_oauth_errors.py",
            "tests/client/test_dql_error_position.py",
            "tests/client/test_retry.py",
            "tests/client/test_retry_contract.py",
        ),
    ),
    "ranking": Target(("dynatrace_agent/analysis/ranking/*.py",), ("tests/analysis",)),
}

#: ``ranking/<module>`` runs one module of the ranking group: the group is 4,000 mutants, so
#: its figure is the sum of per-module runs, which can be repeated one at a time.
SUBGROUP_SEPARATOR = "/"


def target_named(name: str) -> Target | None:
    """The target for a group name or ``group/module`` (a single module of a multi-file group)."""
    if name in TARGETS:
        return TARGETS[name]
    group, sep, module = name.partition(SUBGROUP_SEPARATOR)
    parent = TARGETS.get(group)
    if not sep or parent is None or len(parent.sources) != 1 or not parent.sources[0].endswith("/*.py"):
        return None
    source = parent.sources[0].removesuffix("*.py") + f"{module}.py"
    if not (ROOT / source).is_file():
        return None
    return Target((source,), parent.tests, parent.pytest_args)

#: mutmut's exit codes per mutant (as in mutmut.stats): 1 and 3 mean a test failed, 0 that all passed.
KILLED_CODES = {1, 3}
TIMEOUT_CODES = {-24, 24, 36, 152, 255}
SURVIVED_CODES = {0}


@dataclass
class Score:
    module: str
    total: int = 0
    killed: int = 0
    timeout: int = 0
    survived: int = 0
    other: int = 0
    seconds: float = 0.0
    survivors: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        return (self.killed + self.timeout) / self.total if self.total else 0.0


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(name: str, target: Target, workdir: Path) -> Path:
    """A fresh copy of the project with a ``[tool.mutmut]`` section for this target."""
    copy = workdir / name.replace(SUBGROUP_SEPARATOR, "-")
    if copy.exists():
        shutil.rmtree(copy)
    copy.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "node_modules", "mutants")
    for item in COPIED:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, copy / item, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, copy / item)
    pytest_args = ["-x", "-q", "-p", "no:cacheprovider", "-m", MARKERS, *target.pytest_args]
    config = (
        "\n[tool.mutmut]\n"
        'source_paths = ["dynatrace_agent"]\n'
        f"only_mutate = {_toml_list(target.sources)}\n"
        'also_copy = ["evals", "graphs", "prompts", "langgraph.json"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(target.tests)}\n"
        f"pytest_add_cli_args = {_toml_list(pytest_args)}\n"
        # A mutant that loops forever is caught by its timeout: 5x the clean run (not mutmut's
        # 15x) keeps such mutants from dominating the run time on a small machine.
        "timeout_multiplier = 5.0\n"
        "timeout_constant = 2.0\n"
    )
    with (copy / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(config)
    return copy


def run(name: str, target: Target, workdir: Path, max_children: int, verbose: bool) -> Score:
    copy = prepare(name, target, workdir)
    started = time.perf_counter()
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation", "PYTHONDONTWRITEBYTECODE": "1"}
    log = copy / "mutmut.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)],
            cwd=copy,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    score = Score(name, seconds=time.perf_counter() - started)
    metas = sorted((copy / "mutants").rglob("*.py.meta"))
    if proc.returncode != 0 and not metas:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise SystemExit(f"mutmut failed for {name} (exit {proc.returncode}); see {log}:\n{tail}")
    survivors: list[str] = []
    for meta in metas:
        codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
        for key, code in codes.items():
            score.total += 1
            if code in KILLED_CODES:
                score.killed += 1
            elif code in TIMEOUT_CODES:
                score.timeout += 1
            elif code in SURVIVED_CODES:
                score.survived += 1
                survivors.append(key)
            else:
                score.other += 1  # no test ran it, or the run was interrupted
                survivors.append(f"{key} (exit {code})")
    score.survivors = tuple(survivors)
    if verbose:
        for key in survivors:
            shown = subprocess.run(
                [sys.executable, "-m", "mutmut", "show", key.split(" ")[0]],
                cwd=copy,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            diff = [ln for ln in shown.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
            print(f"  survived {key}: " + " | ".join(diff), flush=True)
    return score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "modules",
        nargs="*",
        help=f"module groups (default all): {', '.join(TARGETS)}; or ranking/<module> for one file",
    )
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutant runs (default 2)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "dynatrace-agent-mutation",
        help="where the per-module project copies go (default: a folder in the temp dir)",
    )
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if target_named(m) is None]
    if unknown:
        parser.error(
            f"unknown module group(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}, "
            "or ranking/<module> for one file of the ranking group"
        )
    if args.max_children < 1:
        parser.error("--max-children must be at least 1")
    names = args.modules or list(TARGETS)
    print(f"{'module':<10} {'mutants':>7} {'killed':>7} {'timeout':>7} {'survived':>8} {'other':>5} "
          f"{'score':>6} {'time':>7}", flush=True)  # fmt: skip
    scores: list[Score] = []
    for name in names:
        target = target_named(name)
        assert target is not None  # checked above
        s = run(name, target, args.workdir, args.max_children, args.survivors)
        scores.append(s)
        print(
            f"{name:<10} {s.total:>7} {s.killed:>7} {s.timeout:>7} {s.survived:>8} {s.other:>5} "
            f"{s.score:>6.1%} {s.seconds:>6.0f}s",
            flush=True,
        )
    total = sum(s.total for s in scores)
    caught = sum(s.killed + s.timeout for s in scores)
    if len(scores) > 1 and total:
        missed = total - caught
        print(f"{'all':<10} {total:>7} {caught:>7} {'':>7} {missed:>8} {'':>5} {caught / total:>6.1%}")
    if args.json:
        args.json.write_text(
            json.dumps(
                [{**s.__dict__, "survivors": list(s.survivors), "score": round(s.score, 4)} for s in scores],
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
