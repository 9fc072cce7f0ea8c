"""Problem filtering for ``GET /api/v2/problems``: problemSelector, timeframe, sort, fields.

Semantics follow the Problems API v2: criteria are AND-ed, values inside one criterion are
OR-ed, string comparisons are case-insensitive, and the optional detail blocks
(``evidenceDetails``, ``impactAnalysis``, ``recentComments``) appear only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dynatrace_agent.models.enums import IMPACT_LEVELS, SEVERITY_LEVELS
from dynatrace_agent.simulator.entities import problem_entity_ids
from dynatrace_agent.simulator.selectors import Criterion, SelectorError, parse_selector
from dynatrace_agent.simulator.tags import parse_tag, record_tags

__all__ = [
    "OPTIONAL_FIELDS",
    "ProblemCheck",
    "compile_problem_selector",
    "overlaps",
    "project_problem",
    "sort_problems",
]

ProblemCheck = Callable[[dict[str, Any]], bool]

#: Detail blocks stripped unless named in ``fields``.
OPTIONAL_FIELDS = ("evidenceDetails", "impactAnalysis", "recentComments")

_ENUMS = {
    "status": {"OPEN", "CLOSED"},
    "severityLevel": set(SEVERITY_LEVELS),
    "impactLevel": set(IMPACT_LEVELS),
}


def compile_problem_selector(text: str) -> ProblemCheck:
    """A predicate for a problemSelector; SelectorError if malformed or unknown."""
    checks = [_compile(c) for c in parse_selector(text)]
    return lambda problem: all(check(problem) for check in checks)


def _compile(crit: Criterion) -> ProblemCheck:
    values = crit.strings()
    if not values or crit.criteria():
        raise SelectorError(f"{crit.name}(...) needs one or more quoted values", crit.position)
    upper = {v.upper() for v in values}
    name = crit.name
    if name in _ENUMS:
        bad = upper - _ENUMS[name]
        if bad:
            allowed = ", ".join(sorted(_ENUMS[name]))
            raise SelectorError(f"{name} value(s) {sorted(bad)} unknown; use one of {allowed}", crit.position)
        return lambda p: str(p.get(name, "")).upper() in upper
    if name == "displayId":
        wanted = {v.upper().removeprefix("P-") for v in values}
        return lambda p: str(p.get("displayId", "")).upper().removeprefix("P-") in wanted
    if name == "problemId":
        return lambda p: p.get("problemId") in values
    if name in ("rootCauseEntity", "affectedEntities", "impactedEntities"):
        wanted_ids = set(values)
        return lambda p: bool(problem_entity_ids(p, name) & wanted_ids)
    if name == "affectedEntityTypes":
        return lambda p: any(
            isinstance(s, dict) and str((s.get("entityId") or {}).get("type", "")).upper() in upper
            for s in p.get("affectedEntities") or []
        )
    if name == "entityTags":
        patterns = [parse_tag(v) for v in values]
        return lambda p: any(pat.matches(t) for t in record_tags(p.get("entityTags")) for pat in patterns)
    if name in ("managementZoneIds", "managementZones"):
        key = "id" if name == "managementZoneIds" else "name"
        wanted_zones = {v.casefold() for v in values}
        return lambda p: any(
            isinstance(z, dict) and str(z.get(key, "")).casefold() in wanted_zones
            for z in p.get("managementZones") or []
        )
    if name in ("problemFilterIds", "problemFilterNames", "problemFilterNames.equals"):
        key = "id" if name == "problemFilterIds" else "name"
        wanted_filters = {v.casefold() for v in values}
        exact = name != "problemFilterNames"

        def filter_check(p: dict[str, Any]) -> bool:
            names = [
                str(f.get(key, "")).casefold() for f in p.get("problemFilters") or [] if isinstance(f, dict)
            ]
            if exact:
                return any(n in wanted_filters for n in names)
            return any(w in n for n in names for w in wanted_filters)

        return filter_check
    if name == "underMaintenance":
        flags = {v.lower() for v in values}
        if not flags <= {"true", "false"}:
            raise SelectorError("underMaintenance takes true or false", crit.position)
        return lambda p: str(bool(p.get("underMaintenance", False))).lower() in flags
    if name == "text":
        if any(len(v) > 30 for v in values):
            raise SelectorError("text(...) values may be at most 30 characters", crit.position)
        needles = [v.casefold() for v in values]
        return lambda p: any(
            n in str(p.get("title", "")).casefold() or n in str(p.get("displayId", "")).casefold()
            for n in needles
        )
    raise SelectorError(f"unknown problemSelector criterion {name!r}", crit.position)


def overlaps(problem: dict[str, Any], start_ms: int, end_ms: int) -> bool:
    """Whether a problem was open at some point of ``[start_ms, end_ms]``."""
    started = problem.get("startTime")
    ended = problem.get("endTime", -1)
    if isinstance(started, int | float) and started > end_ms:
        return False
    return not (isinstance(ended, int | float) and ended != -1 and ended < start_ms)


def sort_problems(problems: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    """Sort by ``status``/``startTime``/``relevance`` keys with ``+``/``-``; SelectorError if unknown."""
    keys = [k.strip() for k in (sort or "+status,-startTime").split(",") if k.strip()]
    result = list(problems)
    for key in reversed(keys):
        descending = key.startswith("-")
        field = key.lstrip("+-")
        if field == "status":
            # "+status": open problems before closed ones.
            result.sort(key=lambda p: str(p.get("status", "")).upper() != "OPEN", reverse=descending)
        elif field == "startTime":
            result.sort(key=lambda p: p.get("startTime") or 0, reverse=descending)
        elif field == "relevance":
            result.sort(key=lambda p: len(problem_entity_ids(p)), reverse=descending)
        else:
            raise SelectorError(f"cannot sort by {field!r}; use status, startTime or relevance", 0)
    return result


def project_problem(problem: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A copy without the detail blocks that were not requested."""
    return {k: v for k, v in problem.items() if k not in OPTIONAL_FIELDS or k in fields}
