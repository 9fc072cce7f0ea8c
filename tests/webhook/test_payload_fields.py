"""Which payload field feeds which part of a notification, and the limits on what is kept.

The README and the payload template docs promise that each documented field name (classic
placeholders, the project's template, a Workflows problem record, the embedded
``ProblemDetailsJSON``) is understood. A parser that forgets one alias silently turns a real
problem into a 422 or an investigation of the wrong thing, so every alias is named here once,
with the precedence between them and the bounds (200 entities/tags, 2,000 characters).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dynatrace_agent.webhook.payloads import (
    ImpactedEntity,
    Notification,
    PayloadError,
    decode_body,
    parse_notification,
)

BASE: dict[str, Any] = {"pid": "-1_1V2", "state": "OPEN"}


def parse(**fields: Any) -> Notification:
    return parse_notification({**BASE, **fields})


# --- identity -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["pid", "PID", "event.id", "problem.id", "Problem_Id_"])
def test_internal_problem_id_fields(key: str) -> None:
    name = "problem.id" if key == "Problem_Id_" else key
    n = parse_notification({name: "-7_77V2", "state": "OPEN"})
    assert n.problem_id == "-7_77V2"
    assert n.problem_ref == "-7_77V2"


def test_nested_internal_ids_are_found_like_flat_ones() -> None:
    assert parse_notification({"problem": {"id": "-8_8V2"}, "state": "OPEN"}).problem_id == "-8_8V2"


@pytest.mark.parametrize("key", ["displayId", "display_id", "ProblemDisplayId", "problemId"])
@pytest.mark.parametrize(("value", "shown"), [("P-2401", "P-2401"), ("p-12", "P-12"), ("99", "P-99")])
def test_display_id_fields_normalise_to_p_number(key: str, value: str, shown: str) -> None:
    n = parse_notification({key: value, "state": "OPEN"})
    assert n.display_id == shown
    assert n.problem_id is None
    assert n.problem_ref == shown


def test_display_id_field_wins_over_a_numeric_problem_id() -> None:
    n = parse_notification({"displayId": "P-1", "problemId": "2", "state": "OPEN"})
    assert n.display_id == "P-1"


def test_a_non_numeric_problem_id_is_internal_only_when_no_pid_is_given() -> None:
    assert (
        parse_notification({"pid": "-1_1V2", "problemId": "-2_2V2", "state": "OPEN"}).problem_id == "-1_1V2"
    )
    assert parse_notification({"problemId": "-2_2V2", "state": "OPEN"}).problem_id == "-2_2V2"


@pytest.mark.parametrize("value", ["P-", "P-12a", "x12", "P-123456789012345678901", "-5"])
def test_display_ids_that_are_not_p_numbers_are_not_display_ids(value: str) -> None:
    with pytest.raises(PayloadError):
        parse_notification({"displayId": value, "state": "OPEN"})


def test_display_id_allows_twenty_digits() -> None:
    assert parse_notification({"displayId": "1" * 20, "state": "OPEN"}).display_id == "P-" + "1" * 20


def test_identity_from_embedded_problem_details() -> None:
    by_problem_id = parse_notification(
        {"state": "OPEN", "details": {"problemId": "-3_3V2", "displayId": "P-3"}}
    )
    assert (by_problem_id.problem_id, by_problem_id.display_id) == ("-3_3V2", "P-3")
    by_id = parse_notification({"state": "OPEN", "ProblemDetails": {"id": "-4_4V2", "displayName": "44"}})
    assert (by_id.problem_id, by_id.display_id) == ("-4_4V2", "P-44")
    # the top level wins over the embedded record
    top = parse_notification(
        {"pid": "-5_5V2", "displayId": "P-5", "state": "OPEN", "details": {"id": "x", "displayId": "P-6"}}
    )
    assert (top.problem_id, top.display_id) == ("-5_5V2", "P-5")


def test_details_given_as_json_text_are_read() -> None:
    n = parse_notification({"ProblemDetailsJSON": json.dumps({"id": "-6_6V2", "status": "CLOSED"})})
    assert (n.problem_id, n.state) == ("-6_6V2", "RESOLVED")


def test_the_first_of_the_details_fields_holding_an_object_is_used() -> None:
    n = parse_notification({"state": "OPEN", "ProblemDetailsJSON": "plain text", "details": {"id": "-9_9V2"}})
    assert n.problem_id == "-9_9V2"


def test_numbers_are_accepted_as_ids() -> None:
    n = parse_notification({"problemId": 240101, "state": "OPEN"})
    assert n.display_id == "P-240101"


def test_the_first_spelling_of_a_field_wins() -> None:
    n = parse_notification({"pid": "-1_AV2", "PID": "-1_BV2", "state": "OPEN"})
    assert n.problem_id == "-1_AV2"


def test_empty_and_blank_fields_count_as_missing() -> None:
    n = parse_notification({"pid": "  ", "event.id": "-2_2V2", "state": "", "event.status": "ACTIVE"})
    assert (n.problem_id, n.state, n.raw_state) == ("-2_2V2", "OPEN", "ACTIVE")


# --- state ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("OPEN", "OPEN"),
        ("active", "OPEN"),
        ("Reopened", "OPEN"),
        ("CREATED", "OPEN"),
        ("UPDATED", "OPEN"),
        ("RESOLVED", "RESOLVED"),
        ("closed", "RESOLVED"),
        ("MERGED", "RESOLVED"),
    ],
)
def test_state_words(word: str, state: str) -> None:
    n = parse(state=word)
    assert n.state == state
    assert n.raw_state == word.upper()


@pytest.mark.parametrize("key", ["state", "State", "event.status", "ProblemStatus", "status"])
def test_state_fields(key: str) -> None:
    assert parse_notification({"pid": "-1_1V2", key: "CLOSED"}).state == "RESOLVED"


def test_state_field_precedence_and_embedded_state() -> None:
    assert parse_notification({"pid": "-1", "state": "OPEN", "status": "CLOSED"}).state == "OPEN"
    assert parse_notification({"pid": "-1", "details": {"status": "CLOSED"}}).state == "RESOLVED"
    assert parse_notification({"pid": "-1", "details": {"state": "RESOLVED"}}).state == "RESOLVED"
    assert parse_notification({"pid": "-1", "state": "OPEN", "details": {"status": "CLOSED"}}).state == "OPEN"


@pytest.mark.parametrize(("transition", "state"), [("RESOLVED", "RESOLVED"), ("reopened", "OPEN")])
def test_a_workflow_status_transition_overrides_the_status(transition: str, state: str) -> None:
    status = "ACTIVE" if state == "RESOLVED" else "CLOSED"
    n = parse_notification({"event.id": "-1", "event.status": status, "event.status_transition": transition})
    assert n.state == state
    assert n.raw_state == transition.upper()


def test_other_transitions_leave_the_status_alone() -> None:
    n = parse_notification({"event.id": "-1", "event.status": "ACTIVE", "event.status_transition": "UPDATED"})
    assert (n.state, n.raw_state) == ("OPEN", "ACTIVE")


def test_a_transition_alone_is_a_state() -> None:
    n = parse_notification({"event.id": "-1", "event.status_transition": "RESOLVED"})
    assert n.state == "RESOLVED"


def test_missing_fields_message_is_exact() -> None:
    with pytest.raises(PayloadError) as err:
        parse_notification({"title": "x"})
    assert err.value.status == 422
    assert err.value.fields == [
        "problem id (pid / ProblemID / problemId / event.id / display_id)",
        "state (state / State / event.status)",
    ]
    assert err.value.message == (
        "the notification is missing problem id (pid / ProblemID / problemId / event.id / display_id)"
        " and state (state / State / event.status); include them in the Dynatrace payload template"
    )
    assert str(err.value) == err.value.message
    with pytest.raises(PayloadError) as only_id:
        parse_notification({"state": "OPEN"})
    assert only_id.value.fields == ["problem id (pid / ProblemID / problemId / event.id / display_id)"]


def test_unknown_state_message_is_exact_and_bounded() -> None:
    with pytest.raises(PayloadError) as err:
        parse(state="x" * 100)
    assert err.value.status == 422
    assert err.value.fields == ["state"]
    assert err.value.message == (
        f"unknown problem state {'x' * 40!r}; expected OPEN or RESOLVED (or ACTIVE/CLOSED from a Workflow)"
    )


# --- what is shown --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["title", "ProblemTitle", "event.name"])
def test_title_fields(key: str) -> None:
    assert parse(**{key: " Slow checkout "}).title == "Slow checkout"


def test_title_from_details_when_the_top_level_has_none() -> None:
    assert parse(details={"title": "From details"}).title == "From details"
    assert parse(title="Top", details={"title": "From details"}).title == "Top"


@pytest.mark.parametrize("key", ["severity", "ProblemSeverity", "event.category", "severityLevel"])
def test_severity_fields_are_upper_cased(key: str) -> None:
    assert parse(**{key: "error"}).severity == "ERROR"


@pytest.mark.parametrize("key", ["severityLevel", "severity"])
def test_severity_from_details(key: str) -> None:
    assert parse(details={key: "availability"}).severity == "AVAILABILITY"


@pytest.mark.parametrize("key", ["impact", "ProblemImpact", "impactLevel"])
def test_impact_fields_are_upper_cased(key: str) -> None:
    assert parse(**{key: "service"}).impact == "SERVICE"


@pytest.mark.parametrize("key", ["impactLevel", "impact"])
def test_impact_from_details(key: str) -> None:
    assert parse(details={key: "infrastructure"}).impact == "INFRASTRUCTURE"


def test_absent_severity_and_impact_are_none() -> None:
    n = parse()
    assert (n.severity, n.impact, n.title, n.root_cause, n.url, n.start_ms, n.end_ms) == (None,) * 7
    assert (n.tags, n.entities, n.notes, n.is_test) == ((), (), (), False)


@pytest.mark.parametrize("key", ["rootCauseEntityName", "root_cause_entity_id", "rootCause"])
def test_root_cause_fields(key: str) -> None:
    assert parse(**{key: "db-1"}).root_cause == "db-1"


def test_root_cause_from_details() -> None:
    assert parse(details={"rootCauseEntity": {"name": "db-2"}}).root_cause == "db-2"


@pytest.mark.parametrize("key", ["url", "ProblemURL"])
def test_url_fields_keep_http_links(key: str) -> None:
    n = parse(**{key: "https://abc.live.dynatrace.com/#problems"})
    assert n.url == "https://abc.live.dynatrace.com/#problems"
    assert n.notes == ()


def test_an_unsafe_url_is_dropped_with_a_note() -> None:
    n = parse(url="javascript:alert(1)")
    assert n.url is None
    assert n.notes == (
        "problem URL 'javascript:alert(1)' dropped: only absolute http(s) URLs are kept as links",
    )
    long = parse(url="ftp://" + "x" * 200)
    assert long.notes == (
        f"problem URL {('ftp://' + 'x' * 200)[:80]!r} dropped: only absolute http(s) URLs are kept as links",
    )


def test_long_text_is_cut_to_2000_characters_and_nul_removed() -> None:
    n = parse(title="t" * 2500, severity="a\x00b")
    assert n.title == "t" * 2000
    assert n.severity == "AB"
    assert parse(title="\x00").title is None


def test_booleans_and_containers_are_not_text() -> None:
    n = parse(title=True, severity=["ERROR"], impact={"x": 1})
    assert (n.title, n.severity, n.impact) == (None, None, None)


def test_nan_is_not_text() -> None:
    assert parse(title=float("nan")).title is None
    assert parse(title=1.5).title == "1.5"


# --- times ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ProblemStartTime", "startTime", "event.start"])
def test_start_fields(key: str) -> None:
    assert parse(**{key: 1718000000000}).start_ms == 1718000000000


@pytest.mark.parametrize("key", ["ProblemEndTime", "endTime", "event.end"])
def test_end_fields(key: str) -> None:
    assert parse(**{key: 1718000000}).end_ms == 1718000000000


def test_start_field_precedence_and_details_fallback() -> None:
    n = parse(problemStartTime=1718000000000, startTime=1, **{"event.start": 2})
    assert n.start_ms == 1718000000000
    assert parse(details={"startTime": 1718000001000}).start_ms == 1718000001000
    assert parse(startTime=1718000002000, details={"startTime": 1718000001000}).start_ms == 1718000002000


def test_iso_times_with_a_space_or_lower_case_t_are_read() -> None:
    assert parse(startTime="2024-06-10 06:00:00Z").start_ms == 1717999200000
    assert parse(startTime="2024-06-10t06:00:00Z").start_ms == 1717999200000
    assert parse(startTime="June 10").start_ms is None


# --- entities -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ImpactedEntities", "affected_entity_ids", "AffectedEntities"])
def test_entity_list_fields(key: str) -> None:
    n = parse(**{key: ["HOST-00000000000000A1"]})
    assert n.entities == (ImpactedEntity(id="HOST-00000000000000A1", type="HOST"),)


def test_entity_lists_from_several_fields_are_joined_without_duplicates() -> None:
    n = parse(
        ImpactedEntities=["HOST-00000000000000A1"],
        affected_entity_ids=["HOST-00000000000000A1", "SERVICE-00000000000000B2"],
        AffectedEntities=["SERVICE-00000000000000C3"],
    )
    assert [e.id for e in n.entities] == [
        "HOST-00000000000000A1",
        "SERVICE-00000000000000B2",
        "SERVICE-00000000000000C3",
    ]


@pytest.mark.parametrize(
    ("item", "entity"),
    [
        (
            {"entity": "SERVICE-1", "name": "a", "type": "SERVICE"},
            ImpactedEntity("SERVICE-1", "a", "SERVICE"),
        ),
        (
            {"entityId": "SERVICE-2", "entityName": "b", "entityType": "SERVICE"},
            ImpactedEntity("SERVICE-2", "b", "SERVICE"),
        ),
        (
            {"entityId": {"id": "HOST-3", "type": "HOST"}, "displayName": "c"},
            ImpactedEntity("HOST-3", "c", "HOST"),
        ),
        ({"id": "HOST-4"}, ImpactedEntity("HOST-4", None, None)),
        ({"name": "only-name"}, ImpactedEntity(None, "only-name", None)),
    ],
)
def test_entity_object_field_names(item: dict[str, Any], entity: ImpactedEntity) -> None:
    assert parse(ImpactedEntities=[item]).entities == (entity,)


def test_entity_objects_without_id_or_name_and_empty_items_are_skipped() -> None:
    n = parse(ImpactedEntities=[{"type": "HOST"}, None, "", "  ", True, {"name": "kept"}])
    assert n.entities == (ImpactedEntity(name="kept"),)


def test_a_single_entity_object_counts() -> None:
    assert (
        parse(ImpactedEntities={"entity": "HOST-00000000000000A1"}).entities[0].id == "HOST-00000000000000A1"
    )


def test_entity_text_splits_on_commas_and_tells_ids_from_names() -> None:
    n = parse(ImpactedEntities="HOST-0000000000000ABC, checkout , ,PROCESS_GROUP-ABCDEF01")
    assert n.entities == (
        ImpactedEntity(id="HOST-0000000000000ABC", type="HOST"),
        ImpactedEntity(name="checkout"),
        ImpactedEntity(id="PROCESS_GROUP-ABCDEF01", type="PROCESS_GROUP"),
    )


@pytest.mark.parametrize(
    "text",
    [
        "HOST-ABCDEF0",
        "HOST-" + "A" * 33,
        "host-ABCDEF01",
        "HOST-ABCDEF0G",
        "1HOST-ABCDEF01",
        "HOST-ABCDEF01x",
    ],
)
def test_text_that_is_not_an_entity_id_is_a_name(text: str) -> None:
    assert parse(ImpactedEntities=[text]).entities == (ImpactedEntity(name=text),)


def test_entity_ids_may_have_8_to_32_hex_digits() -> None:
    for digits in (8, 32):
        ident = "HOST-" + "F" * digits
        assert parse(ImpactedEntities=[ident]).entities == (ImpactedEntity(id=ident, type="HOST"),)


def test_entities_from_details_when_the_top_level_has_none() -> None:
    ranked = parse(
        details={"rankedImpacts": [{"entityId": {"id": "HOST-1", "type": "HOST"}, "entityName": "h"}]}
    )
    assert ranked.entities == (ImpactedEntity("HOST-1", "h", "HOST"),)
    impacted = parse(
        details={
            "impactedEntities": [{"entityId": {"id": "SERVICE-1"}, "name": "s"}],
            "rankedImpacts": [{"id": "X-1"}],
        }
    )
    assert impacted.entities == (ImpactedEntity("SERVICE-1", "s", None),)
    top = parse(ImpactedEntities=["a"], details={"impactedEntities": [{"name": "b"}]})
    assert top.entities == (ImpactedEntity(name="a"),)


@pytest.mark.parametrize("key", ["ImpactedEntityNames", "ImpactedEntity"])
def test_entity_names_alone_become_entities(key: str) -> None:
    assert parse(**{key: "frontend, api"}).entities == (
        ImpactedEntity(name="frontend"),
        ImpactedEntity(name="api"),
    )


def test_entity_names_name_a_single_unnamed_entity() -> None:
    n = parse(ImpactedEntities=["HOST-00000000000000A1"], ImpactedEntityNames="db-host")
    assert n.entities == (ImpactedEntity(id="HOST-00000000000000A1", name="db-host", type="HOST"),)
    named = parse(ImpactedEntities=[{"id": "HOST-1", "name": "kept"}], ImpactedEntityNames="other")
    assert named.entities == (ImpactedEntity(id="HOST-1", name="kept"),)
    two = parse(ImpactedEntities=["HOST-00000000000000A1", "HOST-00000000000000A2"], ImpactedEntityNames="x")
    assert [e.name for e in two.entities] == [None, None]


def test_at_most_200_entities_are_kept() -> None:
    many = [f"HOST-{i:016X}" for i in range(300)]
    n = parse(ImpactedEntities=many)
    assert len(n.entities) == 200
    assert n.entities[-1].id == many[199]
    names = parse(ImpactedEntityNames=",".join(f"n{i}" for i in range(300)))
    assert len(names.entities) == 200
    joined = parse(ImpactedEntities=many[:150], AffectedEntities=many[150:])
    assert len(joined.entities) == 200
    assert joined.entities[-1].id == many[199]


def test_entity_key_and_dict() -> None:
    assert ImpactedEntity(id="HOST-1", name="Web").key == "HOST-1"
    assert ImpactedEntity(name="Web").key == "name:web"
    assert ImpactedEntity().key == "name:"
    assert ImpactedEntity("HOST-1", "Web", "HOST").as_dict() == {
        "id": "HOST-1",
        "name": "Web",
        "type": "HOST",
    }


# --- tags -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["Tags", "entity_tags"])
def test_tag_fields(key: str) -> None:
    assert parse(**{key: "env:prod, team:web"}).tags == ("env:prod", "team:web")


def test_tags_field_wins_and_details_are_the_fallback() -> None:
    assert parse(Tags="a", entity_tags="b").tags == ("a",)
    assert parse(details={"tagsOfAffectedEntities": ["c"]}).tags == ("c",)
    assert parse(Tags="a", details={"tagsOfAffectedEntities": ["c"]}).tags == ("a",)


def test_tag_objects() -> None:
    n = parse(
        tags=[
            {"context": "CONTEXTLESS", "key": "env", "value": "prod"},
            {"context": "AWS", "key": "region", "value": "eu"},
            {"context": "contextless", "key": "bare"},
            {"name": "by-name"},
            {"value": "no key"},
            {"key": "k", "value": ""},
            "plain",
            "",
            None,
        ]
    )
    assert n.tags == ("env:prod", "[AWS]region:eu", "bare", "by-name", "k", "plain")


def test_tag_mapping_and_json_text() -> None:
    assert parse(tags={"env": "prod", "flag": None, "blank": ""}).tags == ("env:prod", "flag", "blank")
    assert parse(tags=json.dumps(["a", "b"])).tags == ("a", "b")
    assert parse(tags="[not json").tags == ("[not json",)
    assert parse(tags=5).tags == ()


def test_tags_are_deduplicated_and_bounded_to_200() -> None:
    assert parse(tags="a, b, a").tags == ("a", "b")
    assert len(parse(tags=",".join(f"t{i}" for i in range(300))).tags) == 200
    assert len(parse(tags=[f"t{i}" for i in range(300)]).tags) == 200
    assert parse(tags="a\x00b").tags == ("ab",)


# --- shape and test notifications -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        ({"pid": "-1", "state": "OPEN"}, "documented"),
        ({"problemId": "P-1", "state": "OPEN"}, "documented"),
        ({"event.id": "-1", "event.status": "ACTIVE"}, "workflow"),
        ({"displayId": "P-1", "state": "OPEN"}, "workflow"),
        ({"PID": "-1", "ProblemID": "1", "State": "OPEN"}, "classic"),
        ({"ProblemDetailsJSON": {"id": "-1", "status": "OPEN"}}, "classic"),
        ({"pid": "-1", "state": "OPEN", "ProblemTitle": "x"}, "classic"),
    ],
)
def test_payload_shape(body: dict[str, Any], shape: str) -> None:
    assert parse_notification(body).shape == shape


@pytest.mark.parametrize(
    "flags",
    [{"isTest": True}, {"is_test": "TRUE"}, {"test": " true "}, {"Test": True}],
)
def test_test_notification_flags(flags: dict[str, Any]) -> None:
    body = {"PID": "-1_1V2", "State": "RESOLVED", "ProblemTitle": "x", **flags}
    n = parse_notification(body)
    assert n.is_test
    assert n.body == body  # kept for the history like any other notification
    assert (n.problem_ref, n.state, n.raw_state, n.title, n.shape) == (
        "test",
        "OPEN",
        "RESOLVED",
        "x",
        "classic",
    )
    assert n.problem_id is None and n.display_id is None


@pytest.mark.parametrize("flags", [{"isTest": False}, {"isTest": "false"}, {"test": 1}, {"isTest": "yes"}])
def test_other_flags_are_not_a_test(flags: dict[str, Any]) -> None:
    assert not parse(**flags).is_test


def test_test_title_in_any_case_and_raw_state_default() -> None:
    n = parse_notification({"title": "Dynatrace Problem NOTIFICATION TEST RUN"})
    assert n.is_test
    assert n.raw_state == "OPEN"
    assert parse_notification({"details": {"title": "notification test run"}}).is_test


# --- decoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"\xff", 400, "the body is not UTF-8 encoded JSON"),
        (b"  \n", 400, "the body is empty; send the problem notification as JSON"),
        (b"{", 400, "the body is not valid JSON; check the notification payload template"),
        (b"[1]", 422, "the body must be a JSON object (the problem notification), not a list or value"),
        (b"null", 422, "the body must be a JSON object (the problem notification), not a list or value"),
    ],
)
def test_decode_body_messages(raw: bytes, status: int, message: str) -> None:
    with pytest.raises(PayloadError) as err:
        decode_body(raw)
    assert (err.value.status, err.value.message, err.value.fields) == (status, message, [])


def test_decode_body_accepts_a_byte_order_mark() -> None:
    assert decode_body(b'\xef\xbb\xbf{"pid": "1"}') == {"pid": "1"}


def test_decode_body_names_the_field_it_cannot_store() -> None:
    with pytest.raises(PayloadError) as err:
        decode_body(b'{"a": {"b": NaN}}')
    assert err.value.status == 422
    assert err.value.fields == ["a.b"]
    assert err.value.message.endswith("; fix the notification payload template")
    assert "NaN or Infinity" in err.value.message


# --- robustness of what reaches the parser ---------------------------------------------------------


def test_keys_that_are_not_text_are_skipped_not_fatal() -> None:
    n = parse_notification({1: "x", "pid": "-1_1V2", "state": "OPEN"})  # type: ignore[dict-item]
    assert (n.problem_id, n.state) == ("-1_1V2", "OPEN")


def test_lone_surrogates_are_replaced_so_the_text_can_be_stored() -> None:
    n = parse(title="a\ud800b", tags=["t\udc00"])
    assert n.title == "a?b"
    assert n.tags == ("t?",)


def test_a_tag_object_with_a_nested_value_keeps_its_key() -> None:
    assert parse(tags=[{"key": "env", "value": {"nested": 1}}]).tags == ("env",)


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        (1, 1000),  # any positive epoch is a time; only 0 and negatives mean "not given"
        (0.5, 500),
        (100_000_000_000_000, 100_000_000_000_000),  # exactly 1e14: still milliseconds
        (100_000_000_000_000_000, 100_000_000_000_000),  # exactly 1e17: microseconds
        (10_000_000_000_000_000_000, 10_000_000_000_000),  # exactly 1e19: nanoseconds, the largest kept
    ],
)
def test_epoch_unit_boundaries(value: float, ms: int) -> None:
    assert parse(startTime=value).start_ms == ms


def test_a_day_without_a_time_of_day_is_not_a_start_instant() -> None:
    assert parse(startTime="2024-06-10").start_ms is None
    assert parse(startTime="20240610T060000Z").start_ms is None
