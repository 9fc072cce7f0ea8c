"""SQLite backend of the alert store: WAL mode, one writer thread with group commit.

SQLite allows one writer at a time, and a commit (with ``synchronous=FULL``) costs an fsync.
A dedicated writer thread takes every pending write, runs each in its own savepoint inside
one transaction, commits once and only then resolves the callers' futures: throughput grows
with load while each caller still gets its answer only after its data is on disk. Reads use
a separate connection (WAL lets readers run beside the writer).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.webhook.store_sql import SCHEMA_SQLITE, SqlBackedStore, SqlCore
from dynatrace_agent.webhook.store_types import QueuePolicy, StoreUnavailableError

__all__ = ["SQLiteStore"]

T = TypeVar("T")
_BATCH = 512


_Item = tuple[Callable[[sqlite3.Connection], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class SQLiteStore(SqlBackedStore):
    """``AlertStore`` on a SQLite file; ``synchronous`` is ``FULL`` (fsync per commit) by default."""

    def __init__(
        self, path: str | Path, *, policy: QueuePolicy | None = None, synchronous: str = "FULL"
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        self.path = Path(path)
        self.policy = policy or QueuePolicy()
        self.synchronous = synchronous
        self._core = SqlCore(postgres=False, policy=self.policy)
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._closed = True

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    async def open(self) -> None:
        """Create the file and schema, start the writer thread."""
        if not self._closed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            writer = self._connect()
            writer.executescript(SCHEMA_SQLITE)
            self._core.migrate(writer)
            self._reader = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot open the alert store {self.path}: {exc}; "
                "check DT_AGENT_DB and the directory permissions"
            ) from None
        self._closed = False
        self._writer = threading.Thread(
            target=self._write_loop, args=(writer,), name="alert-store-writer", daemon=True
        )
        self._writer.start()

    async def close(self) -> None:
        """Stop the writer thread after the queued writes and close the connections."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        if self._writer is not None:
            await asyncio.to_thread(self._writer.join)
        if self._reader is not None:
            self._reader.close()

    # -- writer ------------------------------------------------------------------------

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._run_batch(conn, batch)
        conn.close()

    @staticmethod
    def _run_batch(conn: sqlite3.Connection, batch: list[_Item]) -> None:
        results: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, _, _ in batch:
                conn.execute("SAVEPOINT job")
                try:
                    results.append((True, fn(conn)))
                    conn.execute("RELEASE job")
                except Exception as exc:  # one bad job must not sink the batch
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    results.append((False, exc))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            failure = StoreUnavailableError(f"the alert store could not commit: {exc}")
            results = [(False, failure)] * len(batch)
        # One wake-up per event loop per batch, not one per caller.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for (ok, value), (_, loop, fut) in zip(results, batch, strict=True):
            by_loop.setdefault(loop, []).append((fut, ok, value))
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
                loop.call_soon_threadsafe(_settle_all, settled)

    async def _write(self, fn: Callable[[Any], T]) -> T:
        if self._closed:
            raise StoreUnavailableError("the alert store is closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put((fn, loop, fut))
        return await fut

    async def _read(self, fn: Callable[[Any], T]) -> T:
        if self._closed or self._reader is None:
            raise StoreUnavailableError("the alert store is closed")
        reader = self._reader

        def run() -> T:
            with self._read_lock:
                reader.execute("BEGIN")  # one snapshot for the whole read
                try:
                    return fn(reader)
                finally:
                    reader.execute("COMMIT")

        return await asyncio.to_thread(run)


def _settle_all(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for fut, ok, value in settled:
        if fut.done():
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
