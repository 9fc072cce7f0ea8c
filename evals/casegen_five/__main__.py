"""Command line: ``python -m evals.casegen_five --out DIR [--seed N]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from evals.casegen_five import DEFAULT_OUT, DEFAULT_SEED, write_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.casegen_five", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write the cases into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    args = parser.parse_args(argv)
    for path in write_all(args.out, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
