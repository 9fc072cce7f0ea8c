"""The PostgreSQL dialect of the store's SQL, checked without a PostgreSQL server.

Several service instances share one PostgreSQL database; what keeps them from creating two
alerts or running one job twice is in the SQL text: ``%s`` placeholders (psycopg refuses
``?``), the alert row locked ``FOR UPDATE`` while a notification is applied, and claimed jobs
skipped (``FOR UPDATE SKIP LOCKED``). The real-server tests carry the ``postgres`` marker and
are skipped where no server runs, so these run the same decisions on SQLite through a
connection that records each statement as PostgreSQL would receive it and translates it back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from dynatrace_agent.webhook.payloads import body_hash, parse_notification
from dynatrace_agent.webhook.store import QueuePolicy
from dynatrace_agent.webhook.store_sql import ADDED_COLUMNS, SCHEMA_SQLITE, SqlCore


class PostgresShapedConnection:
    """Records PostgreSQL-dialect statements and runs their SQLite equivalent."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        self.statements.append((sql, tuple(params)))
        lite = sql.replace("%s", "?").replace(" FOR UPDATE SKIP LOCKED", "").replace(" FOR UPDATE", "")
        if "ADD COLUMN IF NOT EXISTS" in lite:
            table, column = re.findall(r"ALTER TABLE (\w+) ADD COLUMN IF NOT EXISTS (\w+)", lite)[0]
            present = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})").fetchall()}
            if column in present:
                return self.conn.execute("SELECT 1")
            lite = lite.replace("ADD COLUMN IF NOT EXISTS", "ADD COLUMN")
        return self.conn.execute(lite, params)


@pytest.fixture
def conn() -> Iterator[PostgresShapedConnection]:
    raw = sqlite3.connect(":memory:")
    raw.executescript(SCHEMA_SQLITE)
    yield PostgresShapedConnection(raw)
    raw.close()


def _ingest(core: SqlCore, conn: Any, body: dict[str, Any], at: float) -> Any:
    return core.ingest(
        conn,
        integration="prod",
        environment=None,
        n=parse_notification(body),
        body_hash=body_hash(body),
        received_at=at,
    )


OPEN = {"pid": "-1_1V2", "state": "OPEN", "title": "t"}


def _story(core: SqlCore, conn: Any) -> list[Any]:
    """One problem's life: created, redelivered, updated, resolved, re-opened, claimed, done."""
    out: list[Any] = [
        _ingest(core, conn, OPEN, 1000.0),
        _ingest(core, conn, OPEN, 1001.0),
        _ingest(core, conn, {**OPEN, "title": "t2"}, 1002.0),
        _ingest(core, conn, {**OPEN, "state": "RESOLVED"}, 1003.0),
        _ingest(core, conn, {**OPEN, "title": "t3"}, 1004.0),
    ]
    job = core.claim(conn, worker="w", now=1005.0, lease_s=10)
    out.append(job)
    assert job is not None
    out.append(core.renew(conn, alert_id=job.alert_id, worker="w", now=1006.0, lease_s=10))
    out.append(core.fail(conn, alert_id=job.alert_id, worker="w", now=1007.0, error="e", retry_at=1008.0))
    out.append(core.claim(conn, worker="w", now=1008.0, lease_s=10))
    out.append(core.release(conn, alert_id=job.alert_id, worker="w", now=1009.0))
    out.append(core.claim(conn, worker="w", now=1009.0, lease_s=10))
    out.append(core.complete(conn, alert_id=job.alert_id, worker="w", now=1010.0, report={"r": 1}))
    core.create_session(conn, id_hash="h", now=1010.0, expires_at=2000.0)
    out.append(core.session_valid(conn, id_hash="h", now=1011.0))
    core.delete_session(conn, id_hash="h")
    out.append(core.get_alert(conn, job.alert_id))
    out.append(core.list_alerts(conn, limit=5))
    out.append(core.stats(conn))
    return out


def test_both_dialects_make_the_same_decisions(conn: PostgresShapedConnection) -> None:
    policy = QueuePolicy()
    lite = sqlite3.connect(":memory:")
    lite.executescript(SCHEMA_SQLITE)
    try:
        expected = _story(SqlCore(postgres=False, policy=policy), lite)
    finally:
        lite.close()
    assert _story(SqlCore(postgres=True, policy=policy), conn) == expected


def test_postgres_statements_use_percent_placeholders_only(conn: PostgresShapedConnection) -> None:
    _story(SqlCore(postgres=True, policy=QueuePolicy()), conn)
    assert conn.statements
    for sql, params in conn.statements:
        assert "?" not in sql, sql
        assert sql.count("%s") == len(params), sql


def test_sqlite_statements_use_question_marks() -> None:
    raw = sqlite3.connect(":memory:")
    raw.executescript(SCHEMA_SQLITE)
    try:
        recorder = PostgresShapedConnection(raw)
        _story(SqlCore(postgres=False, policy=QueuePolicy()), recorder)
        for sql, params in recorder.statements:
            assert "%s" not in sql and "FOR UPDATE" not in sql, sql
            assert sql.count("?") == len(params), sql
    finally:
        raw.close()


def test_postgres_locks_the_alert_row_while_applying_a_notification(conn: PostgresShapedConnection) -> None:
    core = SqlCore(postgres=True, policy=QueuePolicy())
    _ingest(core, conn, OPEN, 1000.0)
    conn.statements.clear()
    _ingest(core, conn, {**OPEN, "title": "t2"}, 1001.0)
    reads = [sql for sql, _ in conn.statements if sql.startswith("SELECT") and "FROM alerts" in sql]
    assert len(reads) == 1
    assert reads[0].endswith("WHERE id = %s FOR UPDATE")


def test_postgres_skips_jobs_another_instance_is_claiming(conn: PostgresShapedConnection) -> None:
    core = SqlCore(postgres=True, policy=QueuePolicy())
    _ingest(core, conn, OPEN, 1000.0)
    conn.statements.clear()
    assert core.claim(conn, worker="w", now=1000.0, lease_s=10) is not None
    selects = [sql for sql, _ in conn.statements if sql.startswith("SELECT")]
    assert len(selects) == 1
    assert selects[0].endswith("ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED")


def test_postgres_migration_adds_each_missing_column_idempotently(conn: PostgresShapedConnection) -> None:
    core = SqlCore(postgres=True, policy=QueuePolicy())
    core.migrate(conn)
    core.migrate(conn)
    expected = [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}"
        for table, column, definition in ADDED_COLUMNS
    ]
    assert [sql for sql, _ in conn.statements] == expected * 2


def test_sqlite_migration_adds_only_missing_columns() -> None:
    raw = sqlite3.connect(":memory:")
    raw.executescript(SCHEMA_SQLITE.replace("    report_summary TEXT,\n", ""))
    try:
        recorder = PostgresShapedConnection(raw)
        SqlCore(postgres=False, policy=QueuePolicy()).migrate(recorder)
        alters = [sql for sql, _ in recorder.statements if sql.startswith("ALTER")]
        assert alters == ["ALTER TABLE alerts ADD COLUMN report_summary TEXT"]
        columns = {r[1] for r in raw.execute("PRAGMA table_info(alerts)").fetchall()}
        assert "report_summary" in columns
    finally:
        raw.close()
