"""The store's SQL and state machine, shared by the SQLite and PostgreSQL backends.

Every function runs inside a transaction the backend opened and commits. SQL is written
with ``?`` placeholders and rewritten to ``%s`` for PostgreSQL; PostgreSQL additionally
locks the alert row (``FOR UPDATE``) and skips claimed jobs (``SKIP LOCKED``) so several
instances can share one database.

Alert state machine (per integration and problem):

* first notification creates the alert in its state; OPEN enqueues one investigation;
* a notification whose normalised body was already stored is a *duplicate*: counted, no change;
* RESOLVED closes the alert and, with ``cancel_on_resolve``, cancels a still-queued run;
* OPEN after RESOLVED re-opens the alert (``reopen_count``) if it had been open before, and
  re-queues an investigation that had been cancelled; an OPEN that arrives *after* its own
  RESOLVED for a problem never seen open is a late delivery: history only, state stays
  RESOLVED (investigated only when ``cancel_on_resolve`` is off);
* repeated OPENs update title, severity, impacted entities and tags.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from dynatrace_agent.webhook.payloads import Notification
from dynatrace_agent.webhook.store_types import (
    Alert,
    IngestOutcome,
    Job,
    NotificationRecord,
    QueuePolicy,
    alert_id_for,
    dumps,
)

T = TypeVar("T")

__all__ = ["SCHEMA_POSTGRES", "SCHEMA_SQLITE", "Connection", "SqlCore"]


class _Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The DB-API subset both ``sqlite3`` and ``psycopg`` connections offer."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any:
        """Run one statement and return a cursor."""


#: ``alerts.problem_key`` stores ``Alert.problem_ref`` and ``investigations.problem_ref`` the job's:
#: the column keeps its first name so that instances of older and newer versions can share one
#: database during a rolling upgrade (a rename would break the older ones mid-flight).
_COMMON = """
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    integration TEXT NOT NULL,
    environment TEXT,
    problem_key TEXT NOT NULL,
    problem_id TEXT,
    display_id TEXT,
    state TEXT NOT NULL,
    opened INTEGER NOT NULL DEFAULT 0,
    title TEXT,
    severity TEXT,
    impact TEXT,
    url TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    entities TEXT NOT NULL DEFAULT '[]',
    root_cause TEXT,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    resolved_at DOUBLE PRECISION,
    problem_start_ms BIGINT,
    notification_count INTEGER NOT NULL DEFAULT 0,
    duplicate_count INTEGER NOT NULL DEFAULT 0,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    report TEXT,
    report_at DOUBLE PRECISION,
    notes TEXT NOT NULL DEFAULT '[]',
    report_summary TEXT,
    UNIQUE (integration, problem_key)
);
CREATE INDEX IF NOT EXISTS alerts_last_seen ON alerts (last_seen);
CREATE TABLE IF NOT EXISTS investigations (
    alert_id TEXT PRIMARY KEY,
    integration TEXT NOT NULL,
    environment TEXT,
    problem_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    lease_owner TEXT,
    lease_expires_at DOUBLE PRECISION,
    last_error TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    crashes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS investigations_ready ON investigations (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
"""

SCHEMA_SQLITE = (
    _COMMON
    + """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    alert_id TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    raw_state TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (alert_id, body_hash)
);
"""
)

SCHEMA_POSTGRES = (
    _COMMON
    + """
CREATE TABLE IF NOT EXISTS notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    raw_state TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (alert_id, body_hash)
);
"""
)

#: Columns added after the first release: (table, column, definition). ``migrate`` adds the
#: missing ones to a database created by an older version.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("alerts", "notes", "TEXT NOT NULL DEFAULT '[]'"),
    ("alerts", "report_summary", "TEXT"),
    ("investigations", "crashes", "INTEGER NOT NULL DEFAULT 0"),
)

_ALERT_COLUMNS = (
    "a.id, a.integration, a.environment, a.problem_key, a.problem_id, a.display_id, a.state, a.title, "
    "a.severity, a.impact, a.url, a.tags, a.entities, a.root_cause, a.first_seen, a.last_seen, "
    "a.resolved_at, a.problem_start_ms, a.notification_count, a.duplicate_count, a.reopen_count, "
    "i.status, i.attempts, i.last_error, a.report_at, a.notes, a.report_summary, i.crashes"
)
_MAX_MERGED = 200


def _merge(old: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    out = list(old)
    for item in new:
        if item not in out:
            out.append(item)
    return out[:_MAX_MERGED]


def _json_list(text: str | None) -> list[Any]:
    value = _json(text)
    return value if isinstance(value, list) else []


def _json_dict(text: str | None) -> dict[str, Any] | None:
    value = _json(text)
    return value if isinstance(value, dict) else None


def _json(text: str | None) -> Any:
    """A stored JSON column; None when empty or unreadable (a page must render regardless)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


class SqlCore:
    """The statements and decisions of the store, for one SQL dialect."""

    def __init__(self, *, postgres: bool, policy: QueuePolicy) -> None:
        self.postgres = postgres
        self.policy = policy

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def _x(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(self._q(sql), tuple(params))

    def migrate(self, conn: Connection) -> None:
        """Add the columns of :data:`ADDED_COLUMNS` that a database made by an older version lacks."""
        for table, column, definition in ADDED_COLUMNS:
            if self.postgres:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}")
                continue
            present = {r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()}
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    # -- intake -----------------------------------------------------------------------

    def ingest(
        self,
        conn: Connection,
        *,
        integration: str,
        environment: str | None,
        n: Notification,
        body_hash: str,
        received_at: float,
    ) -> IngestOutcome:
        """Record one notification and apply the state machine (see the module docstring)."""
        aid = alert_id_for(integration, n.problem_ref)
        entities = [e.as_dict() for e in n.entities]
        created = (
            self._x(
                conn,
                "INSERT INTO alerts (id, integration, environment, problem_key, problem_id, display_id,"
                " state,"
                " opened, title, severity, impact, url, tags, entities, root_cause, first_seen, last_seen,"
                " resolved_at, problem_start_ms, notes, notification_count)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1) ON CONFLICT DO NOTHING RETURNING id",
                (
                    aid,
                    integration,
                    environment,
                    n.problem_ref,
                    n.problem_id,
                    n.display_id,
                    n.state,
                    1 if n.state == "OPEN" else 0,
                    n.title,
                    n.severity,
                    n.impact,
                    n.url,
                    dumps(list(n.tags)),
                    dumps(entities),
                    n.root_cause,
                    received_at,
                    received_at,
                    received_at if n.state == "RESOLVED" else None,
                    n.start_ms,
                    dumps(list(n.notes)),
                ),
            ).fetchone()
            is not None
        )
        inserted = self._x(
            conn,
            "INSERT INTO notifications (alert_id, body_hash, received_at, state, raw_state, body)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING id",
            (aid, body_hash, received_at, n.state, n.raw_state, dumps(dict(n.body))),
        ).fetchone()
        if created:
            enqueued = n.state == "OPEN" and self._enqueue(
                conn, aid, integration, environment, n, received_at
            )
            return IngestOutcome(aid, "created", enqueued)
        if inserted is None:
            self._x(conn, "UPDATE alerts SET duplicate_count = duplicate_count + 1 WHERE id = ?", (aid,))
            return IngestOutcome(aid, "duplicate", False)

        lock = " FOR UPDATE" if self.postgres else ""
        row = self._x(
            conn, f"SELECT state, opened, tags, entities, notes FROM alerts WHERE id = ?{lock}", (aid,)
        ).fetchone()
        state, opened, tags_json, entities_json = row[0], bool(row[1]), row[2], row[3]
        notes = _merge(json.loads(row[4] or "[]"), list(n.notes))[-20:]
        tags = _merge(json.loads(tags_json), list(n.tags))
        merged_entities = _merge(json.loads(entities_json), entities)
        enqueued = False
        reopened = 0
        new_state = state
        resolved_at: float | None = None
        if n.state == "RESOLVED":
            new_state = "RESOLVED"
            resolved_at = received_at
            if self.policy.cancel_on_resolve:
                self._x(
                    conn,
                    "UPDATE investigations SET status = 'cancelled', finished_at = ?,"
                    " last_error = 'problem resolved before the investigation started'"
                    " WHERE alert_id = ? AND status = 'queued'",
                    (received_at, aid),
                )
        elif state == "RESOLVED" and opened:
            new_state = "OPEN"
            reopened = 1
            enqueued = self._enqueue(conn, aid, integration, environment, n, received_at, requeue=True)
        elif state == "RESOLVED":
            # A late OPEN for a problem first seen RESOLVED: it is already over.
            if not self.policy.cancel_on_resolve:
                enqueued = self._enqueue(conn, aid, integration, environment, n, received_at)
        else:
            enqueued = self._enqueue(conn, aid, integration, environment, n, received_at)
        opened_now = 1 if (opened or new_state == "OPEN") else 0
        self._x(
            conn,
            "UPDATE alerts SET state = ?, opened = ?, title = COALESCE(?, title),"
            " severity = COALESCE(?, severity), impact = COALESCE(?, impact), url = COALESCE(?, url),"
            " tags = ?, entities = ?, root_cause = COALESCE(?, root_cause), last_seen = ?,"
            " resolved_at = CASE WHEN ? = 'RESOLVED' THEN COALESCE(?, resolved_at) ELSE NULL END,"
            " problem_start_ms = COALESCE(problem_start_ms, ?),"
            " problem_id = COALESCE(problem_id, ?), display_id = COALESCE(display_id, ?),"
            " notification_count = notification_count + 1, reopen_count = reopen_count + ?,"
            " notes = ? WHERE id = ?",
            (
                new_state,
                opened_now,
                n.title,
                n.severity,
                n.impact,
                n.url,
                dumps(tags),
                dumps(merged_entities),
                n.root_cause,
                received_at,
                new_state,
                resolved_at,
                n.start_ms,
                n.problem_id,
                n.display_id,
                reopened,
                dumps(notes),
                aid,
            ),
        )
        return IngestOutcome(aid, "updated", enqueued)

    def _enqueue(
        self,
        conn: Connection,
        aid: str,
        integration: str,
        environment: str | None,
        n: Notification,
        now: float,
        *,
        requeue: bool = False,
    ) -> bool:
        """Queue the problem's one investigation; with ``requeue`` revive a cancelled one."""
        row = self._x(
            conn,
            "INSERT INTO investigations (alert_id, integration, environment, problem_ref, status, attempts,"
            " max_attempts, next_attempt_at, created_at) VALUES (?,?,?,?,'queued',0,?,?,?)"
            " ON CONFLICT DO NOTHING RETURNING alert_id",
            (aid, integration, environment, n.problem_ref, self.policy.max_attempts, now, now),
        ).fetchone()
        if row is not None:
            return True
        if requeue:
            revived = self._x(
                conn,
                "UPDATE investigations SET status = 'queued', next_attempt_at = ?, finished_at = NULL,"
                " last_error = NULL WHERE alert_id = ? AND status = 'cancelled' RETURNING alert_id",
                (now, aid),
            ).fetchone()
            return revived is not None
        return False

    # -- queue ------------------------------------------------------------------------

    def claim(self, conn: Connection, *, worker: str, now: float, lease_s: float) -> Job | None:
        """Take the next due job (queued, or running with an expired lease) for ``worker``.

        A job whose lease expired was running on a worker that stopped (killed, crashed, lost
        its database): that is not the investigation's failure, so it does not use an attempt;
        it counts a crash instead, and only ``max_crashes`` of those fail the job for good (a
        problem that kills its worker every time must not loop forever).
        """
        skip = " FOR UPDATE SKIP LOCKED" if self.postgres else ""
        while True:
            row = self._x(
                conn,
                "SELECT alert_id, integration, environment, problem_ref, attempts, max_attempts, status,"
                " crashes FROM investigations WHERE (status = 'queued' AND next_attempt_at <= ?)"
                " OR (status = 'running' AND lease_expires_at < ?)"
                f" ORDER BY next_attempt_at LIMIT 1{skip}",
                (now, now),
            ).fetchone()
            if row is None:
                return None
            aid, attempts, max_attempts, crashes = row[0], int(row[4]), int(row[5]), int(row[7] or 0)
            if row[6] == "running":
                crashes += 1
                if crashes > self.policy.max_crashes:
                    self._x(
                        conn,
                        "UPDATE investigations SET status = 'failed', finished_at = ?, lease_owner = NULL,"
                        " crashes = ?, last_error = ? WHERE alert_id = ?",
                        (
                            now,
                            crashes,
                            f"the worker running it stopped {crashes} times before finishing"
                            " (killed or crashed); not started again",
                            aid,
                        ),
                    )
                    continue
            self._x(
                conn,
                "UPDATE investigations SET status = 'running', lease_owner = ?, crashes = ?,"
                " lease_expires_at = ?, started_at = ? WHERE alert_id = ?",
                (worker, crashes, now + lease_s, now, aid),
            )
            return Job(aid, row[1], row[2], row[3], attempts + 1, max_attempts, crashes)

    def renew(self, conn: Connection, *, alert_id: str, worker: str, now: float, lease_s: float) -> bool:
        """Extend the lease of ``worker``'s running job; ``False`` when it is not its job."""
        row = self._x(
            conn,
            "UPDATE investigations SET lease_expires_at = ? WHERE alert_id = ? AND lease_owner = ?"
            " AND status = 'running' RETURNING alert_id",
            (now + lease_s, alert_id, worker),
        ).fetchone()
        return row is not None

    def complete(
        self,
        conn: Connection,
        *,
        alert_id: str,
        worker: str,
        now: float,
        report: dict[str, Any],
        summary: dict[str, Any] | None = None,
    ) -> bool:
        """Store the report with the alert, once: the first finished run's report wins.

        A worker that lost its lease (paused past it) may finish after another worker took
        the job over; whichever finishes first writes the report and marks the job done, the
        other's write changes nothing. Returns whether this call wrote the report.
        """
        row = self._x(
            conn,
            "UPDATE investigations SET status = 'done', finished_at = ?, lease_owner = NULL,"
            " attempts = attempts + 1, last_error = NULL"
            " WHERE alert_id = ? AND status IN ('running', 'queued') RETURNING alert_id",
            (now, alert_id),
        ).fetchone()
        if row is None:
            return False
        self._x(
            conn,
            "UPDATE alerts SET report = ?, report_at = ?, report_summary = ? WHERE id = ?",
            (dumps(report), now, dumps(summary) if summary else None, alert_id),
        )
        return True

    def fail(
        self, conn: Connection, *, alert_id: str, worker: str, now: float, error: str, retry_at: float | None
    ) -> bool:
        """Record a failed attempt: back to the queue at ``retry_at``, or failed for good."""
        status = "queued" if retry_at is not None else "failed"
        row = self._x(
            conn,
            "UPDATE investigations SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at),"
            " lease_owner = NULL, last_error = ?, finished_at = ?, attempts = attempts + 1"
            " WHERE alert_id = ? AND lease_owner = ? AND status = 'running' RETURNING alert_id",
            (status, retry_at, error[:2000], None if retry_at is not None else now, alert_id, worker),
        ).fetchone()
        return row is not None

    def release(self, conn: Connection, *, alert_id: str, worker: str, now: float) -> bool:
        """Give a job back unfinished (the service is stopping): queued again, nothing counted."""
        row = self._x(
            conn,
            "UPDATE investigations SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL,"
            " next_attempt_at = ? WHERE alert_id = ? AND lease_owner = ? AND status = 'running'"
            " RETURNING alert_id",
            (now, alert_id, worker),
        ).fetchone()
        return row is not None

    # -- sessions ----------------------------------------------------------------------

    def create_session(self, conn: Connection, *, id_hash: str, now: float, expires_at: float) -> None:
        """Remember a signed-in session (by the hash of its id); drop expired ones meanwhile."""
        self._x(conn, "DELETE FROM sessions WHERE expires_at < ?", (now,))
        self._x(
            conn,
            "INSERT INTO sessions (id_hash, created_at, expires_at) VALUES (?,?,?)",
            (id_hash, now, expires_at),
        )

    def session_valid(self, conn: Connection, *, id_hash: str, now: float) -> bool:
        """Whether the session exists and has not expired."""
        row = self._x(
            conn, "SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at >= ?", (id_hash, now)
        ).fetchone()
        return row is not None

    def delete_session(self, conn: Connection, *, id_hash: str) -> None:
        """Forget a session (sign-out)."""
        self._x(conn, "DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    # -- reading ----------------------------------------------------------------------

    @staticmethod
    def _alert(row: Sequence[Any]) -> Alert:
        return Alert(
            id=row[0],
            integration=row[1],
            environment=row[2],
            problem_ref=row[3],
            problem_id=row[4],
            display_id=row[5],
            state=row[6],
            title=row[7],
            severity=row[8],
            impact=row[9],
            url=row[10],
            tags=_json_list(row[11]),
            entities=_json_list(row[12]),
            root_cause=row[13],
            first_seen=float(row[14]),
            last_seen=float(row[15]),
            resolved_at=None if row[16] is None else float(row[16]),
            problem_start_ms=None if row[17] is None else int(row[17]),
            notification_count=int(row[18]),
            duplicate_count=int(row[19]),
            reopen_count=int(row[20]),
            investigation_status=row[21],
            investigation_attempts=int(row[22] or 0),
            investigation_error=row[23],
            report_at=None if row[24] is None else float(row[24]),
            notes=_json_list(row[25]),
            report_summary=_json_dict(row[26]),
            investigation_crashes=int(row[27] or 0),
        )

    def list_alerts(self, conn: Connection, *, limit: int) -> list[Alert]:
        """The latest alerts first, at most ``limit``, without their reports."""
        rows = self._x(
            conn,
            f"SELECT {_ALERT_COLUMNS} FROM alerts a LEFT JOIN investigations i ON i.alert_id = a.id"
            " ORDER BY a.last_seen DESC, a.id LIMIT ?",
            (limit,),
        ).fetchall()
        return [self._alert(r) for r in rows]

    def get_alert(self, conn: Connection, alert_id: str) -> Alert | None:
        """One alert with its notifications and report, or ``None``."""
        row = self._x(
            conn,
            f"SELECT {_ALERT_COLUMNS}, a.report FROM alerts a"
            " LEFT JOIN investigations i ON i.alert_id = a.id WHERE a.id = ?",
            (alert_id,),
        ).fetchone()
        if row is None:
            return None
        alert = self._alert(row)
        alert.report = _json_dict(row[28])
        rows = self._x(
            conn,
            "SELECT id, received_at, state, raw_state, body_hash, body FROM notifications"
            " WHERE alert_id = ? ORDER BY id",
            (alert_id,),
        ).fetchall()
        alert.notifications = [
            NotificationRecord(int(r[0]), float(r[1]), r[2], r[3], r[4], _json_dict(r[5]) or {}) for r in rows
        ]
        return alert

    def stats(self, conn: Connection) -> dict[str, int]:
        """Counts of alerts, notifications and investigations by status."""
        out = {
            "alerts": int(self._x(conn, "SELECT COUNT(*) FROM alerts").fetchone()[0]),
            "notifications": int(self._x(conn, "SELECT COUNT(*) FROM notifications").fetchone()[0]),
        }
        for status, count in self._x(
            conn, "SELECT status, COUNT(*) FROM investigations GROUP BY status"
        ).fetchall():
            out[f"investigations_{status}"] = int(count)
        return out


class SqlBackedStore:
    """The ``AlertStore`` methods, written once over :class:`SqlCore`.

    A backend supplies how a statement runs: ``_write`` for changes (SQLite funnels them
    through its writer thread; PostgreSQL runs one transaction per call) and ``_read`` for
    queries. Everything else is the same SQL on both databases.
    """

    _core: SqlCore

    async def _write(self, fn: Callable[[Any], T]) -> T:
        raise NotImplementedError

    async def _read(self, fn: Callable[[Any], T]) -> T:
        raise NotImplementedError

    async def ping(self) -> None:
        await self._read(lambda c: c.execute("SELECT 1").fetchone())

    async def ingest(
        self,
        *,
        integration: str,
        environment: str | None,
        notification: Notification,
        body_hash: str,
        received_at: float,
    ) -> IngestOutcome:
        return await self._write(
            lambda c: self._core.ingest(
                c,
                integration=integration,
                environment=environment,
                n=notification,
                body_hash=body_hash,
                received_at=received_at,
            )
        )

    async def claim(self, *, worker: str, now: float, lease_s: float) -> Job | None:
        return await self._write(lambda c: self._core.claim(c, worker=worker, now=now, lease_s=lease_s))

    async def renew(self, *, alert_id: str, worker: str, now: float, lease_s: float) -> bool:
        return await self._write(
            lambda c: self._core.renew(c, alert_id=alert_id, worker=worker, now=now, lease_s=lease_s)
        )

    async def complete(
        self,
        *,
        alert_id: str,
        worker: str,
        now: float,
        report: dict[str, Any],
        summary: dict[str, Any] | None = None,
    ) -> bool:
        return await self._write(
            lambda c: self._core.complete(
                c, alert_id=alert_id, worker=worker, now=now, report=report, summary=summary
            )
        )

    async def release(self, *, alert_id: str, worker: str, now: float) -> bool:
        return await self._write(lambda c: self._core.release(c, alert_id=alert_id, worker=worker, now=now))

    async def create_session(self, *, id_hash: str, now: float, expires_at: float) -> None:
        await self._write(
            lambda c: self._core.create_session(c, id_hash=id_hash, now=now, expires_at=expires_at)
        )

    async def session_valid(self, *, id_hash: str, now: float) -> bool:
        return await self._read(lambda c: self._core.session_valid(c, id_hash=id_hash, now=now))

    async def delete_session(self, *, id_hash: str) -> None:
        await self._write(lambda c: self._core.delete_session(c, id_hash=id_hash))

    async def fail(
        self, *, alert_id: str, worker: str, now: float, error: str, retry_at: float | None
    ) -> bool:
        return await self._write(
            lambda c: self._core.fail(
                c, alert_id=alert_id, worker=worker, now=now, error=error, retry_at=retry_at
            )
        )

    async def list_alerts(self, *, limit: int = 200) -> list[Alert]:
        return await self._read(lambda c: self._core.list_alerts(c, limit=limit))

    async def get_alert(self, alert_id: str) -> Alert | None:
        return await self._read(lambda c: self._core.get_alert(c, alert_id))

    async def stats(self) -> dict[str, int]:
        return await self._read(self._core.stats)
