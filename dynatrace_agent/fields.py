"""The Grail record fields this project reads, per data object, and where each was confirmed.

A wrong field name fails silently on a real tenant: the filter matches nothing and the summary
says "no data". So every field the capabilities, the investigation graph and the simulator's
generators rely on is listed here with its source, and a test parses every query the project
sends and fails on a field outside this registry. ``test-connection --deep`` uses the same
lists to report which expected fields a real tenant leaves empty.

Sources (``/work/shared/reference/dynatrace-api.md`` is "the reference"):

* ``§10`` — checked against Dynatrace's own clients (dtctl, the MCP server, the DQL skill
  files, api-client-python) in the reference's section 10;
* ``§2`` — the reference's per-data-object field lists, marked certain or [SRC]/[DOC] there;
* ``rum-skill`` — Dynatrace's DQL skill file for ``user.sessions`` (session aggregates and
  ``error.*`` counters);
* ``mcp`` — fields Dynatrace's MCP server selects from ``dt.davis.problems``;
* ``unverified`` — used in good faith but not yet confirmed against a Dynatrace source; a
  ``test-connection --deep`` run on a real tenant is how these get confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["EXPECTED", "GRAIL_FIELDS", "TIMESERIES", "field_source", "is_registered", "unregistered"]

#: The pseudo data object for metric dimensions used in ``timeseries … by:{…}`` / ``filter:``.
TIMESERIES = "timeseries"

_SPAN_FIELDS = {
    "trace.id": "§10 (a uid: compare with toUid)",
    "span.id": "§10 (a uid)",
    "span.parent_id": "§2 (a uid, null at the root)",
    "span.name": "§2",
    "span.kind": "§2",
    "start_time": "§2",
    "end_time": "§2",
    "duration": "§2 certain (ns)",
    "request.is_failed": "§2 certain",
    "request.is_root_span": "§2",
    "dt.entity.service": "§10",
    "dt.service.name": "§10",
    "service.name": "§10 (OpenTelemetry attribute, often null on OneAgent spans)",
    "endpoint.name": "§2",
    "http.route": "§2",
    "http.request.method": "§2",
    "http.response.status_code": "§2",
    "dt.entity.process_group": "§2",
    "k8s.pod.name": "§2",
}

_LOG_FIELDS = {
    "timestamp": "§2 certain",
    "content": "§2 certain",
    "loglevel": "§2 certain",
    "status": "§2",
    "log.source": "§2",
    "dt.entity.process_group": "§10",
    "dt.entity.host": "§10",
    "dt.process.name": "§10",
    "dt.entity.service": "§10 (only some ingestion paths)",
    "service.name": "§2",
    "dt.service.name": "unverified on logs (confirmed on spans, §10); the investigation's log labels read it",
    "host.name": "§2",
    "trace_id": "§10 (a string on logs)",
    "span_id": "§10 (a string on logs)",
    "k8s.cluster.name": "§2",
    "k8s.namespace.name": "§2",
    "k8s.pod.name": "§2",
    "k8s.workload.name": "§10 (k8s.*)",
    "k8s.deployment.name": "§10 (k8s.*) unverified name",
    "k8s.container.name": "§10 (k8s.*) unverified name",
}

_EVENT_FIELDS = {
    "timestamp": "§2",
    "event.id": "§2",
    "event.kind": "§10",
    "event.type": "§10",
    "event.name": "§2",
    "event.description": "§2",
    "event.status": "§2",
    "event.start": "§2",
    "event.end": "§2",
    "event.category": "§2",
    "event.provider": "§2",
    "dt.source_entity": "§10",
    "affected_entity_ids": "§2",
}

GRAIL_FIELDS: Mapping[str, Mapping[str, str]] = {
    "spans": _SPAN_FIELDS,
    "logs": _LOG_FIELDS,
    "events": _EVENT_FIELDS,
    "dt.davis.events": _EVENT_FIELDS,
    "bizevents": {
        "timestamp": "§2",
        "event.id": "§2",
        "event.type": "§2",
        "event.provider": "§2",
        "event.kind": "§2",
    },
    "user.sessions": {
        "dt.rum.session.id": "§10",
        "start_time": "§10",
        "end_time": "§10",
        "duration": "§10",
        "frontend.name": "§10 (an array)",
        "dt.rum.user_tag": "§10",
        "dt.rum.instance.id": "§10",
        "dt.rum.user_type": "§10 (real_user, synthetic, robot)",
        "dt.rum.application.type": "rum-skill",
        "error.count": "§10",
        "error.exception_count": "rum-skill",
        "error.http_4xx_count": "rum-skill",
        "error.http_5xx_count": "rum-skill",
        "error.anr_count": "rum-skill",
        "error.csp_violation_count": "rum-skill",
        "error.has_crash": "rum-skill",
        "end_reason": "§2",
        "navigation_count": "§2",
        "request_count": "§2",
        "user_action_count": "§2",
        "browser.name": "rum-skill",
        "geo.country.name": "rum-skill",
    },
    "dt.davis.problems": {
        "timestamp": "mcp",
        "display_id": "mcp",
        "event.id": "mcp",
        "event.name": "mcp",
        "event.description": "mcp",
        "event.status": "mcp",
        "event.category": "mcp",
        "event.start": "mcp",
        "event.end": "mcp",
        "root_cause_entity_id": "mcp",
        "root_cause_entity_name": "mcp",
        "affected_entity_ids": "mcp",
        "dt.davis.event_ids": "mcp",
        "dt.davis.is_duplicate": "mcp",
        "entity_tags": "mcp",
    },
    TIMESERIES: {
        "dt.entity.service": "§2 (metric dimension)",
        "dt.entity.host": "§2 (metric dimension)",
        "dt.entity.process_group": "unverified (metric dimension)",
        "dt.entity.process_group_instance": "unverified (metric dimension)",
        "k8s.pod.name": "unverified (metric dimension)",
        "k8s.workload.name": "unverified (metric dimension)",
        "k8s.namespace.name": "unverified (metric dimension)",
        "service.name": "unverified (metric dimension of OpenTelemetry metrics)",
    },
}

#: Per capability: the data object it reads and the fields its filters and summaries rely on.
#: ``test-connection --deep`` fetches a few records of each and reports which of these a tenant
#: leaves missing (never present) or empty (always null).
EXPECTED: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "logs": (
        "logs",
        ("timestamp", "content", "loglevel", "dt.entity.process_group", "dt.entity.host", "trace_id"),
    ),
    "traces": (
        "spans",
        (
            "trace.id",
            "span.id",
            "span.parent_id",
            "span.name",
            "start_time",
            "duration",
            "dt.entity.service",
            "dt.service.name",
            "request.is_failed",
        ),
    ),
    "events": ("events", ("timestamp", "event.id", "event.kind", "event.type", "event.name")),
    "business_events": ("bizevents", ("timestamp", "event.type", "event.provider")),
    "user_sessions": (
        "user.sessions",
        (
            "dt.rum.session.id",
            "start_time",
            "frontend.name",
            "dt.rum.user_type",
            "dt.rum.instance.id",
            "error.count",
        ),
    ),
}

#: ``fetch dt.entity.<type>`` records (Grail's entity tables).
_ENTITY_TABLE_FIELDS = {"id": "§2", "entity.name": "§2", "entity.type": "§2", "tags": "§2"}


def _table(table: str) -> Mapping[str, str] | None:
    if table.startswith("dt.entity."):
        return _ENTITY_TABLE_FIELDS
    return GRAIL_FIELDS.get(table)


def field_source(table: str, field: str) -> str | None:
    """Where ``field`` of ``table`` was confirmed, or None when it is not registered.

    ``dt.entity.<type>`` id fields are registered on every table that carries entity context
    (events, logs, spans and metric dimensions name entities this way, reference §2/§10).
    """
    fields = _table(table)
    if fields is None:
        return None
    if field in fields:
        return fields[field]
    if field.startswith("dt.entity.") and table in ("events", "dt.davis.events"):
        return "§10 (dt.entity.<type> on events)"
    return None


def is_registered(table: str, field: str) -> bool:
    """True when ``field`` is a registered field of ``table``."""
    return field_source(table, field) is not None


def unregistered(table: str, fields: set[str] | frozenset[str]) -> list[str]:
    """The fields of ``table`` outside the registry, sorted."""
    return sorted(f for f in fields if not is_registered(table, f))
