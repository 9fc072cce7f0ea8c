"""`python -m evals.casegen_conv --out evals/cases_conv [--seed N]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from evals.casegen_conv.cases import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("evals/cases_conv"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for path in generate(args.out, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
