"""A parser for the classic API's ``entitySelector`` and ``problemSelector`` syntax.

Both are comma-joined criteria ``name(arg, ...)``; an argument is a quoted string (``~``
escapes the next character), a bare word (``type(SERVICE)``, ``now-3h``) or a nested
criterion (``not(tag("x"))``, ``fromRelationships.calls(type("SERVICE"), ...)``). The parser
only builds the tree; what each criterion means lives with the collection it filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Criterion", "SelectorError", "parse_selector"]

MAX_SELECTOR_LENGTH = 2000


class SelectorError(ValueError):
    """The selector text is malformed; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.position = position


@dataclass
class Criterion:
    """One ``name(args)`` criterion; an argument is a string or a nested criterion."""

    name: str
    args: list[str | Criterion] = field(default_factory=list)
    position: int = 0

    def strings(self) -> list[str]:
        """The string arguments (nested criteria are skipped)."""
        return [a for a in self.args if isinstance(a, str)]

    def criteria(self) -> list[Criterion]:
        """The nested-criterion arguments."""
        return [a for a in self.args if isinstance(a, Criterion)]


def parse_selector(text: str) -> list[Criterion]:
    """Parse a selector into its AND-joined criteria."""
    if len(text) > MAX_SELECTOR_LENGTH:
        raise SelectorError(
            f"a selector may be at most {MAX_SELECTOR_LENGTH} characters", MAX_SELECTOR_LENGTH
        )
    parser = _Parser(text)
    result = parser.selector()
    parser.skip_ws()
    if parser.pos != len(text):
        raise SelectorError(f"unexpected {text[parser.pos]!r}; criteria are joined with ','", parser.pos)
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def selector(self) -> list[Criterion]:
        items = [self.criterion()]
        self.skip_ws()
        while self.peek() == ",":
            self.pos += 1
            items.append(self.criterion())
            self.skip_ws()
        return items

    def name(self) -> str:
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "._-"):
            self.pos += 1
        return self.text[start : self.pos]

    def criterion(self) -> Criterion:
        self.skip_ws()
        start = self.pos
        name = self.name()
        if not name:
            found = repr(self.peek()) if self.peek() else "the end"
            raise SelectorError(f'expected a criterion such as type("SERVICE"), found {found}', start)
        self.skip_ws()
        if self.peek() != "(":
            raise SelectorError(f"criterion {name!r} needs its arguments in parentheses", self.pos)
        self.pos += 1
        args: list[str | Criterion] = []
        self.skip_ws()
        if self.peek() == ")":
            self.pos += 1
            return Criterion(name, args, start)
        while True:
            args.append(self.argument())
            self.skip_ws()
            char = self.peek()
            if char == ",":
                self.pos += 1
                continue
            if char == ")":
                self.pos += 1
                return Criterion(name, args, start)
            if not char:
                raise SelectorError(f"missing ')' to close {name}(", self.pos)
            raise SelectorError(f"unexpected {char!r} in the arguments of {name}(", self.pos)

    def argument(self) -> str | Criterion:
        self.skip_ws()
        if self.peek() == '"':
            return self.quoted()
        start = self.pos
        word = self.name()
        self.skip_ws()
        if word and self.peek() == "(":
            self.pos = start
            return self.criterion()
        self.pos = start
        while self.pos < len(self.text) and self.text[self.pos] not in ',()"':
            self.pos += 1
        value = self.text[start : self.pos].strip()
        if not value:
            raise SelectorError("empty argument", start)
        return value

    def quoted(self) -> str:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "~" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise SelectorError('unterminated quoted value (escape a quote inside a value as ~")', start)
