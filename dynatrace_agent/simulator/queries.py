"""Grail request tokens: queries that stay RUNNING for a while, then hold their result.

The simulator evaluates a query when it is submitted; ``query_running_ms`` only decides how
long the answer is withheld behind a request token, so clients exercise the real
execute → poll → cancel protocol. A token lives until ``result_ttl_s`` after it finished;
unknown, expired and cancelled tokens are all ``410 Gone`` to the caller.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["QueryJob", "QueryStore"]


@dataclass
class QueryJob:
    """One submitted query and its (already computed) result."""

    result: dict[str, Any]
    ready_at: float
    expires_at: float
    started_at: float

    def finished(self, now: float | None = None) -> bool:
        """Whether the withheld result may be handed out."""
        return (now if now is not None else time.monotonic()) >= self.ready_at

    def progress(self, now: float | None = None) -> int:
        """0..100, as Grail reports while RUNNING."""
        moment = now if now is not None else time.monotonic()
        span = self.ready_at - self.started_at
        if span <= 0 or moment >= self.ready_at:
            return 100
        return max(0, min(99, int(100 * (moment - self.started_at) / span)))


class QueryStore:
    """Request token -> job, with expiry."""

    def __init__(self, result_ttl_s: float) -> None:
        self.result_ttl_s = result_ttl_s
        self._jobs: dict[str, QueryJob] = {}

    def submit(self, result: dict[str, Any], running_s: float) -> tuple[str, QueryJob]:
        """Hold ``result`` for ``running_s`` seconds behind a new request token."""
        self._purge()
        now = time.monotonic()
        job = QueryJob(result, now + running_s, now + running_s + self.result_ttl_s, now)
        token = secrets.token_urlsafe(24)
        self._jobs[token] = job
        return token, job

    def get(self, token: str) -> QueryJob | None:
        """The live job for a token; None when unknown, expired or cancelled."""
        job = self._jobs.get(token)
        if job is None:
            return None
        if job.expires_at < time.monotonic():
            del self._jobs[token]
            return None
        return job

    def discard(self, token: str) -> None:
        """Forget a token (cancel)."""
        self._jobs.pop(token, None)

    def _purge(self) -> None:
        now = time.monotonic()
        for token in [t for t, job in self._jobs.items() if job.expires_at < now]:
            del self._jobs[token]
