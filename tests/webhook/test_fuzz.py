"""Property: whatever is posted, intake, pages and API answer without a 5xx, on both stores.

Bodies mix plausible notifications with what broke the service before: lone surrogates,
``NaN``/``Infinity``, 400-digit numbers, deep nesting, ``javascript:`` problem URLs. Each
accepted alert is then fetched through every page and API route, and no page may carry a
``javascript:`` link.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from dynatrace_agent.webhook.app import create_app
from evals.bench.bench_webhook_fuzz import HOSTILE_TOKENS, HREF_JS
from tests.webhook.conftest import SECRET, make_config
from tests.webhook.test_property import FIELDS, json_values


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    ident = draw(st.sampled_from(["P-1", "P-2", "-3_1V2", "-4_1V2", "P-55"]))
    state = draw(st.sampled_from(["OPEN", "RESOLVED", "ACTIVE", "CLOSED"]))
    body: dict[str, Any] = {draw(st.sampled_from(["pid", "problemId", "event.id"])): ident, "state": state}
    body.update(draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4)))
    slots = draw(
        st.lists(
            st.sampled_from(
                [
                    "title",
                    "ProblemURL",
                    "ProblemStartTime",
                    "tags",
                    "ProblemDetailsJSON",
                    "ImpactedEntities",
                    "zz",
                    "\\ud800",
                ]
            ),
            max_size=3,
        )
    )
    text = json.dumps(body)[:-1]
    for slot in slots:
        token = draw(st.sampled_from(HOSTILE_TOKENS))
        depth = draw(st.sampled_from([0, 0, 0, 5, 31, 33, 200, 900]))
        text += f', "{slot}": ' + "[" * depth + token + "]" * depth
    return (text + "}").encode("utf-8")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "fuzz.sqlite3")
    import psycopg

    url: str = request.getfixturevalue("postgres_url")
    name = f"fuzz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def test_no_5xx_from_intake_pages_or_api(database: str, tmp_path: Any) -> None:
    app = create_app(make_config(tmp_path, database=database), start_workers=False)
    statuses: dict[int, int] = {}
    with TestClient(app, raise_server_exceptions=False) as client:

        def get(path: str) -> str:
            response = client.get(path)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            return response.text

        @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(raw=hostile_bodies())
        def post(raw: bytes) -> None:
            response = client.post(
                f"/webhooks/dynatrace/{SECRET}", content=raw, headers={"content-type": "application/json"}
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (200, 202, 400, 422), (response.status_code, response.text, raw)
            if response.status_code == 202:
                alert_id = response.json()["alert_id"]
                page = get(f"/alerts/{alert_id}")
                assert not HREF_JS.search(page)
                detail = json.loads(get(f"/api/alerts/{alert_id}"))
                assert detail["url"] is None or detail["url"].startswith(("http://", "https://"))

        post()
        assert not HREF_JS.search(get("/alerts"))
        get("/api/alerts")
    assert statuses.get(202, 0) > 0 and statuses.get(422, 0) > 0, statuses
    assert not any(code >= 500 for code in statuses), statuses


def test_the_fuzz_benchmark_counts_statuses_and_finds_no_5xx(tmp_path: Any) -> None:
    from evals.bench.bench_webhook_fuzz import run_store

    result = run_store("sqlite", str(tmp_path / "bench.sqlite3"), bodies=150, seed=3, connections=4)
    assert result["bodies"] == 150 and sum(result["intake_status"].values()) == 150
    assert result["intake_status"].get(202, 0) > 0 and result["intake_status"].get(422, 0) > 0
    assert result["5xx"] == 0 and result["javascript_links"] == 0
