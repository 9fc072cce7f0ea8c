"""Change and Davis events (``fetch events``): the triggering change, the decoys, the alerts."""

from __future__ import annotations

from typing import Any

from evals.generators.base.clock import NS_PER_MIN, NS_PER_MS, iso
from evals.generators.base.model import ChangeEvent, DavisEvent
from evals.generators.base.rng import CaseRandom
from evals.generators.base.tenant import Tenant

_CHANGE_TYPES = {
    "deployment": "CUSTOM_DEPLOYMENT",
    "configuration": "CUSTOM_CONFIGURATION",
    "info": "CUSTOM_INFO",
    "annotation": "CUSTOM_ANNOTATION",
}
_CATEGORY = {
    "ERROR_EVENT": "ERROR",
    "PERFORMANCE_EVENT": "SLOWDOWN",
    "AVAILABILITY_EVENT": "AVAILABILITY",
    "RESOURCE_CONTENTION_EVENT": "RESOURCE",
    "CUSTOM_ALERT": "CUSTOM_ALERT",
}


def event_id(rng: CaseRandom, ms: int) -> str:
    """Davis-style event id: 19 digits, underscore, start in epoch ms."""
    return f"{rng.digits(19)}_{ms}"


def _entity_field(tenant: Tenant, key: str) -> tuple[str, str]:
    entity_id = tenant.id_of(key)
    return f"dt.entity.{entity_id.rsplit('-', 1)[0].lower()}", entity_id


def change_record(
    tenant: Tenant, rng: CaseRandom, change: ChangeEvent, start_ns: int, digits: int
) -> dict[str, Any]:
    at = start_ns + int(change.at * NS_PER_MIN)
    end = at + int(rng.uniform(20, 170) * 1000 * NS_PER_MS)
    field, entity_id = _entity_field(tenant, change.target)
    record: dict[str, Any] = {
        "timestamp": iso(at, digits),
        "event.id": event_id(rng, at // NS_PER_MS),
        "event.kind": "SDLC_EVENT" if change.sdlc else "DAVIS_EVENT",
        "event.type": _CHANGE_TYPES[change.kind],
        "event.name": change.name,
        "event.description": change.description or change.name,
        "event.status": "CLOSED",
        "event.start": iso(at, digits),
        "event.end": iso(end, digits),
        "dt.source_entity": entity_id,
        field: entity_id,
        "affected_entity_ids": [entity_id],
    }
    if change.provider:
        record["event.provider"] = change.provider
    if change.kind == "deployment":
        record["deployment.name"] = f"{tenant.name_of(change.target)} {change.version}"
        record["deployment.version"] = change.version
        record["deployment.previous_version"] = change.previous_version
        record["deployment.project"] = tenant.app_tag
        record["deployment.release_stage"] = tenant.env_tag
    if change.kind == "configuration":
        record["config.key"] = change.config_key
        record["config.old_value"] = change.old_value
        record["config.new_value"] = change.new_value
    return record


def davis_record(
    tenant: Tenant, rng: CaseRandom, event: DavisEvent, start_ns: int, now_ns: int, digits: int
) -> dict[str, Any]:
    at = start_ns + int(event.at * NS_PER_MIN) + rng.randrange(30_000) * NS_PER_MS
    end_ns = None if event.end is None else start_ns + int(event.end * NS_PER_MIN)
    if end_ns is not None and end_ns > now_ns:
        end_ns = None
    field, entity_id = _entity_field(tenant, event.target)
    return {
        "timestamp": iso(at, digits),
        "event.id": event_id(rng, at // NS_PER_MS),
        "event.kind": "DAVIS_EVENT",
        "event.type": event.event_type,
        "event.name": event.name,
        "event.category": _CATEGORY[event.event_type],
        "event.status": "ACTIVE" if end_ns is None else "CLOSED",
        "event.start": iso(at, digits),
        "event.end": None if end_ns is None else iso(end_ns, digits),
        "dt.source_entity": entity_id,
        field: entity_id,
        "affected_entity_ids": [entity_id],
        "dt.davis.classic_event_type": event.classic_type,
    }
