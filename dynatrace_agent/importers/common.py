"""Shared pieces of the dataset importers: errors, ids, progress and the result summary."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from dynatrace_agent.errors import ConfigurationError

__all__ = [
    "DatasetFormatError",
    "ImportSummary",
    "Progress",
    "entity_id",
    "iso",
    "ms",
    "stable_int",
]


class DatasetFormatError(ConfigurationError):
    """The input folder is not the dataset the importer reads; names the offending file."""

    def __init__(self, file: Path | str, message: str) -> None:
        self.file = Path(file)
        super().__init__(f"{self.file}: {message}")


@dataclass
class ImportSummary:
    """What an import wrote, and what it skipped with the reason."""

    written: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


class Progress:
    """One line per step on stderr (never stdout, which may be piped)."""

    def __init__(self, total: int, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet

    def step(self, message: str) -> None:
        """Count one step done and, unless quiet, print it as ``[done/total] message``."""
        self.done += 1
        if not self.quiet:
            print(f"[{self.done}/{self.total}] {message}", file=self.stream, flush=True)


def stable_int(*parts: str, digits: int = 16) -> int:
    """A deterministic number from text (ids must not change between two imports of the same data)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    value: int = int(digest, 16) % (10**digits)
    return value


def entity_id(kind: str, name: str) -> str:
    """A Dynatrace-shaped entity id (``SERVICE-<16 hex>``) stable for the same kind and name."""
    digest = hashlib.sha256(f"{kind}\x1f{name}".encode()).hexdigest()[:16].upper()
    return f"{kind}-{digest}"


def iso(moment: datetime | float) -> str:
    """ISO-8601 UTC with ``Z`` and millisecond precision, as Grail records carry it."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ms(moment: datetime) -> int:
    """Epoch milliseconds, as the classic API carries times."""
    return int(moment.timestamp() * 1000)
