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
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, fit_sections, table_section, top_n

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
    return f"{rule.get('condition') or ''} {'' if threshold is None else threshold}".strip()


def _samples(violating: object, window: object) -> str | None:
    if violating is None and window is None:
        return None
    return f"{violating} of {window}"


def summarise_alerting_rules(
    records: Sequence[Record],
    *,
    budget: int = DEFAULT_BUDGET,
    narrow: str | None = "enabled_only or a text filter",
) -> str:
    """A table of alerting rules (raw settings objects or :func:`normalise_rule` output)."""
    rules = [normalise_rule(r) for r in records]
    if not rules:
        return fit_sections(
            "No alerting rules are configured (no metric events and no Davis anomaly detectors), "
            "or the token lacks settings.read.",
            [],
            budget=budget,
        )
    kinds = Counter(str(r["kind"]) for r in rules)
    enabled = sum(1 for r in rules if r.get("enabled"))
    headline = f"{len(rules):,} alerting rules ({counts_line(kinds)}); {enabled:,} enabled"
    rows = [
        [
            r.get("title"),
            "yes" if r.get("enabled") else "no",
            r.get("kind"),
            shorten(str(r.get("alerted_on") or "?"), 110),
            r.get("model"),
            _condition(r),
            r.get("samples"),
            r.get("object_id"),
        ]
        for r in sorted(rules, key=lambda r: (not r.get("enabled"), str(r.get("title") or "")))[
            : top_n(budget)
        ]
    ]
    table = table_section(
        None,
        ["title", "enabled", "kind", "alerted on", "model", "condition", "violating samples", "objectId"],
        rows,
        noun="rules",
        total=len(rules),
        max_cell_chars=110,
    )
    return fit_sections(headline, [table], budget=budget, narrow=narrow)
