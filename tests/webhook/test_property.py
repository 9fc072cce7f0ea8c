"""Hostile payloads: whatever arrives, the intake never answers 500 and loses nothing it accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from dynatrace_agent.webhook.app import create_app
from dynatrace_agent.webhook.payloads import body_hash
from tests.webhook.conftest import SECRET, make_config

FIELDS = [
    "pid",
    "PID",
    "problemId",
    "ProblemID",
    "problem_id",
    "display_id",
    "displayId",
    "state",
    "State",
    "STATE",
    "event.id",
    "event.status",
    "event.name",
    "event.status_transition",
    "title",
    "ProblemTitle",
    "severity",
    "ProblemSeverity",
    "impact",
    "tags",
    "Tags",
    "entity_tags",
    "ImpactedEntities",
    "impactedEntityNames",
    "affected_entity_ids",
    "ProblemDetailsJSON",
    "details",
    "url",
    "event",
    "ProblemStartTime",
    "isTest",
]
STATES = ["OPEN", "RESOLVED", "open", "Active", "CLOSED", "MERGED", "REOPENED", "", "bogus"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(STATES),
    st.from_regex(r"P-\d{1,6}", fullmatch=True),
    st.from_regex(r"-?\d{1,19}_\d{13}V2", fullmatch=True),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ids = st.one_of(st.from_regex(r"P-\d{1,3}", fullmatch=True), st.from_regex(r"-\d{1,3}_1V2", fullmatch=True))
plausible = st.builds(
    lambda ident, id_key, state, state_key, extra: {**extra, id_key: ident, state_key: state},
    ids,
    st.sampled_from(["pid", "ProblemID", "problemId", "event.id", "display_id"]),
    st.sampled_from(["OPEN", "RESOLVED", "ACTIVE", "closed"]),
    st.sampled_from(["state", "State", "event.status"]),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
)
bodies = st.one_of(
    plausible.map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10).map(lambda d: json.dumps(d).encode()),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10).map(
        lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")
    ),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)


def test_never_a_500_and_every_accepted_notification_is_stored(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path), start_workers=False)
    accepted: dict[str, set[str]] = {}
    with TestClient(app) as client:
        # examples from the profile: 100 in a normal run, 1,000 with HYPOTHESIS_PROFILE=nightly
        @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(raw=bodies)
        def post(raw: bytes) -> None:
            response = client.post(
                f"/webhooks/dynatrace/{SECRET}", content=raw, headers={"content-type": "application/json"}
            )
            assert response.status_code in (200, 202, 400, 422), (response.status_code, response.text, raw)
            payload: dict[str, Any] = response.json()
            if response.status_code == 202:
                assert payload["result"] in ("created", "updated", "duplicate")
                accepted.setdefault(payload["alert_id"], set()).add(
                    body_hash(json.loads(raw.decode("utf-8-sig")))
                )
            elif response.status_code != 200:
                assert payload["detail"]

        post()
        assert accepted, "the strategy should produce some acceptable notifications"
        for alert_id, hashes in accepted.items():
            detail = client.get(f"/api/alerts/{alert_id}").json()
            stored = {n["body_hash"] for n in detail["notifications"]}
            assert hashes <= stored
