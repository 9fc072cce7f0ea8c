"""One name for the problem reference on the webhook path: payload → alert → job → graph input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dynatrace_agent.webhook.payloads import parse_notification
from dynatrace_agent.webhook.store import alert_id_for
from tests.webhook import fake_graph
from tests.webhook.conftest import notify
from tests.webhook.test_intake import wait_for


@pytest.mark.parametrize(
    ("body", "ref"),
    [
        ({"pid": "-5_900V2", "ProblemID": "900", "State": "OPEN"}, "-5_900V2"),
        ({"problemId": "P-901", "state": "OPEN"}, "P-901"),
        ({"display_id": "902", "state": "OPEN"}, "P-902"),
    ],
)
async def test_the_reference_is_the_same_from_payload_to_graph(
    service: tuple[Any, httpx.AsyncClient], body: dict[str, Any], ref: str
) -> None:
    _, client = service
    assert parse_notification(body).problem_ref == ref
    answer = (await notify(client, body)).json()
    assert answer["alert_id"] == alert_id_for("prod", ref)

    async def done() -> bool:
        alert = (await client.get(f"/api/alerts/{answer['alert_id']}")).json()
        return bool(alert["investigation_status"] == "done")

    await wait_for(done)
    alert = (await client.get(f"/api/alerts/{answer['alert_id']}")).json()
    assert alert["problem_ref"] == ref
    assert alert["problem_key"] == ref  # the field's earlier name, kept for API clients
    assert alert["report"]["problem"] == ref
    assert [r["problem"] for r in fake_graph.RUNS] == [ref]
    listed = (await client.get("/api/alerts")).json()["alerts"]
    assert [(a["problem_ref"], a["problem_key"]) for a in listed] == [(ref, ref)]
