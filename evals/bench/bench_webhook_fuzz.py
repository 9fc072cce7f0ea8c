"""Fuzz benchmark of the webhook service: hostile bodies through intake, pages and API.

Run: ``python -m evals.bench.bench_webhook_fuzz [--bodies 10000] [--store sqlite|postgres|both]``

Starts the service under uvicorn on loopback (SQLite, and PostgreSQL when ``pg_ctl`` is
installed or ``--postgres URL`` is given), POSTs ``--bodies`` seeded hostile notifications
(lone surrogates, NaN/Infinity, 400-digit numbers, nesting up to 900 levels, ``javascript:``
URLs, plausible bodies in every shape) at 8 connections, fetches each accepted alert's page
and API answer, then the list page and API. It prints requests tried, the status counts,
the 5xx count (target 0) and how many pages carried a ``javascript:`` link (target 0).
The loop is bounded by the body count; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

SECRET = "fuzz-secret-0123456789abcdefghij"
HREF_JS = re.compile(r"href=\"\s*javascript:", re.I)
_FIELDS = [
    "pid",
    "PID",
    "problemId",
    "ProblemID",
    "event.id",
    "display_id",
    "state",
    "State",
    "event.status",
    "title",
    "ProblemTitle",
    "ProblemURL",
    "url",
    "tags",
    "Tags",
    "ImpactedEntities",
    "impactedEntityNames",
    "ProblemDetailsJSON",
    "ProblemStartTime",
    "severity",
    "event",
]
#: Raw JSON fragments Python's json module accepts but that used to break intake or a view
#: (shared with tests/webhook/test_fuzz.py).
HOSTILE_TOKENS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "9" * 400,
    "-" + "9" * 30,
    '"\\ud800"',
    '"x\\udfffy"',
    '"\\u0000"',
    '"javascript:alert(document.domain)"',
    '" JaVaScRiPt:alert(1)"',
    '"data:text/html,<script>alert(1)</script>"',
    '"<img src=x onerror=alert(1)>"',
    '"https://ok.example/p"',
    json.dumps('{"rankedImpacts":[{"entityId":"\\ud800","entityName":NaN}],"startTime":' + "9" * 400 + "}"),
    json.dumps('{"impactedEntities":' + "[" * 700 + "1" + "]" * 700 + "}"),
    json.dumps('[{"key":"\\udfff","value":Infinity}]'),
    "[]",
    "{}",
    "null",
    "true",
    "-1",
    '"-1"',
    '""',
]
_DEPTHS = [0, 0, 0, 0, 0, 0, 0, 1, 5, 31, 32, 33, 100, 500, 900]


def hostile_body(rng: random.Random) -> bytes:
    """One hostile notification body (raw JSON text, sometimes not even that)."""
    roll = rng.random()
    if roll < 0.03:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    if roll < 0.06:
        return rng.choice([b"", b"[]", b"null", b"{", b'{"a":1', b"\xef\xbb\xbf{}"])
    ident = rng.choice(["P-1", "P-2", f"P-{rng.randint(1, 300)}", f"-{rng.randint(1, 300)}_1V2", "\\ud800"])
    body: dict[str, Any] = {
        rng.choice(["pid", "problemId", "ProblemID", "event.id", "display_id"]): ident,
        rng.choice(["state", "State", "event.status"]): rng.choice(
            ["OPEN", "RESOLVED", "ACTIVE", "CLOSED", "open", "bogus", ""]
        ),
    }
    text = json.dumps(body)[:-1]
    for _ in range(rng.randint(0, 3)):
        key = rng.choice([*_FIELDS, "\\ud800", "x" * rng.randint(1, 40)])
        depth = rng.choice(_DEPTHS)
        token = rng.choice(HOSTILE_TOKENS)
        container = rng.random() < 0.5
        opening, closing = ("[", "]") if container else ('{"k":', "}")
        text += f', "{key}": ' + opening * depth + token + closing * depth
    return (text + "}").encode("utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(database: str, port: int) -> None:
    import uvicorn
    from pydantic import SecretStr

    from dynatrace_agent.settings import Integration, WebhookConfig
    from dynatrace_agent.webhook.app import create_app

    config = WebhookConfig(
        integrations=(Integration(name="fuzz", webhook_secret=SecretStr(SECRET)),), database=database
    )
    app = create_app(config, start_workers=False)
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="critical")


def _start(database: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "evals.bench.bench_webhook_fuzz", "_serve", database, str(port)],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "LANGSMITH_TRACING": "false"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        if proc.poll() is not None:
            raise RuntimeError("the service exited during start-up")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the service did not start within 30 s")


async def _drive(port: int, bodies: int, seed: int, connections: int) -> dict[str, Any]:
    import httpx

    rng = random.Random(seed)
    raws = [hostile_body(rng) for _ in range(bodies)]
    intake: Counter[int] = Counter()
    pages: Counter[int] = Counter()
    js_links = 0
    errors: list[str] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for raw in raws:
        queue.put_nowait(raw)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits) as client:

        async def fetch(path: str) -> None:
            nonlocal js_links
            response = await client.get(path)
            pages[response.status_code] += 1
            if response.status_code >= 500:
                errors.append(f"GET {path}: {response.status_code}")
            if HREF_JS.search(response.text):
                js_links += 1

        async def worker() -> None:
            while True:
                try:
                    raw = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                response = await client.post(
                    f"/webhooks/dynatrace/{SECRET}", content=raw, headers={"content-type": "application/json"}
                )
                intake[response.status_code] += 1
                if response.status_code >= 500:
                    errors.append(f"POST {raw[:80]!r}: {response.status_code}")
                if response.status_code == 202:
                    alert_id = response.json()["alert_id"]
                    await fetch(f"/alerts/{alert_id}")
                    await fetch(f"/api/alerts/{alert_id}")

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        await fetch("/alerts")
        await fetch("/api/alerts?limit=1000")
        elapsed = time.monotonic() - started
    five = sum(n for code, n in [*intake.items(), *pages.items()] if code >= 500)
    return {
        "requests_tried": bodies + sum(pages.values()),
        "bodies": bodies,
        "intake_status": dict(sorted(intake.items())),
        "page_and_api_status": dict(sorted(pages.items())),
        "5xx": five,
        "javascript_links": js_links,
        "seconds": round(elapsed, 1),
        "first_errors": errors[:5],
    }


def run_store(label: str, database: str, bodies: int, seed: int, connections: int) -> dict[str, Any]:
    proc, port = _start(database)
    try:
        result = asyncio.run(_drive(port, bodies, seed, connections))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return {"store": label, **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", nargs="?", default="run", choices=["run", "_serve"])
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--bodies", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", metavar="URL", help="an existing server (default: start one)")
    args = parser.parse_args(argv)
    if args.what == "_serve":
        _serve(args.rest[0], int(args.rest[1]))
        return 0
    results = []
    if args.store in ("sqlite", "both"):
        work = Path(tempfile.mkdtemp(prefix="dt-fuzz-"))
        results.append(
            run_store("sqlite", str(work / "fuzz.sqlite3"), args.bodies, args.seed, args.connections)
        )
    if args.store in ("postgres", "both"):
        results.append(_run_postgres(args))
    for result in results:
        print(json.dumps(result, indent=2))
    bad = [r for r in results if r.get("5xx") or r.get("javascript_links")]
    return 1 if bad else 0


def _run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    if args.postgres:
        return run_store("postgres", args.postgres, args.bodies, args.seed, args.connections)
    from tests.webhook.pg_server import postgres_server, skip_reason

    reason = skip_reason()
    if reason:
        return {"store": "postgres", "skipped": reason}
    with postgres_server() as url:
        import psycopg

        name = f"fuzz_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return run_store(
            "postgres", url.rsplit("/", 1)[0] + "/" + name, args.bodies, args.seed, args.connections
        )


if __name__ == "__main__":
    sys.exit(main())
