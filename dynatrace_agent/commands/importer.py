"""``dynatrace-agent import nezha|petshop SRC --out DIR``: public RCA datasets in, incident cases out."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from dynatrace_agent.importers.common import ImportSummary

#: Converts one dataset folder: ``import_dataset(src, out, *, overwrite, quiet)``.
Importer = Callable[..., ImportSummary]


def _nezha() -> Importer:
    from dynatrace_agent.importers.nezha import import_dataset

    return import_dataset


def _petshop() -> Importer:
    from dynatrace_agent.importers.petshop import import_dataset

    return import_dataset


#: dataset name -> (its importer, loaded when the command runs; one-line description)
DATASETS: dict[str, tuple[Callable[[], Importer], str]] = {
    "nezha": (_nezha, "Nezha (FSE'23) Train-Ticket / Online Boutique faults"),
    "petshop": (_petshop, "PetShop (CLeaR'24) AWS pet-adoption issues"),
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``import`` command with one subcommand per dataset."""
    parser = sub.add_parser(
        "import",
        help="convert a public root-cause dataset into incident cases",
        description="Convert an upstream root-cause-analysis dataset folder into incident case folders "
        "(one per labelled fault), ready for `dynatrace-agent eval --cases DIR`.",
    )
    datasets = parser.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    for name, (_, help_text) in DATASETS.items():
        one = datasets.add_parser(name, help=help_text, description=help_text)
        one.add_argument("src", type=Path, help="the upstream dataset folder (as cloned from its repository)")
        one.add_argument("--out", required=True, type=Path, help="folder to write the case folders into")
        one.add_argument("--overwrite", action="store_true", help="replace case folders that already exist")
        one.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
        if name == "petshop":
            one.add_argument(
                "--without-change-events",
                action="store_true",
                help="leave every change event out (an ablation: what the metrics and call graph alone "
                "say, as for a fault no change event records)",
            )
        one.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import_dataset = DATASETS[args.dataset][0]()
    options = {"without_changes": True} if getattr(args, "without_change_events", False) else {}
    summary = import_dataset(args.src, args.out, overwrite=args.overwrite, quiet=args.quiet, **options)
    print(f"wrote {len(summary.written)} cases to {args.out}")
    for case_id, reason in sorted(summary.skipped.items()):
        print(f"  skipped {case_id}: {reason}")
    return 0 if summary.written else 1
