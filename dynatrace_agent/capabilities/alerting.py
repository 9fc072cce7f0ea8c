"""Alerting rules: classic metric events and Davis anomaly detectors, normalised to one shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynatrace_agent.capabilities.base import CapabilityResult, Float, Record, Text, check_limit, to_models
from dynatrace_agent.summarise.alerting import (
    ANOMALY_DETECTORS_SCHEMA,
    METRIC_EVENTS_SCHEMA,
    normalise_rule,
    summarise_alerting_rules,
)

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = ["CAPABILITY", "AlertingRule", "list_alerting_rules"]

CAPABILITY = "alerting_rules"


class AlertingRule(Record):
    """One alerting rule: what is alerted on, under which condition, and whether it is on."""

    object_id: Text = None
    schema_id: Text = None
    kind: Text = None
    title: Text = None
    enabled: bool = False
    alerted_on: Text = None
    model: Text = None
    condition: Text = None
    threshold: Float = None
    event_type: Text = None
    samples: Text = None


async def list_alerting_rules(
    client: DynatraceClient,
    *,
    enabled_only: bool = False,
    text: str | None = None,
    max_rules: int = 500,
) -> CapabilityResult[AlertingRule]:
    """Metric events and Davis anomaly detectors, optionally only enabled ones or matching ``text``."""
    check_limit(max_rules, "max_rules", 1, 2000)
    schemas = [METRIC_EVENTS_SCHEMA, ANOMALY_DETECTORS_SCHEMA]
    call = f"GET /api/v2/settings/objects?schemaIds={','.join(schemas)}"
    raw: list[dict[str, Any]] = []
    async for item in client.environment.list_settings_objects(schemas, max_items=max_rules):
        raw.append(item)
    normalised = [normalise_rule(r) for r in raw]
    keep = [
        i
        for i, rule in enumerate(normalised)
        if (not enabled_only or rule.get("enabled"))
        and (not text or text.lower() in f"{rule.get('title')} {rule.get('alerted_on')}".lower())
    ]
    raw = [raw[i] for i in keep]
    normalised = [normalised[i] for i in keep]
    return CapabilityResult(
        capability=CAPABILITY,
        records=to_models(AlertingRule, normalised),
        raw=raw,
        query=call,
        queries=[call],
        limits={"max_rules": max_rules},
        summariser=lambda budget: summarise_alerting_rules(normalised, budget=budget),
    )
