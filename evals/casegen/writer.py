"""Writes a rendered case to disk, byte-for-byte reproducibly.

Large tables are gzip-compressed (the loader accepts both forms) with a fixed gzip header
(no file name, mtime 0) so regenerating a case leaves ``git diff`` empty.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

from evals.casegen.scenario import CaseData

GZIP_THRESHOLD_BYTES = 200_000
TABLE_FILES = ("entities.json", "problems.json", "settings.json", "slos.json")
JSONL_TABLES = ("events", "logs", "spans", "bizevents", "user.sessions", "metrics", "notifications")


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records).encode()


def _gzip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buffer.getvalue()


def write_case(data: CaseData, folder: Path) -> list[Path]:
    """Write ``data`` into ``folder`` (created; stale table files replaced); returns files written."""
    tenant = folder / "tenant"
    tenant.mkdir(parents=True, exist_ok=True)
    for name in TABLE_FILES:
        (tenant / name).unlink(missing_ok=True)
    for table in JSONL_TABLES:
        for suffix in (".jsonl", ".jsonl.gz"):
            (tenant / f"{table}{suffix}").unlink(missing_ok=True)
    written: list[Path] = []
    case_path = folder / "case.json"
    case_path.write_text(json.dumps(data.case, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(case_path)
    for name, records in data.json_tables.items():
        path = tenant / f"{name}.json"
        path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    for name, records in data.jsonl_tables.items():
        raw = _jsonl(records)
        if len(raw) > GZIP_THRESHOLD_BYTES:
            path = tenant / f"{name}.jsonl.gz"
            path.write_bytes(_gzip(raw))
        else:
            path = tenant / f"{name}.jsonl"
            path.write_bytes(raw)
        written.append(path)
    return written
