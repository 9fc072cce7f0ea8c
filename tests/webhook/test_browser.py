"""The Alerts pages in a real headless browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from dynatrace_agent.webhook.app import create_app
from tests.webhook.conftest import ADMIN, SECRET, make_config, make_runner

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    config = make_config(tmp_path, admin_token=SecretStr(ADMIN))
    app = create_app(config, runner=make_runner())
    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_login_list_groups_and_detail_in_chromium(server: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    shared = [{"entity": "SERVICE-00000000000000D1", "name": "orders-db"}]
    for pid, title in (("-5_1V2", "Slow database"), ("-5_2V2", "Checkout failures")):
        body = {
            "pid": pid,
            "state": "OPEN",
            "title": title,
            "severity": "PERFORMANCE",
            "ImpactedEntities": shared,
        }
        assert httpx.post(f"{server}/webhooks/dynatrace/{SECRET}", json=body).status_code == 202
    httpx.post(
        f"{server}/webhooks/dynatrace/{SECRET}", json={"pid": "-5_3V2", "state": "RESOLVED", "title": "Disk"}
    )
    headers = {"Authorization": f"Bearer {ADMIN}"}
    deadline = time.monotonic() + 10
    while any(
        a["investigation_status"] not in ("done", None)
        for a in httpx.get(f"{server}/api/alerts", headers=headers).json()["alerts"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(f"{server}/alerts")
            assert page.url.endswith("/login?next=/alerts")
            page.fill("#token", "wrong-token-000000000000")
            page.click("button[type=submit]")
            assert "not the admin token" in page.inner_text("main")
            page.fill("#token", ADMIN)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/alerts")
            groups = page.locator("section.group")
            assert groups.count() == 2
            assert "2 alerts" in groups.nth(0).inner_text() or "2 alerts" in groups.nth(1).inner_text()
            assert "sharing orders-db (SERVICE-00000000000000D1)" in page.inner_text("main")
            assert page.locator("tr.alert").count() == 3
            assert page.locator("td.state-RESOLVED").count() == 1
            assert page.locator(".status-done").count() == 2
            page.click("a:text('Slow database')")
            page.wait_for_url(f"{server}/alerts/*")
            assert "OPEN" in page.inner_text("h1") and "Slow database" in page.inner_text("h1")
            assert page.locator("table.history tr").count() == 2  # header + one notification
            assert page.inner_text(".report h2") == "Investigation of -5_1V2"
            assert page.locator(".report strong").inner_text() == "db-1"
            # the Content-Security-Policy lets the page's own stylesheet apply and blocks nothing else
            background = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
            assert background == "rgb(27, 42, 74)"
            assert not [m for m in console if "Content Security Policy" in m], console
        finally:
            browser.close()
