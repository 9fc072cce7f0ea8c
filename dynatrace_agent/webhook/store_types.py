"""The alert store's interface and values: alerts, their history, queued jobs, the error.

This module depends on no backend, so the shared SQL (:mod:`.store_sql`) and the backends
(:mod:`.store_sqlite`, :mod:`.store_postgres`) import it, and :mod:`.store` (the public face,
which picks a backend) imports them: the imports run one way and form no cycle. Every method
that changes data returns only after the change is committed, so the HTTP handler can
acknowledge a notification the moment ``ingest`` returns.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Protocol

from dynatrace_agent.errors import StoreUnavailableError
from dynatrace_agent.webhook.payloads import Notification
from dynatrace_agent.webhook.safety import MAX_DEPTH, displayable

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
]

IngestResult = Literal["created", "updated", "duplicate"]
InvestigationStatus = Literal["queued", "running", "done", "failed", "cancelled"]


def alert_id_for(integration: str, problem_ref: str) -> str:
    """The alert's id: a UUID derived from integration and problem, equal on every instance.

    The same UUID names the problem's LangGraph thread, so redeliveries and other instances
    never start a second run for one problem.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{integration}:{problem_ref}"))


@dataclass(frozen=True)
class QueuePolicy:
    """How the investigation queue behaves; see ``WebhookConfig`` for the defaults' reasons."""

    max_attempts: int = 3
    cancel_on_resolve: bool = True
    #: Times a run may be cut short by its worker stopping (kill -9, crash) before the job fails.
    max_crashes: int = 3


@dataclass(frozen=True)
class IngestOutcome:
    """What ``ingest`` did: the alert it touched and whether an investigation was queued."""

    alert_id: str
    result: IngestResult
    enqueued: bool = False


@dataclass(frozen=True)
class Job:
    """A claimed investigation: the worker owns it until its lease expires."""

    alert_id: str
    integration: str
    environment: str | None
    problem_ref: str
    attempts: int
    max_attempts: int
    crashes: int = 0


@dataclass(frozen=True)
class NotificationRecord:
    """One received notification, kept verbatim as the alert's history."""

    id: int
    received_at: float
    state: str
    raw_state: str
    body_hash: str
    body: dict[str, Any]


@dataclass
class Alert:
    """One problem of one integration, with its investigation's status."""

    id: str
    integration: str
    environment: str | None
    problem_ref: str
    problem_id: str | None
    display_id: str | None
    state: str
    title: str | None
    severity: str | None
    impact: str | None
    url: str | None
    tags: list[str]
    entities: list[dict[str, Any]]
    root_cause: str | None
    first_seen: float
    last_seen: float
    resolved_at: float | None
    problem_start_ms: int | None
    notification_count: int
    duplicate_count: int
    reopen_count: int
    investigation_status: str | None = None
    investigation_attempts: int = 0
    investigation_error: str | None = None
    investigation_crashes: int = 0
    report_at: float | None = None
    report: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    report_summary: dict[str, Any] | None = None
    notifications: list[NotificationRecord] = field(default_factory=list)

    def to_json(self, *, full: bool = False) -> dict[str, Any]:
        """The API form: safe to encode whatever was stored (see ``safety.displayable``).

        ``problem_ref`` is also sent as ``problem_key``, its earlier name (kept for API clients).
        ``root_cause`` is Dynatrace's root cause when the notification named one, else the
        investigation's top candidate (``root_cause_source`` says which); ``environment`` is
        the environment the investigation ran against when the integration names none.
        """
        # Not ``asdict``: it deep-copies every body recursively, and a stored body may nest deeply.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["notifications"] = [{f.name: getattr(n, f.name) for f in fields(n)} for n in self.notifications]
        # ``problem_key`` was this field's name before ``problem_ref``; API clients may still read it.
        data["problem_key"] = self.problem_ref
        summary = self.report_summary or {}
        data.pop("report_summary")
        data["root_cause_source"] = "dynatrace" if self.root_cause else None
        if not self.root_cause and summary.get("root_cause"):
            data["root_cause"] = summary["root_cause"]
            data["root_cause_source"] = "investigation"
        if self.environment is None and summary.get("environment"):
            data["environment"] = summary["environment"]
        data["investigation"] = {
            "status": self.investigation_status,
            "attempts": self.investigation_attempts,
            "error": self.investigation_error,
            "category": summary.get("category"),
            "confidence": summary.get("confidence"),
            "root_cause": summary.get("root_cause"),
            "duration_s": summary.get("duration_s"),
        }
        if not full:
            data.pop("notifications")
            data.pop("report")
            data["has_report"] = self.report_at is not None
        # bodies sit three levels down (notifications → [i] → body): room for their full depth
        result: dict[str, Any] = displayable(data, max_depth=MAX_DEPTH + 4)
        return result


class AlertStore(Protocol):
    """Durable alerts and investigation queue; each write commits before returning."""

    policy: QueuePolicy

    async def open(self) -> None:
        """Create the schema if needed and start the backend."""

    async def close(self) -> None:
        """Stop accepting work and release connections; later calls raise ``StoreUnavailableError``."""

    async def ping(self) -> None:
        """Raise ``StoreUnavailableError`` unless the store answers (health checks)."""

    async def ingest(
        self,
        *,
        integration: str,
        environment: str | None,
        notification: Notification,
        body_hash: str,
        received_at: float,
    ) -> IngestOutcome:
        """Record one notification and apply the alert state machine; say what it changed."""

    async def claim(self, *, worker: str, now: float, lease_s: float) -> Job | None:
        """Take the next due investigation for ``worker`` under a lease, or ``None``."""

    async def renew(self, *, alert_id: str, worker: str, now: float, lease_s: float) -> bool:
        """Extend ``worker``'s lease on a running job; ``False`` when it is no longer its job."""

    async def complete(
        self,
        *,
        alert_id: str,
        worker: str,
        now: float,
        report: dict[str, Any],
        summary: dict[str, Any] | None = None,
    ) -> bool:
        """Store a finished run's report (the first one wins); ``False`` when not ``worker``'s job."""

    async def fail(
        self, *, alert_id: str, worker: str, now: float, error: str, retry_at: float | None
    ) -> bool:
        """Record a failed attempt: queued again at ``retry_at``, or failed for good when ``None``."""

    async def release(self, *, alert_id: str, worker: str, now: float) -> bool:
        """Give a job back unfinished (the service is stopping): queued again, nothing counted."""

    async def create_session(self, *, id_hash: str, now: float, expires_at: float) -> None:
        """Remember a signed-in session by the hash of its id, until ``expires_at``."""

    async def session_valid(self, *, id_hash: str, now: float) -> bool:
        """Whether the session exists and has not expired."""

    async def delete_session(self, *, id_hash: str) -> None:
        """Forget a session (sign-out)."""

    async def list_alerts(self, *, limit: int = 200) -> list[Alert]:
        """The latest alerts first, at most ``limit``, without their reports."""

    async def get_alert(self, alert_id: str) -> Alert | None:
        """One alert with its notifications and report, or ``None``."""

    async def stats(self) -> dict[str, int]:
        """Counts of alerts, notifications and investigations by status."""


def dumps(value: Any) -> str:
    """Compact ASCII JSON for the store's text columns (escapes NULs and lone surrogates)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True, default=str)
