"""PostgreSQL backend of the alert store, for several service instances sharing one database.

It runs the same statements as the SQLite backend (:mod:`.store_sql`) through ``psycopg``'s
synchronous connections on worker threads, one transaction per call. Row locks
(``SELECT … FOR UPDATE``) serialise notifications for one problem across instances and
``FOR UPDATE SKIP LOCKED`` lets every instance's workers claim different investigations.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.webhook.store_sql import SCHEMA_POSTGRES, SqlBackedStore, SqlCore
from dynatrace_agent.webhook.store_types import QueuePolicy, StoreUnavailableError

__all__ = ["PostgresStore"]

T = TypeVar("T")
_SCHEMA_LOCK = 724_201_311  # advisory lock id: one instance creates the schema at a time


class PostgresStore(SqlBackedStore):
    """``AlertStore`` on PostgreSQL (``postgresql://user@host/db``); ``pool_size`` connections."""

    def __init__(self, url: str, *, policy: QueuePolicy | None = None, pool_size: int = 4) -> None:
        self.url = url
        self.policy = policy or QueuePolicy()
        self._core = SqlCore(postgres=True, policy=self.policy)
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._pool_size = pool_size
        self._created = 0
        self._lock = threading.Lock()
        self._closed = True

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreUnavailableError(
                f"cannot connect to the PostgreSQL alert store: {_first_line(exc)}"
            ) from None

    async def open(self) -> None:
        """Connect and create the schema (idempotent, serialised by an advisory lock)."""
        if not self._closed:
            return
        try:
            import psycopg
        except ImportError:
            raise ConfigurationError(
                "a PostgreSQL DT_AGENT_DB needs psycopg: pip install 'dynatrace-agent[postgres]'"
            ) from None

        def init() -> None:
            conn = self._connect()
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                    for statement in SCHEMA_POSTGRES.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    self._core.migrate(conn)
            except psycopg.Error as exc:
                conn.close()
                raise StoreUnavailableError(
                    f"cannot create the alert store schema: {_first_line(exc)}"
                ) from None
            self._pool.put(conn)
            self._created = 1

        try:
            await asyncio.to_thread(init)
        except StoreUnavailableError as exc:
            raise ConfigurationError(f"{exc}; check DT_AGENT_DB") from None
        self._closed = False

    async def close(self) -> None:
        """Refuse further work and close every pooled connection."""
        self._closed = True
        while True:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                break
            conn.close()

    def _acquire(self) -> Any:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._created < self._pool_size:
                self._created += 1
                try:
                    return self._connect()
                except StoreUnavailableError:
                    self._created -= 1
                    raise
        return self._pool.get(timeout=30)

    def _release(self, conn: Any, *, broken: bool) -> None:
        if broken or self._closed or conn.closed:
            conn.close()
            with self._lock:
                self._created -= 1
        else:
            self._pool.put(conn)

    async def _write(self, fn: Callable[[Any], T]) -> T:
        if self._closed:
            raise StoreUnavailableError("the alert store is closed")
        import psycopg

        def work() -> T:
            try:
                conn = self._acquire()
            except queue.Empty:
                raise StoreUnavailableError("no PostgreSQL connection became free within 30 s") from None
            broken = False
            try:
                with conn.transaction():
                    return fn(conn)
            except psycopg.OperationalError as exc:
                broken = True
                raise StoreUnavailableError(
                    f"the PostgreSQL alert store failed: {_first_line(exc)}"
                ) from None
            finally:
                self._release(conn, broken=broken)

        return await asyncio.to_thread(work)

    async def _read(self, fn: Callable[[Any], T]) -> T:
        # Reads and writes both run as one short transaction on a pooled connection.
        return await self._write(fn)


def _first_line(exc: BaseException) -> str:
    """psycopg messages can span lines (DETAIL/HINT); the first says what failed, without the URL."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
