"""SLOs → name, targets, warning thresholds, timeframes, SLI, and the evaluated status.

Reads the platform SLO service's definitions (``criteria[]``, ``customSli``/``sliReference``)
and their evaluations (``evaluationResults[]`` per criterion: ``status``, ``value``,
``errorBudget``), which the capability attaches to each SLO. The platform list itself carries
no status; classic-API fields such as ``status``/``evaluatedPercentage`` are not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dynatrace_agent.summarise._common import Record, fmt_num, shorten
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, fit_sections, table_section, top_n
from dynatrace_agent.values import as_float

__all__ = ["slo_criteria", "slo_evaluation", "slo_sli", "summarise_slos"]


def slo_criteria(slo: Mapping[str, Any]) -> list[tuple[float | None, float | None, str]]:
    """``(target, warning, timeframe)`` per criterion, for either SLO shape."""
    criteria = slo.get("criteria")
    if isinstance(criteria, list) and criteria:
        out = []
        for c in criteria:
            if isinstance(c, Mapping):
                frame = f"{c.get('timeframeFrom', '?')} .. {c.get('timeframeTo', 'now')}"
                out.append((as_float(c.get("target")), as_float(c.get("warning")), frame))
        return out
    return [(as_float(slo.get("target")), as_float(slo.get("warning")), str(slo.get("timeframe") or "?"))]


def slo_sli(slo: Mapping[str, Any]) -> str:
    """The SLI: custom DQL indicator, template reference, or classic metric expression."""
    custom = slo.get("customSli")
    if isinstance(custom, Mapping) and custom.get("indicator"):
        return str(custom["indicator"])
    ref = slo.get("sliReference")
    if isinstance(ref, Mapping):
        variables = ref.get("variables") or []
        shown = ", ".join(f"{v.get('name')}={v.get('value')}" for v in variables if isinstance(v, Mapping))
        return f"template {ref.get('templateId')}" + (f" ({shown})" if shown else "")
    return str(slo.get("metricExpression") or slo.get("metricKey") or "?")


def slo_evaluation(slo: Mapping[str, Any], index: int) -> str:
    """The evaluated status of criterion ``index``: ``WARNING 99.1% (budget 12%)``, or why there is none."""
    results = slo.get("evaluationResults")
    if isinstance(results, list) and index < len(results) and isinstance(results[index], Mapping):
        result = results[index]
        value, budget = as_float(result.get("value")), as_float(result.get("errorBudget"))
        parts = [str(result.get("status") or "?")]
        if value is not None:
            parts.append(f"{fmt_num(value)}%")
        if budget is not None:
            parts.append(f"(budget {fmt_num(budget)}%)")
        if result.get("message") and value is None:
            parts.append(shorten(str(result["message"]), 60))
        return " ".join(parts)
    if slo.get("evaluationError"):
        return "not evaluated: " + shorten(str(slo["evaluationError"]), 60)
    return "not evaluated"


def summarise_slos(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    narrow: str | None = "a name filter",
) -> str:
    """One row per SLO criterion, with status/current value when the API provided them."""
    if not records:
        return fit_sections(
            "No SLOs are defined (or the filter matched none). SLOs need the scope slo:slos:read.",
            [],
            budget=budget,
        )
    rows = []
    statuses: dict[str, int] = {}
    for slo in records:
        for result in slo.get("evaluationResults") or []:
            if isinstance(result, Mapping):
                key = str(result.get("status") or "?")
                statuses[key] = statuses.get(key, 0) + 1
    for slo in records[: top_n(budget, per_item=180)]:
        tags = slo.get("tags")
        for index, (target, warning, frame) in enumerate(slo_criteria(slo)):
            current = slo_evaluation(slo, index)
            rows.append(
                [
                    slo.get("name"),
                    slo.get("id"),
                    fmt_num(target),
                    fmt_num(warning),
                    frame,
                    current,
                    shorten(slo_sli(slo), 120),
                    ", ".join(str(t) for t in tags[:3]) if isinstance(tags, list) else "",
                ]
            )
    headline = f"{len(records):,} SLOs"
    if statuses:
        order = ("FAILURE", "WARNING", "SUCCESS")
        ranked = sorted(statuses.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 3, kv[0]))
        headline += "; evaluated: " + ", ".join(f"{n} {status}" for status, n in ranked)
    table = table_section(
        None,
        ["name", "id", "target %", "warning %", "timeframe", "status", "SLI", "tags"],
        rows,
        noun="SLO criteria",
        total=sum(len(slo_criteria(s)) for s in records),
        max_cell_chars=120,
    )
    return fit_sections(headline, [table], budget=budget, narrow=narrow)
