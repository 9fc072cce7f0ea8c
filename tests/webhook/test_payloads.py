"""The payload parser: every documented shape, tolerant field names, clear rejections."""

from __future__ import annotations

import json

import pytest

from dynatrace_agent.webhook.payloads import (
    ImpactedEntity,
    PayloadError,
    body_hash,
    decode_body,
    parse_notification,
)

CLASSIC = {
    "State": "OPEN",
    "PID": "-5123456789012345678_1718000000000V2",
    "ProblemID": "240101",
    "ProblemTitle": "Failure rate increase",
    "ProblemImpact": "SERVICE",
    "ProblemSeverity": "ERROR",
    "ProblemURL": "https://abc12345.live.dynatrace.com/#problems/problemdetail;pid=-5123456789012345678_1718000000000V2",
    "ImpactedEntities": [{"type": "SERVICE", "name": "checkout", "entity": "SERVICE-00000000000000A1"}],
    "ImpactedEntityNames": "checkout",
    "Tags": "env:prod, team:checkout",
    "ProblemDetailsText": "Problem 240101 in environment ...",
}


def test_classic_custom_integration_payload() -> None:
    n = parse_notification(CLASSIC)
    assert n.problem_ref == CLASSIC["PID"]
    assert n.problem_id == CLASSIC["PID"]
    assert n.display_id == "P-240101"
    assert n.state == "OPEN"
    assert n.title == "Failure rate increase"
    assert (n.severity, n.impact) == ("ERROR", "SERVICE")
    assert n.tags == ("env:prod", "team:checkout")
    assert n.entities == (ImpactedEntity(id="SERVICE-00000000000000A1", name="checkout", type="SERVICE"),)
    assert n.shape == "classic"
    assert n.problem_ref == CLASSIC["PID"]


def test_documented_payload_with_lowercase_names() -> None:
    body = {
        "problemId": "P-77",
        "pid": "-1_2V2",
        "state": "resolved",
        "title": "Slow",
        "severity": "performance",
        "impact": "APPLICATION",
        "url": "https://x.live.dynatrace.com/#problems",
        "tags": ["app:shop", "team:web"],
        "impactedEntityNames": "frontend, api",
        "details": "text",
    }
    n = parse_notification(body)
    assert (n.problem_ref, n.display_id, n.state, n.raw_state) == ("-1_2V2", "P-77", "RESOLVED", "RESOLVED")
    assert n.severity == "PERFORMANCE"
    assert [e.name for e in n.entities] == ["frontend", "api"]
    assert n.tags == ("app:shop", "team:web")


def test_problem_id_alone_is_display_or_internal_by_its_form() -> None:
    assert parse_notification({"problemId": "P-5", "state": "OPEN"}).problem_ref == "P-5"
    assert parse_notification({"problemId": "5", "state": "OPEN"}).display_id == "P-5"
    internal = parse_notification({"problemId": "-77_123V2", "state": "OPEN"})
    assert (internal.problem_id, internal.display_id) == ("-77_123V2", None)


@pytest.mark.parametrize("key", ["ProblemID", "problemid", "PROBLEM_ID", "problem-id", "Problem_Id"])
def test_field_names_ignore_case_and_separators(key: str) -> None:
    assert parse_notification({key: "240101", "STATE": "Open"}).display_id == "P-240101"


def test_impacted_entities_as_quoted_json_string_and_problem_details_json() -> None:
    details = {
        "id": "-9_1V2",
        "displayName": "555",
        "status": "OPEN",
        "title": "Host unavailable",
        "severityLevel": "AVAILABILITY",
        "impactLevel": "INFRASTRUCTURE",
        "tagsOfAffectedEntities": [{"context": "CONTEXTLESS", "key": "env", "value": "prod"}, {"key": "k8s"}],
        "rankedImpacts": [{"entityId": "HOST-0000000000000001", "entityName": "db-1"}],
        "startTime": 1718000000000,
    }
    n = parse_notification({"ProblemDetailsJSON": details})
    assert (n.problem_ref, n.display_id, n.state, n.title) == ("-9_1V2", "P-555", "OPEN", "Host unavailable")
    assert n.tags == ("env:prod", "k8s")
    assert n.entities[0].id == "HOST-0000000000000001"
    assert n.start_ms == 1718000000000
    quoted = parse_notification(
        {
            "ProblemID": "1",
            "State": "OPEN",
            "ImpactedEntities": json.dumps([{"entity": "HOST-00000000000000AA", "name": "h"}]),
        }
    )
    assert quoted.entities == (ImpactedEntity(id="HOST-00000000000000AA", name="h", type=None),)


def test_workflow_problem_record_flat_and_nested() -> None:
    flat = {
        "event.id": "-4_1V2",
        "display_id": "P-2401",
        "event.status": "ACTIVE",
        "event.name": "CPU saturation",
        "event.category": "RESOURCE",
        "affected_entity_ids": ["HOST-00000000000000B1", "PROCESS_GROUP_INSTANCE-00000000000000C2"],
        "entity_tags": ["env:prod"],
        "root_cause_entity_name": "db-1",
        "event.start": "2024-06-10T06:00:00Z",
    }
    n = parse_notification(flat)
    assert (n.problem_ref, n.display_id, n.state, n.title, n.severity) == (
        "-4_1V2",
        "P-2401",
        "OPEN",
        "CPU saturation",
        "RESOURCE",
    )
    assert [e.type for e in n.entities] == ["HOST", "PROCESS_GROUP_INSTANCE"]
    assert n.root_cause == "db-1"
    assert n.shape == "workflow"
    assert n.start_ms == 1717999200000  # the ISO event.start a Workflows record sends is kept
    nested = parse_notification({"event": {"id": "-4_1V2", "status": "CLOSED"}, "display_id": "P-2401"})
    assert (nested.problem_ref, nested.state, nested.raw_state) == ("-4_1V2", "RESOLVED", "CLOSED")
    reopened = parse_notification({**flat, "event.status_transition": "REOPENED"})
    assert reopened.state == "OPEN"


@pytest.mark.parametrize(
    "value",
    [
        "2024-06-10T06:00:00.000000000Z",
        "2024-06-10T08:00:00+02:00",
        1717999200000,
        "1717999200000",
        1717999200,
        1717999200000000,
        1717999200000000000,
    ],
)
def test_workflow_event_start_iso_or_epoch(value: object) -> None:
    """Workflows send event.start as ISO text; epoch s/ms/µs/ns still parse to the same instant."""
    body = {"event.id": "-4_1V2", "event.status": "ACTIVE", "event.start": value, "event.end": "-1"}
    n = parse_notification(body)
    assert n.start_ms == 1717999200000 and n.end_ms is None


def test_send_test_notification_is_recognised() -> None:
    body = {"State": "OPEN", "ProblemID": "999", "ProblemTitle": "Dynatrace problem notification test run"}
    assert parse_notification(body).is_test
    assert parse_notification({"isTest": True}).is_test
    assert not parse_notification(CLASSIC).is_test


def test_missing_identity_and_state_name_the_fields() -> None:
    with pytest.raises(PayloadError) as err:
        parse_notification({"title": "x"})
    assert err.value.status == 422
    assert len(err.value.fields) == 2
    assert "problem id" in err.value.message and "state" in err.value.message
    with pytest.raises(PayloadError) as only_state:
        parse_notification({"pid": "1_V2"})
    assert only_state.value.fields == ["state (state / State / event.status)"]


def test_unknown_state_and_wrong_types_are_422() -> None:
    with pytest.raises(PayloadError) as err:
        parse_notification({"pid": "1", "state": "EXPLODED"})
    assert (err.value.status, err.value.fields) == (422, ["state"])
    assert "EXPLODED" in err.value.message
    with pytest.raises(PayloadError) as typed:
        parse_notification({"pid": {"nested": 1}, "state": ["OPEN"]})
    assert typed.value.status == 422


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"", 400),
        (b"not json", 400),
        (b"\xff\xfe\x00", 400),
        (b"[1,2]", 422),
        (b'"OPEN"', 422),
        (b"[" * 100000, 400),
    ],
)
def test_decode_body_rejections(raw: bytes, status: int) -> None:
    with pytest.raises(PayloadError) as err:
        decode_body(raw)
    assert err.value.status == status


def test_body_hash_ignores_key_order_and_whitespace() -> None:
    a = decode_body(b'{"a": 1, "b": [1, 2]}')
    b = decode_body(b'{"b":[1,2],"a":1}')
    assert body_hash(a) == body_hash(b)
    assert body_hash(a) != body_hash({"a": 2, "b": [1, 2]})
