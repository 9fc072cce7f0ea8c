"""PetShop (amazon-science/petshop-root-cause-analysis) in, one incident case per labelled issue out.

``SRC`` is the repository as users clone it, or its ``dataset/`` folder. Every scenario folder
(``low_traffic``, ``high_traffic``, ``temporal_traffic1``…) holds ``graph.csv``, an optional
fault-free ``noissue/metrics.csv`` and one folder per split (``train``, ``test``…) of
``issue_<n>/{metrics.csv,target.json}``. Every split present is imported; case ids are
``petshop-<scenario>-<split>-<n>``. How each part is shown the way a tenant would show it is
documented in the ``petshop_*`` modules this one drives.

A folder that is not such a dataset raises :class:`DatasetFormatError` naming what is missing;
one bad issue is skipped with its reason (in the summary and on stderr) and the rest imported.
"""

from __future__ import annotations

import re
from pathlib import Path

from dynatrace_agent.case import CaseFormatError, CaseWriter
from dynatrace_agent.importers.common import DatasetFormatError, ImportSummary, Progress
from dynatrace_agent.importers.petshop_case import Issue, NoAlert, Scenario, build_case
from dynatrace_agent.importers.petshop_changes import parse_command
from dynatrace_agent.importers.petshop_files import read_graph, read_metrics, read_target

__all__ = ["dataset_root", "import_dataset", "load_scenarios"]

_ISSUE = re.compile(r"^issue_(\d+)$")


def dataset_root(src: Path) -> Path:
    """The folder holding the scenario folders: ``SRC/dataset`` or ``SRC`` itself."""
    if not src.exists():
        raise DatasetFormatError(src, "no such folder; pass the PetShop repository or its dataset/ folder")
    if not src.is_dir():
        raise DatasetFormatError(src, "not a folder; pass the PetShop repository or its dataset/ folder")
    if (src / "graph.csv").is_file():
        raise DatasetFormatError(
            src, "is one scenario folder; pass the dataset/ folder that holds it (every scenario is imported)"
        )
    for root in (src / "dataset", src):
        if root.is_dir() and any((d / "graph.csv").is_file() for d in root.iterdir() if d.is_dir()):
            return root
    raise DatasetFormatError(
        src / "dataset",
        "no PetShop scenario found: expected dataset/<scenario>/graph.csv "
        "(pass the cloned petshop-root-cause-analysis repository or its dataset/ folder)",
    )


def _issue_folders(scenario: Path) -> list[tuple[str, int, Path]]:
    found = []
    for split in sorted(p for p in scenario.iterdir() if p.is_dir() and p.name != "noissue"):
        for folder in split.iterdir():
            match = _ISSUE.match(folder.name)
            if folder.is_dir() and match:
                found.append((split.name, int(match.group(1)), folder))
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def load_scenarios(root: Path, skipped: dict[str, str]) -> list[Scenario]:
    """Every scenario with its graph, baseline and issue labels; unreadable labels go to ``skipped``."""
    scenarios = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        folders = _issue_folders(folder)
        if not (folder / "graph.csv").is_file():
            if folders:
                raise DatasetFormatError(
                    folder / "graph.csv", "missing: every scenario folder needs a graph.csv"
                )
            continue
        noissue = folder / "noissue" / "metrics.csv"
        scenario = Scenario(
            name=folder.name,
            folder=folder,
            graph=read_graph(folder / "graph.csv"),
            baseline=read_metrics(noissue) if noissue.is_file() else None,
        )
        for split, number, issue_folder in folders:
            case_id = f"petshop-{folder.name}-{split}-{number}"
            try:
                target = read_target(issue_folder / "target.json")
            except DatasetFormatError as exc:
                skipped[case_id] = str(exc)
                continue
            scenario.issues.append(
                Issue(folder.name, split, number, issue_folder, target, parse_command(target.command))
            )
        scenarios.append(scenario)
    return scenarios


def import_dataset(
    src: Path,
    out: Path,
    *,
    overwrite: bool = False,
    quiet: bool = False,
    match_levels: bool = False,
    without_changes: bool = False,
) -> ImportSummary:
    """Write one case per PetShop issue under ``out``; return what was written and skipped.

    ``match_levels`` scales the fault-free baseline to the issue's pre-change level (see
    :mod:`dynatrace_agent.importers.petshop_series`); off by default. ``without_changes`` leaves
    the change events out (see :func:`~dynatrace_agent.importers.petshop_case.build_case`).
    """
    root = dataset_root(Path(src))
    summary = ImportSummary()
    scenarios = load_scenarios(root, summary.skipped)
    total = sum(len(s.issues) for s in scenarios)
    if total == 0 and not summary.skipped:
        raise DatasetFormatError(root, "no issue folders (<scenario>/<split>/issue_<n>/) found")
    progress = Progress(total, quiet=quiet)
    for case_id, reason in summary.skipped.items():
        if not quiet:
            progress.stream.write(f"skipped {case_id}: {reason}\n")
    writer = CaseWriter(out, overwrite=overwrite)
    for scenario in scenarios:
        for issue in scenario.issues:
            case_id = issue.case_id
            try:
                table = read_metrics(issue.folder / "metrics.csv")
                meta, tenant = build_case(
                    scenario, issue, table, match_levels=match_levels, without_changes=without_changes
                )
                writer.write(meta, tenant)
            except (DatasetFormatError, NoAlert, CaseFormatError) as exc:
                summary.skipped[case_id] = str(exc)
                progress.step(f"skipped {case_id}: {exc}")
                continue
            summary.written.append(case_id)
            progress.step(f"wrote {case_id} ({issue.change.kind}, {issue.target.metric})")
    return summary
