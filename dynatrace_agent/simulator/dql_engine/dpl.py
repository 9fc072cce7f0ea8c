"""A subset of DPL, the pattern language of DQL's ``parse`` command.

Enough for the patterns Dynatrace's own examples and clients use on log lines: quoted
literals, ``LD`` (line data, lazy), ``DATA`` (anything, lazy), ``SPACE``, ``NSPACE``, ``WORD``,
``INT``/``LONG``, ``DOUBLE``, ``IPADDR``, ``DQS``/``STRING`` (a double-quoted string), ``EOL``,
each optionally exported as ``MATCHER:name``, and ``JSON:name`` for a whole JSON object. The
pattern matches from the start of the value; text after it is ignored. Anything else
(``KVP{…}``, ``TIMESTAMP(…)``, groups, alternatives, quantifiers) raises :class:`DPLError`
naming it as a simulator limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DPLError", "DplPattern", "compile_dpl"]


class DPLError(ValueError):
    """The pattern is not DPL the simulator understands; the message says what."""


_MATCHERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "LD": (r"[^\n\r]*?", str),
    "DATA": (r".*?", str),
    "SPACE": (r"[ \t]+", str),
    "NSPACE": (r"\S+", str),
    "WORD": (r"\w+", str),
    "INT": (r"[-+]?\d+", int),
    "LONG": (r"[-+]?\d+", int),
    "DOUBLE": (r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?", float),
    "IPADDR": (r"(?:\d{1,3}\.){3}\d{1,3}", str),
    "DQS": (r'"(?:[^"\\]|\\.)*"', lambda s: s[1:-1]),
    "STRING": (r'"(?:[^"\\]|\\.)*"', lambda s: s[1:-1]),
    "EOL": (r"(?:\r?\n|\Z)", str),
}
_TOKEN = re.compile(r"\s*(?:'((?:[^'\\]|\\.)*)'|([A-Z]+)(?::([A-Za-z_][A-Za-z0-9_.]*))?|(\S))")


@dataclass(frozen=True)
class DplPattern:
    """A compiled pattern: the exported field names and how to read a value."""

    regex: re.Pattern[str] | None
    exports: tuple[tuple[str, str, Callable[[str], Any]], ...]  # (field, group, converter)
    json_field: str | None = None

    def fields(self) -> list[str]:
        """The field names the pattern exports, in pattern order."""
        return [self.json_field] if self.json_field else [name for name, _, _ in self.exports]

    def apply(self, value: object) -> dict[str, Any]:
        """The exported fields for ``value`` (all null when it does not match)."""
        if self.json_field is not None:
            parsed = None
            if isinstance(value, str):
                try:
                    loaded = json.loads(value)
                except ValueError:
                    loaded = None
                parsed = loaded if isinstance(loaded, dict) else None
            return {self.json_field: parsed}
        match = self.regex.match(value) if isinstance(value, str) and self.regex is not None else None
        if match is None:
            return {name: None for name, _, _ in self.exports}
        out: dict[str, Any] = {}
        for name, group, convert in self.exports:
            text = match.group(group)
            try:
                out[name] = None if text is None else convert(text)
            except ValueError:
                out[name] = None
        return out


def compile_dpl(pattern: str) -> DplPattern:
    """Compile ``pattern``; :class:`DPLError` for anything outside the supported subset."""
    text = pattern.strip()
    if re.fullmatch(r"JSON:([A-Za-z_][A-Za-z0-9_.]*)", text):
        return DplPattern(None, (), json_field=text.split(":", 1)[1])
    parts: list[str] = []
    exports: list[tuple[str, str, Callable[[str], Any]]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        literal, matcher, name, other = match.groups()
        if other is not None:
            raise DPLError(
                f"DPL {other!r} (groups, alternatives, quantifiers, KVP, TIMESTAMP) is not supported by the "
                "simulator (a simulator limit)."
            )
        if literal is not None:
            parts.append(re.escape(literal.replace("\\'", "'")))
        else:
            assert matcher is not None
            if matcher not in _MATCHERS:
                raise DPLError(
                    f"The DPL matcher {matcher!r} is not supported by the simulator (a simulator limit)."
                )
            regex, convert = _MATCHERS[matcher]
            if name:
                group = f"g{len(exports)}"
                parts.append(f"(?P<{group}>{regex})")
                exports.append((name, group, convert))
            else:
                parts.append(f"(?:{regex})")
        pos = match.end()
    if not parts:
        raise DPLError("The parse pattern is empty.")
    return DplPattern(re.compile("".join(parts), re.DOTALL), tuple(exports))
