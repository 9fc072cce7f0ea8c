"""``python -m evals.casegen_min [--out DIR] [--seed N]``: (re)write the minimal cases."""

from __future__ import annotations

import argparse
from pathlib import Path

from evals.casegen_min import DEFAULT_OUT, DEFAULT_SEED, write_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.casegen_min", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write the case folders into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same bytes)")
    args = parser.parse_args(argv)
    for folder in write_all(args.out, args.seed):
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"{folder}  {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
