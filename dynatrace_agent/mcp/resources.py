"""Reports and recorded cases as MCP resources.

A client can show a user the full report behind a budgeted ``dynatrace_investigate`` answer
(``dynatrace://reports/<problem>``, Markdown) and the incident cases the server knows
(``dynatrace://cases/<id>``, the case's ``case.json``: what happened and, for recorded cases
with ``expected`` filled in, the truth). Reports are kept in memory for the server's
lifetime, newest last, at most :data:`MAX_REPORTS`.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote, unquote

from dynatrace_agent.errors import ConfigurationError, NotFoundError

__all__ = ["CASE_PREFIX", "MAX_REPORTS", "REPORT_PREFIX", "Resource", "ResourceStore", "case_folders"]

REPORT_PREFIX = "dynatrace://reports/"
CASE_PREFIX = "dynatrace://cases/"
MAX_REPORTS = 50


class Resource:
    """One listable resource: its URI, a name, a one-line description and a MIME type."""

    def __init__(self, uri: str, name: str, description: str, mime_type: str) -> None:
        self.uri = uri
        self.name = name
        self.description = description
        self.mime_type = mime_type


def case_folders(root: Path) -> list[Path]:
    """Case folders directly under ``root`` (or ``root`` itself when it is one), sorted."""
    if not root.is_dir():
        raise ConfigurationError(f"--cases {root} is not a folder; pass a folder of incident cases")
    if (root / "case.json").is_file():
        return [root]
    return sorted(p for p in root.iterdir() if (p / "case.json").is_file())


class ResourceStore:
    """The reports of this server's investigations and the case folders it serves."""

    def __init__(self, cases: list[Path] | None = None) -> None:
        self._reports: OrderedDict[str, str] = OrderedDict()
        self._cases: dict[str, Path] = {}
        for folder in cases or []:
            self._cases[_case_id(folder)] = folder

    @staticmethod
    def report_uri(problem: str) -> str:
        """The resource URI of ``problem``'s report (the problem quoted, so any id is safe)."""
        return REPORT_PREFIX + quote(problem, safe="")

    def add_report(self, problem: str, markdown: str) -> str:
        """Keep a report (replacing an older one of the same problem); returns its URI."""
        self._reports.pop(problem, None)
        self._reports[problem] = markdown
        while len(self._reports) > MAX_REPORTS:
            self._reports.popitem(last=False)
        return self.report_uri(problem)

    def list(self) -> list[Resource]:
        """Every resource a client may read: the kept reports, then the case files offered."""
        found = [
            Resource(self.report_uri(p), f"report {p}", f"Investigation report of {p}", "text/markdown")
            for p in self._reports
        ]
        for case_id, folder in self._cases.items():
            found.append(
                Resource(
                    CASE_PREFIX + quote(case_id, safe=""),
                    f"case {case_id}",
                    _case_title(folder),
                    "application/json",
                )
            )
        return found

    def read(self, uri: str) -> tuple[str, str]:
        """``(text, mime_type)`` of a resource; ``NotFoundError`` saying what exists otherwise."""
        if uri.startswith(REPORT_PREFIX):
            problem = unquote(uri[len(REPORT_PREFIX) :])
            if problem in self._reports:
                return self._reports[problem], "text/markdown"
            known = ", ".join(self._reports) or "none yet"
            raise NotFoundError(
                f"no report for {problem!r} (reports so far: {known}); call dynatrace_investigate first"
            )
        if uri.startswith(CASE_PREFIX):
            case_id = unquote(uri[len(CASE_PREFIX) :])
            if case_id in self._cases:
                return (self._cases[case_id] / "case.json").read_text(encoding="utf-8"), "application/json"
            raise NotFoundError(f"no case {case_id!r}; known cases: {', '.join(self._cases) or 'none'}")
        raise NotFoundError(
            f"unknown resource {uri!r}; resources start with {REPORT_PREFIX} or {CASE_PREFIX}"
        )


def _case_meta(folder: Path) -> dict[str, object]:
    try:
        value = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _case_id(folder: Path) -> str:
    return str(_case_meta(folder).get("id") or folder.name)


def _case_title(folder: Path) -> str:
    meta = _case_meta(folder)
    return str(meta.get("title") or meta.get("description") or folder.name)
