"""The alert store: alerts, their notification history and the investigation queue.

Two backends implement :class:`AlertStore` with the same SQL logic
(:mod:`dynatrace_agent.webhook.store_sql`): SQLite in WAL mode for one instance
(:mod:`.store_sqlite`) and PostgreSQL for several instances behind a load balancer
(:mod:`.store_postgres`). This module is what callers import: the interface and its values
(defined in :mod:`.store_types`, which the backends build on) and :func:`open_store`.
"""

from __future__ import annotations

from dynatrace_agent.webhook.store_postgres import PostgresStore
from dynatrace_agent.webhook.store_sqlite import SQLiteStore
from dynatrace_agent.webhook.store_types import (
    Alert,
    AlertStore,
    IngestOutcome,
    InvestigationStatus,
    Job,
    NotificationRecord,
    QueuePolicy,
    StoreUnavailableError,
    alert_id_for,
    dumps,
)

__all__ = [
    "Alert",
    "AlertStore",
    "IngestOutcome",
    "InvestigationStatus",
    "Job",
    "NotificationRecord",
    "QueuePolicy",
    "StoreUnavailableError",
    "alert_id_for",
    "dumps",
    "open_store",
]


def open_store(database: str, *, policy: QueuePolicy | None = None) -> AlertStore:
    """The backend for ``database``: a ``postgresql://`` URL or a SQLite file path."""
    policy = policy or QueuePolicy()
    if database.startswith(("postgres://", "postgresql://")):
        return PostgresStore(database, policy=policy)
    return SQLiteStore(database, policy=policy)
