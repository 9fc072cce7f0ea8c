"""SLOs → name, targets, warning thresholds, timeframes and SLI definition.

Reads both the platform SLO service shape (``criteria[]``, ``customSli``/``sliReference``)
and the classic SLO API shape (``target``, ``warning``, ``timeframe``, ``metricExpression``,
``status``), because tenants have either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dynatrace_agent.summarise._common import Record, fmt_num, shorten
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, fit_sections, table_section, top_n
from dynatrace_agent.values import as_float

__all__ = ["slo_criteria", "slo_sli", "summarise_slos"]


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
    for slo in records[: top_n(budget, per_item=180)]:
        status = slo.get("status")
        value = as_float(slo.get("evaluatedPercentage"))
        current = f"{status or ''} {fmt_num(value) + '%' if value is not None else ''}".strip() or "–"
        tags = slo.get("tags")
        for target, warning, frame in slo_criteria(slo):
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
    table = table_section(
        None,
        ["name", "id", "target %", "warning %", "timeframe", "status", "SLI", "tags"],
        rows,
        noun="SLO criteria",
        total=sum(len(slo_criteria(s)) for s in records),
        max_cell_chars=120,
    )
    return fit_sections(headline, [table], budget=budget, narrow=narrow)
