"""Davis problems through the classic Problems API v2: list with a safe selector, or get one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from dynatrace_agent.capabilities.base import CapabilityResult, check_limit, to_models
from dynatrace_agent.capabilities.selectors import (
    classic_time,
    entity_ids,
    quoted_list,
    selector_value,
)
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.models import IMPACT_LEVELS, SEVERITY_LEVELS, Problem, parse_problem_ref
from dynatrace_agent.summarise.problems import summarise_problem, summarise_problems

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "Problem", "build_problem_selector", "get_problem", "list_problems"]

CAPABILITY = "problems"


def _levels(values: Sequence[str], allowed: Sequence[str], what: str) -> list[str]:
    out = []
    for value in values:
        upper = value.strip().upper()
        if upper not in allowed:
            raise InvalidArgumentError(f"{value!r} is not a problem {what}; use one of {', '.join(allowed)}")
        out.append(upper)
    return out


def build_problem_selector(
    *,
    status: Literal["open", "closed"] | None = None,
    severity: Sequence[str] = (),
    impact: Sequence[str] = (),
    entity_ids_: Sequence[str] = (),
    tags: Sequence[str] = (),
    text: str | None = None,
) -> str | None:
    """A ``problemSelector`` from checked arguments (``None`` when nothing filters)."""
    parts: list[str] = []
    if status is not None:
        if status not in ("open", "closed"):
            raise InvalidArgumentError("status must be 'open' or 'closed'")
        parts.append(f'status("{status}")')
    if severity:
        parts.append(f"severityLevel({quoted_list(_levels(severity, SEVERITY_LEVELS, 'severity'))})")
    if impact:
        parts.append(f"impactLevel({quoted_list(_levels(impact, IMPACT_LEVELS, 'impact level'))})")
    if entity_ids_:
        parts.append(f"affectedEntities({quoted_list(entity_ids(entity_ids_))})")
    if tags:
        parts.append(f"entityTags({quoted_list(list(tags))})")
    if text:
        if len(text) > 30:
            raise InvalidArgumentError(
                "problem text search is limited to 30 characters by Dynatrace; shorten it"
            )
        parts.append(f"text({selector_value(text)})")
    return ",".join(parts) or None


async def list_problems(
    client: DynatraceClient,
    *,
    status: Literal["open", "closed"] | None = None,
    severity: Sequence[str] = (),
    impact: Sequence[str] = (),
    entity_ids: Sequence[str] = (),
    tags: Sequence[str] = (),
    text: str | None = None,
    timeframe: str = "now-2h",
    to: str | None = None,
    max_problems: int = 100,
) -> CapabilityResult[Problem]:
    """Davis problems matching the filters, newest first."""
    check_limit(max_problems, "max_problems", 1, 1000)
    selector = build_problem_selector(
        status=status, severity=severity, impact=impact, entity_ids_=entity_ids, tags=tags, text=text
    )
    start = classic_time(timeframe)
    end = classic_time(to) if to else None
    call = f"GET /api/v2/problems?problemSelector={selector or ''}&from={start}" + (
        f"&to={end}" if end else ""
    )
    raw: list[dict[str, Any]] = []
    async for item in client.environment.list_problems(
        problem_selector=selector, from_=start, to=end, sort="-startTime", max_items=max_problems + 1
    ):
        raw.append(item)
    truncated = len(raw) > max_problems
    raw = raw[:max_problems]
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(Problem, raw),
        raw=raw,
        query=call,
        queries=[call],
        truncated=truncated,
        limits={"max_problems": max_problems},
        summariser=lambda budget: summarise_problems(raw, budget=budget),
    )


async def get_problem(client: DynatraceClient, problem: str) -> CapabilityResult[Problem]:
    """One problem by display id (``P-…``) or problemId, with evidence, impact and comments."""
    ref = parse_problem_ref(problem)
    item = await client.environment.get_problem(ref)
    base = client.settings.classic_base_url
    link = f"{base}/#problems/problemdetail;pid={item.get('problemId')}" if item.get("problemId") else None
    call = f"GET /api/v2/problems/{ref}?fields=evidenceDetails,impactAnalysis,recentComments"
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(Problem, [item]),
        raw=[item],
        query=call,
        queries=[call],
        summariser=lambda budget: summarise_problem(item, budget=budget, link=link),
    )
