"""Alerting rules → what is alerted on, the condition and threshold, and whether it is enabled.

Two settings schemas hold alerting rules with different shapes: classic metric events
(``builtin:anomaly-detection.metric-events``) and Davis anomaly detectors over DQL
(``builtin:davis.anomaly-detectors``). :func:`normalise_rule` maps both to one flat dict so
the capability's typed model and this summary read the same fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from dynatrace_agent.summarise._common import Record, counts_line, shorten
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, Section, fit_sections, table_section, top_n

__all__ = ["ANOMALY_DETECTORS_SCHEMA", "METRIC_EVENTS_SCHEMA", "normalise_rule", "summarise_alerting_rules"]

METRIC_EVENTS_SCHEMA = "builtin:anomaly-detection.metric-events"
ANOMALY_DETECTORS_SCHEMA = "builtin:davis.anomaly-detectors"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _analyzer_inputs(analyzer: Mapping[str, Any]) -> dict[str, str]:
    inputs = analyzer.get("input")
    if isinstance(inputs, Mapping):
        return {str(k): str(v) for k, v in inputs.items()}
    if isinstance(inputs, list):
        return {str(i.get("key")): str(i.get("value")) for i in inputs if isinstance(i, Mapping)}
    return {}


def normalise_rule(obj: Mapping[str, Any]) -> dict[str, Any]:
    """One flat dict per rule: ``object_id, schema_id, kind, title, enabled, alerted_on, model,
    condition, threshold, event_type, samples``. Unknown shapes keep what can be read."""
    if "kind" in obj and "alerted_on" in obj:
        return dict(obj)
    value = _mapping(obj.get("value"))
    schema = str(obj.get("schemaId") or "")
    base: dict[str, Any] = {"object_id": obj.get("objectId"), "schema_id": schema or None}
    if schema == ANOMALY_DETECTORS_SCHEMA or "analyzer" in value:
        analyzer = _mapping(value.get("analyzer"))
        inputs = _analyzer_inputs(analyzer)
        model = str(analyzer.get("name") or "").rsplit(".", 1)[-1].replace("AnomalyDetectionAnalyzer", "")
        props = {
            str(p.get("key")): p.get("value")
            for p in (_mapping(value.get("eventTemplate")).get("properties") or [])
            if isinstance(p, Mapping)
        }
        threshold = inputs.get("threshold")
        return {
            **base,
            "kind": "davis_anomaly_detector",
            "title": value.get("title") or props.get("event.name") or obj.get("summary"),
            "enabled": bool(value.get("enabled", False)),
            "alerted_on": inputs.get("query"),
            "model": model or None,
            "condition": inputs.get("alertCondition"),
            "threshold": float(threshold)
            if threshold not in (None, "") and _is_number(threshold)
            else threshold,
            "event_type": props.get("event.type"),
            "samples": _samples(inputs.get("violatingSamples"), inputs.get("slidingWindow")),
        }
    query = _mapping(value.get("queryDefinition"))
    model_props = _mapping(value.get("modelProperties"))
    template = _mapping(value.get("eventTemplate"))
    return {
        **base,
        "kind": "metric_event",
        "title": value.get("summary") or template.get("title") or obj.get("summary"),
        "enabled": bool(value.get("enabled", False)),
        "alerted_on": query.get("metricSelector") or query.get("metricKey"),
        "model": model_props.get("type"),
        "condition": model_props.get("alertCondition"),
        "threshold": model_props.get("threshold"),
        "event_type": template.get("eventType"),
        "samples": _samples(model_props.get("violatingSamples"), model_props.get("samples")),
    }


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _condition(rule: Mapping[str, Any]) -> str:
    threshold = rule.get("threshold")
    if isinstance(threshold, float) and threshold.is_integer():
        threshold = int(threshold)
    return f"{rule.get('condition') or ''} {'' if threshold is None else threshold}".strip()


def _samples(violating: object, window: object) -> str | None:
    if violating is None and window is None:
        return None
    return f"{violating} of {window}"


def _on(rule: Mapping[str, Any], chars: int = 90) -> str:
    return shorten(str(rule.get("alerted_on") or "?"), chars)


def _by_target(rules: Sequence[Mapping[str, Any]], limit: int) -> list[str]:
    """Rules grouped by what they alert on: count, enabled, and their models with conditions."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for rule in rules:
        groups.setdefault(_on(rule), []).append(rule)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    lines = []
    for target, members in ordered[:limit]:
        enabled = sum(1 for r in members if r.get("enabled"))
        how = Counter(" ".join(p for p in (str(r.get("model") or "?"), _condition(r)) if p) for r in members)
        lines.append(f"- {target}: {len(members):,} rules, {enabled:,} enabled; {counts_line(how, 3)}")
    return lines


_COLUMNS = (
    ("title", lambda r: r.get("title")),
    ("enabled", lambda r: "yes" if r.get("enabled") else "no"),
    ("kind", lambda r: r.get("kind")),
    ("alerted on", lambda r: _on(r, 70)),
    ("model", lambda r: r.get("model")),
    ("condition", _condition),
    ("violating samples", lambda r: r.get("samples")),
    ("event type", lambda r: r.get("event_type")),
)


def _rules_table(rules: Sequence[Mapping[str, Any]], total: int) -> Section:
    """A table of ``rules`` whose columns that hold one value for every row are said once above it."""
    values = [[str(get(r) or "–") for _, get in _COLUMNS] for r in rules]
    varying = [i for i in range(len(_COLUMNS)) if len({row[i] for row in values}) > 1 or i == 0]
    shared = [f"{_COLUMNS[i][0]} {values[0][i]}" for i in range(len(_COLUMNS)) if i not in varying]
    title = (
        "Rules, one per alerted-on group in turn, enabled first"
        + (f" (all rows: {'; '.join(shared)})" if shared else "")
        + ":"
    )
    rows = [[row[i] for i in varying] + [r.get("object_id")] for row, r in zip(values, rules, strict=True)]
    return table_section(
        title,
        [_COLUMNS[i][0] for i in varying] + ["objectId"],
        rows,
        noun="rules",
        total=total,
        max_cell_chars=160,
    )


def _spread(rules: Sequence[Mapping[str, Any]], count: int) -> list[Mapping[str, Any]]:
    """``count`` rules, enabled ones first, taking turns across what they alert on (largest
    group first) so the table shows one rule of each kind before a second of any."""
    picked: list[Mapping[str, Any]] = []
    for enabled in (True, False):
        queues: dict[str, list[Mapping[str, Any]]] = {}
        for rule in sorted(rules, key=lambda r: str(r.get("title") or "")):
            if bool(rule.get("enabled")) == enabled:
                queues.setdefault(_on(rule), []).append(rule)
        turns = sorted(queues.values(), key=lambda q: -len(q))
        depth = 0
        while len(picked) < count and any(len(q) > depth for q in turns):
            picked.extend(q[depth] for q in turns if len(q) > depth)
            depth += 1
    return sorted(picked[:count], key=lambda r: (not r.get("enabled"), _on(r), str(r.get("title") or "")))


def summarise_alerting_rules(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    narrow: str | None = "enabled_only or a text filter",
) -> str:
    """Counts, rules grouped by what they alert on, then a table of rules with their objectIds.

    Accepts raw settings objects or :func:`normalise_rule` output.
    """
    rules = [normalise_rule(r) for r in records]
    if not rules:
        return fit_sections(
            "No alerting rules are configured (no metric events and no Davis anomaly detectors), "
            "or the token lacks settings.read.",
            [],
            budget=budget,
        )
    kinds = Counter(str(r["kind"]) for r in rules)
    models = Counter(str(r.get("model") or "?") for r in rules)
    enabled = sum(1 for r in rules if r.get("enabled"))
    headline = (
        f"{len(rules):,} alerting rules ({counts_line(kinds)}); {enabled:,} enabled, "
        f"{len(rules) - enabled:,} disabled; models: {counts_line(models, 4)}"
    )
    targets = len({_on(r) for r in rules})
    grouped = Section(
        "What is alerted on (rules per metric or query):",
        _by_target(rules, top_n(budget, per_item=250)),
        noun="alerted-on groups",
        total=targets,
    )
    table = _rules_table(_spread(rules, top_n(budget, per_item=300)), len(rules))
    return fit_sections(headline, [grouped, table], budget=budget, narrow=narrow)
