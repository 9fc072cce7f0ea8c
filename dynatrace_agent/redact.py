"""Redaction of secrets and personal data from recorded tenant data.

A recorded case leaves the tenant: it goes into a repository, a ticket, an evaluation set.
Every string in it passes through a :class:`Redactor` first. Values are replaced by stable
pseudonyms (the same input gives the same placeholder everywhere in the case), so joins
across tables — a user id in sessions and logs, an IP in spans and logs — still work after
redaction, while the original cannot be read back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dynatrace_agent.errors import InvalidArgumentError

__all__ = ["DEFAULT_FIELDS", "DEFAULT_RULES", "RedactionRule", "Redactor", "parse_rule"]


@dataclass(frozen=True)
class RedactionRule:
    """A named pattern whose matches are replaced by ``<name:hash>`` pseudonyms."""

    name: str
    pattern: re.Pattern[str]


DEFAULT_RULES: tuple[RedactionRule, ...] = (
    RedactionRule(
        "token",
        re.compile(
            r"\bdt0[a-z]\d{2}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?|\b(?:Bearer|Api-Token)\s+[A-Za-z0-9._~+/=-]{8,}"
        ),
    ),
    RedactionRule(
        "secret",
        re.compile(r"(?i)\b(?:password|passwd|secret|api[_-]?key|token)=[^\s&\"',;]+"),
    ),
    RedactionRule("email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
    RedactionRule(
        "ip",
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
    ),
    RedactionRule("ip6", re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b")),
)

#: Fields whose whole value identifies a person: replaced by a pseudonym wherever they occur.
DEFAULT_FIELDS: tuple[str, ...] = (
    "userId",
    "user.id",
    "internalUserId",
    "user.email",
    "usr.id",
    "client.ip",
    "client.address",
    "ip",
    "dt.rum.user_id",
    "customer.id",
)


def parse_rule(text: str) -> RedactionRule | str:
    """Parse one ``--redact`` option: ``field:NAME`` (a field to pseudonymise) or ``NAME=REGEX``."""
    if text.startswith("field:"):
        name = text[len("field:") :].strip()
        if not name:
            raise InvalidArgumentError("--redact field: needs a field name, e.g. field:customer.id")
        return name
    name, sep, pattern = text.partition("=")
    if not sep or not name.strip() or not pattern:
        raise InvalidArgumentError(
            f"--redact {text!r} is neither field:NAME nor NAME=REGEX (e.g. order=ORD-[0-9]+)"
        )
    try:
        return RedactionRule(name.strip(), re.compile(pattern))
    except re.error as exc:
        raise InvalidArgumentError(f"--redact {name.strip()}: invalid regular expression: {exc}") from None


@dataclass
class Redactor:
    """Replaces matches of ``rules`` and values of ``fields`` by keyed pseudonyms."""

    rules: tuple[RedactionRule, ...] = DEFAULT_RULES
    fields: frozenset[str] = frozenset(DEFAULT_FIELDS)
    salt: str = "dynatrace-agent"
    replaced: int = 0
    _cache: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, extra: Iterable[str] = (), *, defaults: bool = True, salt: str | None = None) -> Redactor:
        """A redactor with the default rules (unless ``defaults`` is False) plus ``extra`` options."""
        rules = list(DEFAULT_RULES) if defaults else []
        fields = set(DEFAULT_FIELDS) if defaults else set()
        for option in extra:
            parsed = parse_rule(option)
            if isinstance(parsed, str):
                fields.add(parsed)
            else:
                rules.append(parsed)
        return cls(tuple(rules), frozenset(fields), salt or "dynatrace-agent")

    def pseudonym(self, kind: str, value: str) -> str:
        """A stable placeholder for ``value``: the same input gives the same output."""
        key = (kind, value)
        if key not in self._cache:
            digest = hashlib.sha256(f"{self.salt}\0{kind}\0{value}".encode()).hexdigest()[:10]
            self._cache[key] = f"<{kind}:{digest}>"
        self.replaced += 1
        return self._cache[key]

    def text(self, value: str) -> str:
        """Apply every pattern rule to one string."""
        for rule in self.rules:

            def replace(match: re.Match[str], name: str = rule.name) -> str:
                return self.pseudonym(name, match.group(0))

            value = rule.pattern.sub(replace, value)
        return value

    def value(self, value: Any, *, key: str | None = None) -> Any:
        """Redact any JSON value recursively; ``key`` is the field it is stored under."""
        if (
            key is not None
            and key in self.fields
            and value is not None
            and not isinstance(value, dict | list)
        ):
            return self.pseudonym("id", str(value))
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v, key=key) for v in value]
        if isinstance(value, Mapping):
            return {k: self.value(v, key=k) for k, v in value.items()}
        return value

    def records(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Redact a table of records."""
        return [self.value(dict(record)) for record in records]
