"""Hostile input at intake, stored rows that older versions let in, headers, sessions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.webhook.payloads import PayloadError, decode_body, parse_notification
from dynatrace_agent.webhook.safety import MAX_DEPTH, check_body, displayable, safe_url
from dynatrace_agent.webhook.security import SESSION_COOKIE
from tests.webhook.conftest import ADMIN, SECRET, load_service_config, make_config, notify, running_app
from tests.webhook.test_intake import OPEN

URL = f"/webhooks/dynatrace/{SECRET}"


def _nested(depth: int) -> str:
    return '{"pid":"-9_1V2","state":"OPEN","x":' + "[" * depth + "1" + "]" * depth + "}"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"pid":"-9_1V2","state":"OPEN","ProblemStartTime":' + b"9" * 400 + b"}", "beyond 64 bits"),
        (b'{"pid":"-9_1V2","state":"OPEN","x":NaN}', "NaN or Infinity"),
        (b'{"pid":"-9_1V2","state":"OPEN","x":-Infinity}', "NaN or Infinity"),
        (b'{"pid":"-9_1V2","state":"OPEN","x":1e400}', "NaN or Infinity"),
        (_nested(MAX_DEPTH + 5).encode(), f"deeper than {MAX_DEPTH}"),
        (_nested(800).encode(), f"deeper than {MAX_DEPTH}"),
    ],
)
async def test_unstorable_numbers_and_nesting_are_422_naming_the_field(
    service: tuple[Any, httpx.AsyncClient], raw: bytes, fragment: str
) -> None:
    _, client = service
    response = await client.post(URL, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]
    assert response.json()["fields"]
    assert (await client.get("/api/alerts")).json()["alerts"] == []


async def test_lone_surrogates_are_replaced_and_every_view_renders(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    _, client = service
    raw = b'{"pid":"-9_2V2","state":"OPEN","title":"bad \\ud800 text","\\udfff":"\\udc00x"}'
    response = await client.post(URL, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 202
    alert_id = response.json()["alert_id"]
    for path in ("/alerts", f"/alerts/{alert_id}", "/api/alerts", f"/api/alerts/{alert_id}"):
        page = await client.get(path)
        assert page.status_code == 200, path
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert detail["title"] == "bad \ufffd text"
    assert detail["notifications"][0]["body"]["\ufffd"] == "\ufffdx"


async def test_javascript_problem_url_is_dropped_with_a_note_and_never_a_link(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    _, client = service
    for url in ("javascript:alert(document.domain)", " JavaScript:alert(1)", "data:text/html,x", "//evil"):
        body = {**OPEN, "pid": f"-9_{abs(hash(url)) % 1000}V2", "ProblemURL": url}
        alert_id = (await notify(client, body)).json()["alert_id"]
        detail = (await client.get(f"/api/alerts/{alert_id}")).json()
        assert detail["url"] is None
        assert any("dropped" in n for n in detail["notes"])
        page = (await client.get(f"/alerts/{alert_id}")).text
        assert 'href="javascript' not in page.lower() and 'href=" javascript' not in page.lower()
        assert "only absolute http(s) URLs" in page
    good = {**OPEN, "ProblemURL": "https://abc.live.dynatrace.com/#problems/problemdetails;pid=-1_100V2"}
    alert_id = (await notify(client, good)).json()["alert_id"]
    assert (await client.get(f"/api/alerts/{alert_id}")).json()["url"] == good["ProblemURL"]
    assert 'href="https://abc.live.dynatrace.com/' in (await client.get(f"/alerts/{alert_id}")).text


def test_safety_helpers() -> None:
    assert safe_url("https://x.example/a") == "https://x.example/a"
    assert safe_url("http://x") == "http://x"
    for bad in (
        "javascript:alert(1)",
        "JAVASCRIPT:x",
        "vbscript:x",
        "https:///nohost",
        "ftp://x",
        "/rel",
        None,
    ):
        assert safe_url(bad) is None, bad
    assert safe_url("https://x.example/\nx") is None
    assert check_body({"a": ["\ud800"]}) == {"a": ["\ufffd"]}
    shown = displayable({"n": float("nan"), "i": 10**30, "s": "\udc00", "d": json.loads(_nested(60))})
    assert shown["n"] is None and isinstance(shown["i"], str) and shown["s"] == "\ufffd"
    json.dumps(shown, allow_nan=False).encode("utf-8")  # strict JSON, valid UTF-8


def test_decode_body_reports_payload_errors_only() -> None:
    with pytest.raises(PayloadError) as info:
        decode_body(b'{"pid":"1","state":"OPEN","a":{"b":Infinity}}')
    assert info.value.status == 422 and info.value.fields == ["a.b"]
    parsed = parse_notification(decode_body(b'{"pid":"1","state":"OPEN","url":"javascript:x"}'))
    assert parsed.url is None and parsed.notes


async def test_rows_stored_by_older_versions_still_render(tmp_path: Path) -> None:
    """NaN, surrogates, 900-deep nesting and a javascript: URL written straight into the table."""
    config = make_config(tmp_path)
    async with running_app(config, start_workers=False) as (_, client):
        alert_id = (await notify(client, OPEN)).json()["alert_id"]
        deep = "[" * 900 + "1" + "]" * 900
        with sqlite3.connect(config.database) as conn:
            conn.execute(
                "UPDATE alerts SET url = 'javascript:alert(1)', report = ?, report_at = 1.0,"
                " tags = 'not json' WHERE id = ?",
                ('{"x":NaN,"y":"\\ud800"}', alert_id),
            )
            conn.execute(
                "UPDATE notifications SET body = ? WHERE alert_id = ?",
                ('{"deep":' + deep + ',"n":NaN,"s":"\\ud800"}', alert_id),
            )
        for path in ("/alerts", f"/alerts/{alert_id}", "/api/alerts", f"/api/alerts/{alert_id}"):
            page = await client.get(path)
            assert page.status_code == 200, (path, page.text[:200])
        page_text = (await client.get(f"/alerts/{alert_id}")).text
        assert 'href="javascript' not in page_text.lower()  # shown as text, never as a link
        body = (await client.get(f"/api/alerts/{alert_id}")).json()["notifications"][0]["body"]
        assert body["n"] is None and body["s"] == "\ufffd"


async def test_every_response_carries_security_headers(service: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = service
    alert_id = (await notify(client, OPEN)).json()["alert_id"]
    for response in [
        await client.get("/alerts"),
        await client.get(f"/alerts/{alert_id}"),
        await client.get("/api/alerts"),
        await client.get("/login"),
        await client.get("/healthz"),
        await client.post(URL, content=b"nope"),
        await client.get("/no/such/page"),
    ]:
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp and "'unsafe-inline'" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_the_csp_hash_matches_the_inline_stylesheet() -> None:
    import base64
    import hashlib
    import re

    from dynatrace_agent.webhook.responses import security_headers
    from dynatrace_agent.webhook.views import page

    html = page("t", "<p>x</p>")
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'".encode() in dict(security_headers())[b"content-security-policy"]


async def test_unexpected_errors_are_500_with_connection_close(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from dynatrace_agent.webhook.app import create_app

    app = create_app(make_config(tmp_path), start_workers=False)

    async def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("store exploded")

    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.store.list_alerts = boom
        response = client.get("/api/alerts")
        assert response.status_code == 500
        assert response.headers["connection"] == "close"
        assert response.json()["detail"].startswith("internal error")
        assert "content-security-policy" in response.headers


# -- sessions ---------------------------------------------------------------------------------


def _cookie(value: str) -> dict[str, str]:
    return {"cookie": f"{SESSION_COOKIE}={value}"}


async def test_sessions_are_random_expire_and_are_revoked_at_logout(tmp_path: Path) -> None:
    now = [1_000_000.0]
    config = make_config(tmp_path, admin_token=SecretStr(ADMIN), session_ttl_s=600)
    async with running_app(config, start_workers=False, clock=lambda: now[0]) as (_, client):
        first = await client.post("/login", data={"token": ADMIN, "next": "/alerts"})
        second = await client.post("/login", data={"token": ADMIN, "next": "/alerts"})
        a, b = first.cookies[SESSION_COOKIE], second.cookies[SESSION_COOKIE]
        assert a != b and ADMIN not in a and len(a) >= 40
        assert "max-age=600" in first.headers["set-cookie"].lower()
        client.cookies.clear()

        async def status(cookie: str) -> int:
            return (await client.get("/api/alerts", headers=_cookie(cookie))).status_code

        assert await status(a) == 200 and await status(b) == 200
        assert await status("forged-" + a[7:]) == 401
        # logout revokes the session server-side: a copy of the cookie stops working
        out = await client.post("/logout", headers=_cookie(a))
        assert out.status_code == 303
        assert await status(a) == 401
        assert await status(b) == 200
        now[0] += 601  # past the expiry
        assert await status(b) == 401
        page = await client.get("/alerts", headers=_cookie(b))
        assert page.status_code == 303


async def test_session_ids_are_stored_only_as_hashes(tmp_path: Path) -> None:
    config = make_config(tmp_path, admin_token=SecretStr(ADMIN))
    async with running_app(config, start_workers=False) as (_, client):
        cookie = (await client.post("/login", data={"token": ADMIN})).cookies[SESSION_COOKIE]
    with sqlite3.connect(config.database) as conn:
        stored = [r[0] for r in conn.execute("SELECT id_hash FROM sessions")]
    assert len(stored) == 1 and cookie not in stored[0] and len(stored[0]) == 64


def test_an_empty_admin_token_is_an_error_not_unset() -> None:
    env = {"DT_WEBHOOK_SECRET": SECRET, "DT_AGENT_ADMIN_TOKEN": ""}
    with pytest.raises(ConfigurationError, match="set but empty"):
        load_service_config(env=env)
    with pytest.raises(ConfigurationError, match="set but empty"):
        load_service_config(env={**env, "DT_AGENT_ADMIN_TOKEN": "   "})
    assert load_service_config(env={"DT_WEBHOOK_SECRET": SECRET}).admin_token is None


async def test_hostile_values_inside_embedded_problem_json_are_repaired(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    """Classic templates quote ProblemDetailsJSON: its decoded content gets the same repairs."""
    _, client = service
    details = '{"startTime":' + "9" * 400 + ',"rankedImpacts":[{"entityId":"\\ud800","entityName":NaN}]}'
    body = {"PID": "-9_3V2", "State": "OPEN", "ProblemDetailsJSON": details}
    response = await notify(client, body)
    assert response.status_code == 202, response.text
    alert_id = response.json()["alert_id"]
    for path in (f"/alerts/{alert_id}", f"/api/alerts/{alert_id}"):
        assert (await client.get(path)).status_code == 200
    detail = (await client.get(f"/api/alerts/{alert_id}")).json()
    assert detail["problem_start_ms"] is None


async def test_a_body_at_the_depth_limit_comes_back_whole(service: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = service
    depth = MAX_DEPTH - 1  # the body object itself is one level
    raw = ('{"pid":"-9_4V2","state":"OPEN","x":' + "[" * depth + "1" + "]" * depth + "}").encode()
    response = await client.post(URL, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 202, response.text
    body = (await client.get(f"/api/alerts/{response.json()['alert_id']}")).json()["notifications"][0]["body"]
    assert body == json.loads(raw)
