"""A minimal, independent reader of case folders for the conformance tests.

Deliberately separate from ``dynatrace_agent.case``: these tests check the generated files
against the spec itself, not against another module's interpretation of it.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CASES_DIR = REPO / "evals" / "cases"
DEMO_DIR = REPO / "dynatrace_agent" / "simulator" / "demo_case"
GRAIL_TABLES = ("events", "logs", "spans", "bizevents", "user.sessions", "metrics")

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
ENTITY_ID = re.compile(r"^(SERVICE|PROCESS_GROUP|HOST|APPLICATION|KUBERNETES_CLUSTER)-[0-9A-F]{16}$")
PROBLEM_ID = re.compile(r"^-?\d{19}_\d{13}V2$")
EVENT_ID = re.compile(r"^\d{19}_\d{13}$")


def case_folders() -> list[Path]:
    return [*sorted(p for p in CASES_DIR.iterdir() if (p / "case.json").is_file()), DEMO_DIR]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def table(folder: Path, name: str) -> list[dict[str, Any]] | None:
    """Records of a tenant table, ``None`` when the file is absent (= empty table)."""
    tenant = folder / "tenant"
    if (tenant / f"{name}.json").is_file():
        data = read_json(tenant / f"{name}.json")
        assert isinstance(data, list), f"{folder.name}/{name}.json must be a JSON array"
        return data
    for suffix, opener in ((".jsonl", open), (".jsonl.gz", gzip.open)):
        path = tenant / f"{name}{suffix}"
        if path.is_file():
            with opener(path, "rt", encoding="utf-8") as fh:
                return [json.loads(line) for line in fh if line.strip()]
    return None


def iso_to_ns(text: str) -> int:
    """Parse a spec timestamp to epoch nanoseconds (0-9 fraction digits)."""
    from datetime import UTC, datetime

    assert ISO_Z.match(text), f"bad timestamp {text!r}"
    base, _, frac = text[:-1].partition(".")
    seconds = int(datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp())
    return seconds * 1_000_000_000 + int((frac or "0").ljust(9, "0"))
