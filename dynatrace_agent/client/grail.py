"""Grail queries on the platform plane: execute, poll until final, cancel at the deadline.

Each query asks for an OAuth token with only its own scopes plus ``storage:buckets:read``.
A per-client scan budget (in GB, decimal: 1 GB = 10**9 bytes, counted from
``metadata.grail.scannedBytes``) stops an agent from scanning without bound: every query's
``defaultScanLimitGbytes`` is capped at what is left, and once the budget is spent further
queries are refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dynatrace_agent.client.auth import BearerAuth, OAuthTokenProvider
from dynatrace_agent.client.errormap import Operation, json_object
from dynatrace_agent.client.http import HttpCore
from dynatrace_agent.client.scopes import CAPABILITY_SCOPES, request_scopes
from dynatrace_agent.errors import (
    CapabilityUnavailableError,
    DynatraceAgentError,
    DynatraceAPIError,
    InvalidArgumentError,
    QueryResultGoneError,
    QueryTimeoutError,
    ScanBudgetExceededError,
    ServerError,
)
from dynatrace_agent.settings import OAUTH_VARIABLES, EnvironmentSettings
from dynatrace_agent.values import as_int

__all__ = ["GrailAPI", "QueryResult"]

QUERY_PATH = "/platform/storage/query/v1"
CLIENT_CONTEXT = "dynatrace-agent"
BYTES_PER_GB = 1_000_000_000
#: Notification types that mean the result was cut at maxResultRecords.
RECORD_LIMIT_NOTIFICATIONS = frozenset({"RESULT_TRUNCATED", "LIMIT_ADDED", "RECORD_LIMIT_REACHED"})
_RUNNING = ("RUNNING", "NOT_STARTED")


@dataclass
class QueryResult:
    """A finished Grail query: records as returned, their types, and Grail's metadata.

    ``max_result_records`` is the limit the query was sent with, so ``record_limit_reached``
    can tell a cut-off result from a complete one even without a notification.
    """

    records: list[dict[str, Any]]
    types: list[dict[str, Any]]
    metadata: dict[str, Any]
    max_result_records: int | None = None
    query: str | None = field(default=None, repr=False)

    @property
    def grail(self) -> dict[str, Any]:
        """``metadata.grail`` (empty when absent)."""
        value = self.metadata.get("grail")
        return value if isinstance(value, dict) else {}

    @property
    def scanned_bytes(self) -> int:
        """Bytes Grail scanned (0 when not reported)."""
        return as_int(self.grail.get("scannedBytes")) or 0

    @property
    def scanned_records(self) -> int:
        """Records Grail scanned (0 when not reported)."""
        return as_int(self.grail.get("scannedRecords")) or 0

    @property
    def sampled(self) -> bool:
        """True when Grail sampled the data, so counts are estimates."""
        return self.grail.get("sampled") is True

    @property
    def notifications(self) -> list[dict[str, Any]]:
        """Grail's notifications (limits added, truncation, scan limits, warnings)."""
        value = self.grail.get("notifications")
        return [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []

    @property
    def record_limit_reached(self) -> bool:
        """The result was cut at the record limit: more records exist than were returned."""
        if any(n.get("notificationType") in RECORD_LIMIT_NOTIFICATIONS for n in self.notifications):
            return True
        return self.max_result_records is not None and len(self.records) >= self.max_result_records

    @property
    def scan_limit_reached(self) -> bool:
        """Grail stopped scanning at the scan limit: the data looked at is incomplete."""
        return any("SCAN_LIMIT" in str(n.get("notificationType", "")) for n in self.notifications)

    @property
    def analysis_timeframe(self) -> tuple[str, str] | None:
        """The time frame Grail analysed (start, end) as ISO strings, when reported."""
        frame = self.grail.get("analysisTimeframe")
        if isinstance(frame, dict) and frame.get("start") and frame.get("end"):
            return str(frame["start"]), str(frame["end"])
        return None


def _capability_for(scopes: Sequence[str]) -> str:
    """The capability name a scope list belongs to (for CapabilityUnavailableError)."""
    wanted = set(scopes)
    for cap in CAPABILITY_SCOPES.values():
        if cap.grail and cap.name != "dql" and set(cap.scopes) <= wanted:
            return cap.name
    return "dql"


def execute_params(dql: str) -> dict[str, str | int | float] | None:
    """Query parameters for ``query:execute``: metric queries ask for units and metadata.

    Grail sends ``metadata.metrics`` (unit, display name) only when the request carries
    ``enrich=metric-metadata``; without it summaries would have no unit to show.
    """
    first = dql.lstrip().split(None, 1)[0] if dql.strip() else ""
    return {"enrich": "metric-metadata"} if first in ("timeseries", "metrics") else None


class GrailAPI:
    """``query:execute`` / ``query:poll`` / ``query:cancel`` with a deadline and a scan budget."""

    def __init__(
        self,
        core: HttpCore,
        settings: EnvironmentSettings,
        tokens: OAuthTokenProvider | None,
        *,
        scan_budget_gb: float | None = None,
        request_timeout_ms: int = 5000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._core = core
        self._settings = settings
        self._tokens = tokens
        self._clock = clock
        self._request_timeout_ms = request_timeout_ms
        self.scan_budget_gb = scan_budget_gb
        self.scanned_bytes_total = 0
        self.queries = 0

    def __repr__(self) -> str:
        return f"GrailAPI(environment={self._settings.name!r}, queries={self.queries})"

    @property
    def scan_budget_remaining_gb(self) -> float | None:
        """GB left in the scan budget (None = unlimited)."""
        if self.scan_budget_gb is None:
            return None
        return max(0.0, self.scan_budget_gb - self.scanned_bytes_total / BYTES_PER_GB)

    def _auth(self, scopes: Sequence[str]) -> tuple[BearerAuth, str]:
        """The bearer auth for the scopes and the platform base, or why Grail is unavailable."""
        capability = _capability_for(scopes)
        base = self._settings.platform_base_url
        if base is None:
            raise CapabilityUnavailableError(
                f'environment "{self._settings.name}" is a Managed environment without a platform plane, so '
                f"{capability} (Grail) is unavailable; set platform_url (DT_PLATFORM_URL) if it has one.",
                capability=capability,
                scopes=list(scopes),
            )
        if self._tokens is None:
            reason = self._settings.oauth_problem or (f"no OAuth client is configured; set {OAUTH_VARIABLES}")
            raise CapabilityUnavailableError(
                f'{capability} (Grail) is unavailable for environment "{self._settings.name}": {reason}',
                capability=capability,
                scopes=list(scopes),
            )
        return self._tokens.for_scopes(request_scopes(scopes)), base + QUERY_PATH

    async def query(
        self,
        dql: str,
        *,
        scopes: Sequence[str],
        timeframe_start: str | None = None,
        timeframe_end: str | None = None,
        max_result_records: int = 1000,
        max_result_bytes: int | None = None,
        scan_limit_gb: float | None = None,
        deadline_s: float = 60.0,
    ) -> QueryResult:
        """Run DQL and return its result; cancel it and raise QueryTimeoutError at the deadline."""
        if not dql.strip():
            raise InvalidArgumentError("dql must not be empty")
        auth, base = self._auth(scopes)
        remaining_gb = self.scan_budget_remaining_gb
        if remaining_gb is not None and remaining_gb <= 0:
            raise ScanBudgetExceededError(
                f"the Grail scan budget of {self.scan_budget_gb:g} GB for this client is spent "
                f"({self.scanned_bytes_total / BYTES_PER_GB:.3f} GB scanned); no further queries are sent. "
                "Use the evidence gathered so far, or start a new client with a larger budget."
            )
        limit_gb = scan_limit_gb
        if remaining_gb is not None:
            limit_gb = remaining_gb if limit_gb is None else min(limit_gb, remaining_gb)
        start = self._clock()
        deadline = start + deadline_s
        body: dict[str, Any] = {
            "query": dql,
            "maxResultRecords": max_result_records,
            "requestTimeoutMilliseconds": self._timeout_ms(deadline),
            "includeTypes": True,
        }
        if timeframe_start:
            body["defaultTimeframeStart"] = timeframe_start
        if timeframe_end:
            body["defaultTimeframeEnd"] = timeframe_end
        if max_result_bytes is not None:
            body["maxResultBytes"] = max_result_bytes
        if limit_gb is not None:
            # Grail takes a whole number of GB (a Long); round up so a small budget is not zero.
            body["defaultScanLimitGbytes"] = max(1, math.ceil(limit_gb))
        op = Operation(
            "running a Grail query", "platform", self._settings.name, tuple(sorted(scopes)), query=dql
        )
        headers = {"dt-client-context": CLIENT_CONTEXT}
        self.queries += 1
        response = await self._core.send(
            "POST",
            f"{base}/query:execute",
            op=op,
            auth=auth,
            json=body,
            headers=headers,
            params=execute_params(dql),
        )
        data = json_object(response, op)
        token = data.get("requestToken")
        interval = 0.05
        while True:
            state = data.get("state") or ("RUNNING" if token else None)
            if state == "SUCCEEDED":
                return self._result(data, op, max_result_records, dql)
            if state not in _RUNNING:
                raise self._final_state_error(state, data)
            if not isinstance(token, str) or not token:
                raise DynatraceAPIError(f"Grail reported {state} without a request token while {op.what}.")
            if self._clock() >= deadline:
                late = await self._cancel(base, token, auth, op)
                if late is not None:
                    return self._result(late, op, max_result_records, dql)
                raise QueryTimeoutError(
                    f"the Grail query did not finish within {deadline_s:g} s and was cancelled; "
                    "narrow the time frame, filter earlier in the query, or allow a longer deadline."
                )
            polled_at = self._clock()
            timeout_ms = self._timeout_ms(deadline)
            params: dict[str, str | int | float] = {
                "request-token": token,
                "request-timeout-milliseconds": timeout_ms,
            }
            poll = await self._core.send(
                "GET", f"{base}/query:poll", op=op, auth=auth, params=params, headers=headers
            )
            data = json_object(poll, op)
            if data.get("state") in _RUNNING and self._clock() - polled_at < timeout_ms / 2000:
                # the server answered well before its long-poll timeout: pace the next poll
                await asyncio.sleep(min(interval, max(0.0, deadline - self._clock())))
                interval = min(interval * 2, 1.0)

    def _timeout_ms(self, deadline: float) -> int:
        return max(1, min(self._request_timeout_ms, int((deadline - self._clock()) * 1000)))

    async def _cancel(self, base: str, token: str, auth: BearerAuth, op: Operation) -> dict[str, Any] | None:
        """Cancel a running query; return its result when it finished meanwhile (200 with a result)."""
        try:
            response = await self._core.send(
                "POST", f"{base}/query:cancel", op=op, auth=auth, params={"request-token": token}
            )
            data = json_object(response, op)
        except DynatraceAgentError:
            return None  # cancelling is best effort; the timeout is what the caller needs to know
        return data if response.status_code == 200 and data.get("state") == "SUCCEEDED" else None

    def _final_state_error(self, state: object, data: dict[str, Any]) -> DynatraceAgentError:
        if state == "RESULT_GONE":
            return QueryResultGoneError(
                "the Grail result expired before it was fetched; run the query again."
            )
        if state == "CANCELLED":
            return QueryTimeoutError(
                "Grail cancelled the query before it finished; run it again with a narrower scope."
            )
        if state == "FAILED":
            return ServerError(
                "Grail reported the query as FAILED; check the query and try again later.", body=data
            )
        return DynatraceAPIError(f"Grail answered with the unknown query state {state!r}.", body=data)

    def _result(self, data: dict[str, Any], op: Operation, max_records: int, dql: str) -> QueryResult:
        result = data.get("result")
        if not isinstance(result, dict):
            raise DynatraceAPIError(f"Grail reported SUCCEEDED without a result while {op.what}.")
        records = result.get("records")
        types = result.get("types")
        metadata = result.get("metadata")
        query_result = QueryResult(
            records=[r for r in records if isinstance(r, dict)] if isinstance(records, list) else [],
            types=[t for t in types if isinstance(t, dict)] if isinstance(types, list) else [],
            metadata=metadata if isinstance(metadata, dict) else {},
            max_result_records=max_records,
            query=dql,
        )
        self.scanned_bytes_total += query_result.scanned_bytes
        return query_result
