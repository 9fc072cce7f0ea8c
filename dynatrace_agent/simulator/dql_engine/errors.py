"""The one exception the DQL engine raises on purpose.

Grail answers a query it cannot run with a 400 whose ``details`` carry an ``errorType`` and a
``syntaxErrorPosition``; the simulator's HTTP layer builds that envelope from this exception, so
it carries exactly those facts: a Grail-style error type, a message that says what was wrong and
what to write instead, and the position of the offending text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DQLParseError", "position_of"]


def position_of(query: str, index: int) -> tuple[int, int]:
    """Return the 1-based ``(line, column)`` of character ``index`` in ``query``."""
    index = max(0, min(index, len(query)))
    line = query.count("\n", 0, index) + 1
    line_start = query.rfind("\n", 0, index) + 1
    return line, index - line_start + 1


class DQLParseError(Exception):
    """A query that cannot be parsed, validated or executed by the simulator.

    Attributes: ``error_type`` (Grail's ``errorType``, e.g. ``PARSE_ERROR_UNEXPECTED_TOKEN``),
    ``message``, ``line``/``column`` (1-based, where the problem starts), ``index`` (0-based
    character offset of the start), ``end_index`` (0-based offset of the last offending
    character, inclusive) with ``end_line``/``end_column``.
    """

    def __init__(self, error_type: str, message: str, query: str, start: int, end: int | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.query = query
        self.index = max(0, min(start, len(query)))
        last = self.index if end is None else max(self.index, min(end, max(len(query) - 1, 0)))
        self.end_index = last
        self.line, self.column = position_of(query, self.index)
        self.end_line, self.end_column = position_of(query, self.end_index)

    def syntax_error_position(self) -> dict[str, Any]:
        """The ``details.syntaxErrorPosition`` object of Grail's error envelope."""
        return {
            "start": {"column": self.column, "index": self.index, "line": self.line},
            "end": {"column": self.end_column, "index": self.end_index, "line": self.end_line},
        }

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"

    def __repr__(self) -> str:
        return f"DQLParseError({self.error_type!r}, {self.message!r}, line={self.line}, column={self.column})"
