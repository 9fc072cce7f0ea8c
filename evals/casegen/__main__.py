"""``python -m evals.casegen --out evals/cases`` / ``--demo dynatrace_agent/simulator/demo_case``.

Regenerates the public incident cases and the bundled demo deterministically from a seed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evals.casegen.generate import DEFAULT_SEED, write_cases, write_demo
from evals.casegen.scenarios import DEMO, SCENARIOS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.casegen", description=__doc__)
    parser.add_argument("--out", type=Path, help="folder receiving one sub-folder per public case")
    parser.add_argument("--demo", type=Path, help="folder receiving the demo case (the folder is the case)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"global seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--only", action="append", metavar="CASE_ID", help="generate only this case (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the case ids and exit")
    args = parser.parse_args(argv)
    if args.list:
        for case_id in [*sorted(SCENARIOS), *DEMO]:
            print(case_id)
        return 0
    if args.out is None and args.demo is None:
        parser.error("give --out DIR, --demo DIR, or both")
    if args.only:
        unknown = [c for c in args.only if c not in SCENARIOS]
        if unknown:
            parser.error(f"unknown case id(s) {', '.join(unknown)}; see --list")
    if args.out is not None:
        for folder in write_cases(args.out, args.seed, args.only):
            print(f"wrote {folder}")
    if args.demo is not None:
        print(f"wrote {write_demo(args.demo, args.seed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
