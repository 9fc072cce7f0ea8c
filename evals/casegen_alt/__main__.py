"""``python -m evals.casegen_alt [--out DIR]``: (re)write the alternative cases."""

from __future__ import annotations

import argparse
from pathlib import Path

from evals.casegen_alt import DEFAULT_OUT, write_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.casegen_alt", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write the case folders into")
    args = parser.parse_args(argv)
    for folder in write_all(args.out):
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"{folder}  {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
