"""Alerts page, detail page, admin protection and the report rendering."""

from __future__ import annotations

from pathlib import Path

from dynatrace_agent.webhook.security import SESSION_COOKIE
from dynatrace_agent.webhook.views import markdown_to_html, report_markdown
from tests.webhook.conftest import ADMIN, make_config, notify, running_app
from tests.webhook.test_intake import OPEN, wait_for


async def test_pages_and_api_need_the_admin_token(tmp_path: Path) -> None:
    from pydantic import SecretStr

    config = make_config(tmp_path, admin_token=SecretStr(ADMIN))
    async with running_app(config, start_workers=False) as (_, client):
        assert (await notify(client, OPEN)).status_code == 202  # intake uses its own secret
        assert (await client.get("/api/alerts")).status_code == 401
        assert (await client.get("/api/alerts", headers={"Authorization": "Bearer wrong"})).status_code == 401
        page = await client.get("/alerts")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/alerts"
        ok = await client.get("/api/alerts", headers={"Authorization": f"Bearer {ADMIN}"})
        assert ok.status_code == 200 and len(ok.json()["alerts"]) == 1
        assert (await client.get("/healthz")).status_code == 200  # health stays open for load balancers

        refused = await client.post("/login", data={"token": "nope", "next": "/alerts"})
        assert refused.status_code == 401 and "not the admin token" in refused.text
        assert SESSION_COOKIE not in refused.cookies
        evil = await client.post("/login", data={"token": ADMIN, "next": "//evil.example/x"})
        assert evil.status_code == 303 and evil.headers["location"] == "/alerts"
        cookie = evil.cookies[SESSION_COOKIE]
        assert ADMIN not in cookie
        client.cookies.set(SESSION_COOKIE, cookie)
        assert (await client.get("/alerts")).status_code == 200
        assert (await client.get("/api/alerts")).status_code == 200


async def test_detail_page_escapes_payload_text_and_renders_the_report(tmp_path: Path) -> None:
    async with running_app(make_config(tmp_path)) as (_, client):
        hostile = {**OPEN, "title": "<img src=x onerror=alert(1)>", "impactedEntityNames": "<b>db</b>"}
        alert_id = (await notify(client, hostile)).json()["alert_id"]

        async def done() -> bool:
            return bool(
                (await client.get(f"/api/alerts/{alert_id}")).json()["investigation_status"] == "done"
            )

        await wait_for(done)
        listing = await client.get("/alerts")
        assert listing.status_code == 200
        assert "<img src=x" not in listing.text and "&lt;img src=x onerror=alert(1)&gt;" in listing.text
        assert f'href="/alerts/{alert_id}"' in listing.text
        detail = await client.get(f"/alerts/{alert_id}")
        assert "<h2>Investigation of -1_100V2</h2>" in detail.text
        assert "<strong>db-1</strong>" in detail.text
        assert "<script>" not in detail.text and "&lt;script&gt;x&lt;/script&gt;" in detail.text
        assert "Notification history" in detail.text
        assert "P-100: &lt;img src=x onerror=alert(1)&gt;</h1>" in detail.text
        assert (await client.get("/alerts/nope")).status_code == 404
        assert (await client.get("/api/alerts/nope")).status_code == 404


def test_report_rendering_falls_back_to_json_for_unknown_shapes() -> None:
    assert report_markdown({"markdown": "# Hi"}) == "# Hi"
    assert report_markdown({"something": "else"}) is None
    html = markdown_to_html(
        "## Cause\n\n1. `db` is *slow*\n2. **pool**\n\n```\na < b\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[ok](https://x.example/a) [bad](javascript:alert(1)) <script>alert(1)</script>"
    )
    assert "<h3>Cause</h3>" in html
    assert "<li><code>db</code> is <em>slow</em></li>" in html
    assert "a &lt; b" in html and "<table>" in html and "<td>2</td>" in html
    assert '<a href="https://x.example/a">ok</a>' in html
    assert "javascript:" not in html.split("[bad]")[0] and "<script>" not in html
