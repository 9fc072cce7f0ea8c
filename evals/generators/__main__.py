"""``python -m evals.generators SET [--out DIR] [--seed N]``: write one public case set.

``SET`` is one of the names ``--list`` prints (``all`` rewrites every set into its committed
folder). Without ``--out`` a set goes to its committed folder; without ``--seed`` it uses the
committed seed, so a plain run must leave ``git status`` clean. A fresh ``--seed`` gives new
data with the same truths -- blind test material for the ranking.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evals.generators import alt, base, conv, five
from evals.generators import min as minimal  # the package is named after its set; keep min() intact


@dataclass(frozen=True)
class CaseSet:
    """One generator as the command sees it: where its set lives and how to write it."""

    summary: str
    default_out: Path
    write: Callable[[Path, int | None], list[Path]]


SETS: dict[str, CaseSet] = {
    "base": CaseSet(
        "realistic scenarios with noise and decoys (evals/cases)", base.DEFAULT_OUT, base.write_all
    ),
    "demo": CaseSet(
        "the demo's bundled incident (the folder is the case)", base.DEMO_OUT, base.write_demo_set
    ),
    "alt": CaseSet(
        "AWS 5-minute metrics and Kubernetes shapes (evals/cases_alt)", alt.DEFAULT_OUT, alt.write_all
    ),
    "min": CaseSet(
        "only the spec's required fields (evals/cases_min)", minimal.DEFAULT_OUT, minimal.write_all
    ),
    "conv": CaseSet("a dataset converter's choices (evals/cases_conv)", conv.DEFAULT_OUT, conv.write_all),
    "five": CaseSet("fault-injection dataset shapes (evals/cases_five)", five.DEFAULT_OUT, five.write_all),
}


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, write the chosen set(s), print each folder with its size."""
    parser = argparse.ArgumentParser(prog="python -m evals.generators", description=__doc__)
    parser.add_argument("set", nargs="?", choices=[*SETS, "all"], metavar="SET", help="the case set to write")
    parser.add_argument("--out", type=Path, help="folder receiving the set (default: its committed folder)")
    parser.add_argument("--seed", type=int, help="random seed (default: the set's committed seed)")
    parser.add_argument("--list", action="store_true", help="list the sets and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, case_set in SETS.items():
            print(f"{name:5}  {case_set.summary}")
        return 0
    if args.set is None:
        parser.error("name a SET (see --list) or all")
    if args.set == "all" and args.out is not None:
        parser.error("--out names one set's folder; with 'all' every set goes to its committed folder")
    names = list(SETS) if args.set == "all" else [args.set]
    for name in names:
        case_set = SETS[name]
        for folder in case_set.write(args.out or case_set.default_out, args.seed):
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            print(f"wrote {folder}  {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
