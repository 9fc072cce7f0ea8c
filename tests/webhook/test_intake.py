"""The intake endpoint's rules, end to end through the ASGI app and a real SQLite store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from dynatrace_agent.webhook.store import alert_id_for
from tests.webhook import fake_graph
from tests.webhook.conftest import SECRET, SIGNED_SECRET, SIGNING, make_config, notify, running_app

OPEN = {
    "pid": "-1_100V2",
    "problemId": "P-100",
    "state": "OPEN",
    "title": "Failure rate increase",
    "severity": "ERROR",
    "impactedEntityNames": "checkout",
    "tags": "team:shop",
}
RESOLVED = {**OPEN, "state": "RESOLVED"}


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_unknown_secret_is_404_like_any_unknown_path(service: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = service
    wrong = await notify(client, OPEN, secret="not-the-secret-at-all-000000")
    nowhere = await client.post("/no/such/path", json=OPEN)
    assert wrong.status_code == nowhere.status_code == 404
    assert wrong.text == nowhere.text
    assert SECRET not in wrong.text


async def test_signing_secret_requires_bearer(service: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = service
    missing = await notify(client, OPEN, secret=SIGNED_SECRET)
    wrong = await notify(client, OPEN, secret=SIGNED_SECRET, headers={"Authorization": "Bearer nope"})
    basic = await notify(client, OPEN, secret=SIGNED_SECRET, headers={"Authorization": f"Basic {SIGNING}"})
    assert missing.status_code == wrong.status_code == basic.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    ok = await notify(client, OPEN, secret=SIGNED_SECRET, headers={"Authorization": f"bearer {SIGNING}"})
    assert ok.status_code == 202
    # the same problem under another integration is another alert
    other = (await notify(client, OPEN)).json()
    assert ok.json()["alert_id"] != other["alert_id"]
    assert ok.json()["alert_id"] == alert_id_for("signed", "-1_100V2")


async def test_bad_bodies_are_answered_without_a_500(service: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = service
    url = f"/webhooks/dynatrace/{SECRET}"
    too_big = await client.post(url, content=b"{" + b" " * (1024 * 1024) + b"}")
    assert too_big.status_code == 413
    not_json = await client.post(url, content=b"State=OPEN")
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["detail"]
    missing = await client.post(url, json={"title": "no id"})
    assert missing.status_code == 422 and len(missing.json()["fields"]) == 2
    unknown = await client.post(url, json={"pid": "1_V2", "state": "ON_FIRE"})
    assert unknown.status_code == 422 and unknown.json()["fields"] == ["state"]
    listed = await client.post(url, json=[OPEN])
    assert listed.status_code == 422
    listing = (await client.get("/api/alerts")).json()
    assert listing["alerts"] == []


async def test_test_notification_is_acknowledged_without_an_alert(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    _, client = service
    test = {"State": "OPEN", "ProblemID": "999", "ProblemTitle": "Dynatrace problem notification test run"}
    response = await notify(client, test)
    assert response.status_code == 200
    assert response.json() == {"alert_id": None, "result": "test"}
    assert (await client.get("/api/alerts")).json()["alerts"] == []


async def test_created_updated_duplicate_and_one_investigation(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    _app, client = service
    first = await notify(client, OPEN)
    assert first.status_code == 202
    assert first.json()["result"] == "created"
    alert_id = first.json()["alert_id"]
    redelivery = await client.post(
        f"/webhooks/dynatrace/{SECRET}",
        content=json.dumps(OPEN, indent=4).encode(),
        headers={"content-type": "application/json"},
    )
    assert redelivery.json() == {"alert_id": alert_id, "result": "duplicate"}
    again = await notify(
        client, {**OPEN, "title": "Failure rate increase (2 services)", "impactedEntityNames": "cart"}
    )
    assert again.json() == {"alert_id": alert_id, "result": "updated"}

    async def done() -> bool:
        return bool((await client.get(f"/api/alerts/{alert_id}")).json()["investigation_status"] == "done")

    await wait_for(done)
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert detail["report"]["problem"] == "-1_100V2"
    assert detail["report"]["environment"] == "prod"
    assert detail["report"]["client"] == "FakeClient"
    assert detail["title"] == "Failure rate increase (2 services)"
    assert [e["name"] for e in detail["entities"]] == ["checkout", "cart"]
    assert (detail["notification_count"], detail["duplicate_count"]) == (2, 1)
    assert len(detail["notifications"]) == 2
    assert detail["notifications"][0]["body"] == OPEN
    assert [r["problem"] for r in fake_graph.RUNS] == ["-1_100V2"]


async def test_resolved_before_open_then_late_open(service: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = service
    resolved = await notify(client, RESOLVED)
    assert resolved.json()["result"] == "created"
    late_open = await notify(client, OPEN)
    assert late_open.json()["result"] == "updated"
    detail = (await client.get(f"/api/alerts/{resolved.json()['alert_id']}")).json()
    assert detail["state"] == "RESOLVED"
    assert detail["investigation_status"] is None
    assert [n["state"] for n in detail["notifications"]] == ["RESOLVED", "OPEN"]


async def test_resolve_before_start_cancels_and_reopen_requeues(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with running_app(config, start_workers=False) as (_, client):
        alert_id = (await notify(client, OPEN)).json()["alert_id"]
        await notify(client, RESOLVED)
        detail = (await client.get(f"/api/alerts/{alert_id}")).json()
        assert (detail["state"], detail["investigation_status"]) == ("RESOLVED", "cancelled")
        assert detail["resolved_at"] is not None
        reopened = await notify(client, {**OPEN, "title": "back again"})
        assert reopened.json()["result"] == "updated"
        detail = (await client.get(f"/api/alerts/{alert_id}")).json()
        assert (detail["state"], detail["investigation_status"], detail["reopen_count"]) == (
            "OPEN",
            "queued",
            1,
        )
        assert detail["resolved_at"] is None


async def test_resolve_does_not_cancel_when_configured(tmp_path: Path) -> None:
    config = make_config(tmp_path, cancel_on_resolve=False)
    async with running_app(config, start_workers=False) as (_, client):
        alert_id = (await notify(client, OPEN)).json()["alert_id"]
        await notify(client, RESOLVED)
        detail = (await client.get(f"/api/alerts/{alert_id}")).json()
        assert (detail["state"], detail["investigation_status"]) == ("RESOLVED", "queued")


async def test_groups_share_entities_within_the_window(service: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = service
    db = {
        "pid": "-2_1V2",
        "state": "OPEN",
        "title": "db slow",
        "ImpactedEntities": [{"entity": "SERVICE-00000000000000D1", "name": "db"}],
    }
    api = {
        "pid": "-2_2V2",
        "state": "OPEN",
        "title": "api errors",
        "ImpactedEntities": [
            {"entity": "SERVICE-00000000000000D1", "name": "db"},
            {"entity": "SERVICE-00000000000000A2", "name": "api"},
        ],
    }
    lone = {"pid": "-2_3V2", "state": "OPEN", "title": "disk", "impactedEntityNames": "host-9"}
    ids = [(await notify(client, body)).json()["alert_id"] for body in (db, api, lone)]
    listing = (await client.get("/api/alerts")).json()
    by_id = {a["id"]: a for a in listing["alerts"]}
    assert by_id[ids[0]]["group_id"] == by_id[ids[1]]["group_id"] != by_id[ids[2]]["group_id"]
    group = next(g for g in listing["groups"] if ids[0] in g["alert_ids"])
    assert group["shared"] == ["db (SERVICE-00000000000000D1)"]


async def test_healthz_and_store_failure_is_503_not_acknowledged(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = service
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    await app.state.store.close()
    refused = await notify(client, OPEN)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert (await client.get("/healthz")).status_code == 503
    await app.state.store.open()
