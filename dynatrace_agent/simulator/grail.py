"""Grail query API routes: ``query:execute``, ``query:poll``, ``query:cancel``.

A query is parsed and run by the DQL engine at submission (on a worker thread, so large
cases do not stall other requests); per-table OAuth scopes are then checked exactly as Grail
does (``NOT_AUTHORIZED_FOR_TABLE`` with ``missingScopes``). With ``query_running_ms`` the
answer is withheld behind a request token (202 RUNNING), and ``request-timeout-milliseconds``
/ ``requestTimeoutMilliseconds`` make a call wait for it up to that long.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import time
import uuid
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dynatrace_agent.simulator.auth import Principal, authenticate
from dynatrace_agent.simulator.queries import QueryJob
from dynatrace_agent.simulator.responses import json, platform_error
from dynatrace_agent.simulator.state import SimulatorState
from dynatrace_agent.simulator.tenant import run_dql
from dynatrace_agent.values import parse_timestamp

__all__ = ["cancel_query", "execute_query", "poll_query", "verify_query"]

log = logging.getLogger(__name__)


def _bad_request(message: str, query: str | None = None, **details: Any) -> Response:
    body: dict[str, Any] = {
        "errorType": "BAD_REQUEST",
        "exceptionType": "BAD_REQUEST",
        "errorMessage": message,
    }
    if query is not None:
        body["queryString"] = query
    body.update(details)
    return platform_error(400, message, details=body)


def _gone(token: str) -> Response:
    return platform_error(
        410,
        "The request token is unknown, expired or cancelled; submit the query again with query:execute.",
        details={"errorType": "RESULT_GONE", "exceptionType": "RESULT_GONE", "requestToken": token[:8] + "…"},
    )


def _authenticate(request: Request) -> Principal | Response:
    state: SimulatorState = request.app.state.sim
    return authenticate(request, state.options, state.tokens, platform=True)


def _int_option(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    try:
        return int(float(value))
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


async def execute_query(request: Request) -> Response:
    """``POST /platform/storage/query/v1/query:execute``."""
    principal = _authenticate(request)
    if isinstance(principal, Response):
        return principal
    state: SimulatorState = request.app.state.sim
    try:
        body = jsonlib.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        return _bad_request("The request body must be JSON with a 'query' string.")
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        return _bad_request("The request body must be JSON with a non-empty 'query' string.")
    query: str = body["query"]
    try:
        max_records = _int_option(body, "maxResultRecords")
        max_bytes = _int_option(body, "maxResultBytes")
        wait_ms = _int_option(body, "requestTimeoutMilliseconds") or 0
        timeframe = _default_timeframe(body)
    except ValueError as exc:
        return _bad_request(str(exc), query)
    if max_records is not None and max_records < 0:
        return _bad_request("maxResultRecords must not be negative", query)
    started = time.perf_counter()
    outcome = await asyncio.to_thread(
        run_dql,
        state,
        query,
        default_timeframe=timeframe,
        max_records=1000 if max_records is None else max_records,
    )
    if isinstance(outcome, Response):
        return outcome
    from dynatrace_agent.simulator.dql_engine import required_scopes

    missing = sorted(set(required_scopes(list(outcome.tables_used))) - principal.scopes)
    if missing:
        tables = ", ".join(sorted(outcome.tables_used))
        return platform_error(
            403,
            f"You are not authorized to access the table(s) {tables}.",
            details={
                "errorType": "NOT_AUTHORIZED_FOR_TABLE",
                "exceptionType": "INSUFFICIENT_PERMISSION",
                "errorMessage": f"Missing scopes for {tables}: {', '.join(missing)}",
                "missingScopes": missing,
                "missingPermissions": missing,
                "queryString": query,
            },
        )
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    enrich = request.query_params.get("enrich", "")
    result = _result(state, query, outcome, body, elapsed_ms, max_bytes, enrich=enrich)
    running_s = state.options.query_running_ms / 1000
    if running_s <= 0:
        return json(
            {
                "state": "SUCCEEDED",
                "progress": 100,
                "ttlSeconds": state.options.result_ttl_s,
                "result": result,
            }
        )
    token, job = state.queries.submit(result, running_s)
    await _wait(job, wait_ms)
    if job.finished():
        return json(
            {
                "state": "SUCCEEDED",
                "progress": 100,
                "ttlSeconds": state.options.result_ttl_s,
                "result": result,
            }
        )
    return json(
        {
            "state": "RUNNING",
            "progress": job.progress(),
            "requestToken": token,
            "ttlSeconds": state.options.result_ttl_s,
        },
        202,
    )


async def verify_query(request: Request) -> Response:
    """``POST /platform/storage/query/v1/query:verify``: is the query valid, without running it.

    Answers ``{"valid": …, "notifications": […]}``; a query the simulator cannot parse gets one
    ERROR notification with Grail's error type, message and position.
    """
    principal = _authenticate(request)
    if isinstance(principal, Response):
        return principal
    try:
        body = jsonlib.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        return _bad_request("The request body must be JSON with a non-empty 'query' string.")
    from dynatrace_agent.simulator.dql_engine import DQLParseError, parse

    try:
        parse(body["query"])
    except DQLParseError as exc:
        return json(
            {
                "valid": False,
                "notifications": [
                    {
                        "severity": "ERROR",
                        "notificationType": exc.error_type,
                        "message": exc.message,
                        "syntaxPosition": exc.syntax_error_position(),
                    }
                ],
            }
        )
    return json({"valid": True, "notifications": []})


async def poll_query(request: Request) -> Response:
    """``GET /platform/storage/query/v1/query:poll?request-token=…``."""
    principal = _authenticate(request)
    if isinstance(principal, Response):
        return principal
    state: SimulatorState = request.app.state.sim
    token = request.query_params.get("request-token", "")
    if not token:
        return _bad_request("request-token is required")
    try:
        wait_ms = int(request.query_params.get("request-timeout-milliseconds") or 0)
    except ValueError:
        return _bad_request("request-timeout-milliseconds must be a whole number")
    job = state.queries.get(token)
    if job is None:
        return _gone(token)
    await _wait(job, wait_ms)
    if job.finished():
        return json(
            {
                "state": "SUCCEEDED",
                "progress": 100,
                "ttlSeconds": state.options.result_ttl_s,
                "result": job.result,
            }
        )
    return json({"state": "RUNNING", "progress": job.progress(), "ttlSeconds": state.options.result_ttl_s})


async def cancel_query(request: Request) -> Response:
    """``POST /platform/storage/query/v1/query:cancel?request-token=…``."""
    principal = _authenticate(request)
    if isinstance(principal, Response):
        return principal
    state: SimulatorState = request.app.state.sim
    token = request.query_params.get("request-token", "")
    if not token:
        return _bad_request("request-token is required")
    job = state.queries.get(token)
    if job is None:
        return _gone(token)
    state.queries.discard(token)
    if job.finished():
        return json(
            {
                "state": "SUCCEEDED",
                "progress": 100,
                "ttlSeconds": state.options.result_ttl_s,
                "result": job.result,
            }
        )
    return Response(status_code=202)


async def _wait(job: QueryJob, wait_ms: int) -> None:
    """Block up to ``wait_ms`` for the job to finish, as Grail's long-poll does."""
    deadline = time.monotonic() + wait_ms / 1000
    # asyncio may wake a little early (clock resolution), so re-check rather than trust one sleep.
    while not job.finished():
        now = time.monotonic()
        if now >= deadline:
            return
        await asyncio.sleep(min(deadline, job.ready_at) - now + 0.001)


def _default_timeframe(body: dict[str, Any]) -> tuple[datetime, datetime] | None:
    start_raw, end_raw = body.get("defaultTimeframeStart"), body.get("defaultTimeframeEnd")
    if start_raw is None or end_raw is None:
        return None  # Grail ignores a half-given default timeframe
    start, end = parse_timestamp(start_raw), parse_timestamp(end_raw)
    if start is None or end is None:
        raise ValueError("defaultTimeframeStart/End must be ISO-8601 timestamps such as 2025-03-04T10:00:00Z")
    if end < start:
        raise ValueError("defaultTimeframeEnd must not be before defaultTimeframeStart")
    return start, end


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{value.microsecond:06d}000Z"
    return value


def _result(
    state: SimulatorState,
    query: str,
    outcome: Any,
    body: dict[str, Any],
    elapsed_ms: int,
    max_bytes: int | None,
    *,
    enrich: str = "",
) -> dict[str, Any]:
    records: list[Any] = list(outcome.records)
    types: list[Any] = list(outcome.types)
    notifications: list[Any] = list(outcome.notifications)
    if max_bytes is not None and max_bytes > 0:
        size, kept = 2, 0
        for record in records:
            size += len(jsonlib.dumps(record, separators=(",", ":"))) + 1
            if size > max_bytes:
                break
            kept += 1
        if kept < len(records):
            records = records[:kept]
            types = _clip_types(types, kept)
            notifications.append(
                {
                    "severity": "WARN",
                    "notificationType": "RESULT_TRUNCATED",
                    "message": f"The result was truncated to {kept} records (maxResultBytes={max_bytes}).",
                    "messageFormat": "The result was truncated to %1$s records (maxResultBytes=%2$s).",
                    "arguments": [str(kept), str(max_bytes)],
                    "messageFormatSpecifierTypes": ["long", "long"],
                    "syntaxPosition": None,
                }
            )
    timeframe = outcome.analysis_timeframe
    if isinstance(timeframe, tuple | list) and len(timeframe) == 2:
        analysis: Any = {"start": _iso(timeframe[0]), "end": _iso(timeframe[1])}
    else:
        analysis = timeframe
    grail: dict[str, Any] = {
        "canonicalQuery": query.strip(),
        "query": query,
        "queryId": str(uuid.uuid4()),
        "dqlVersion": "V1_0",
        "timezone": str(body.get("timezone") or "Z"),
        "locale": str(body.get("locale") or "und"),
        "scannedRecords": int(outcome.scanned_records),
        "scannedBytes": int(outcome.scanned_bytes),
        "scannedDataPoints": int(getattr(outcome, "scanned_data_points", 0) or 0),
        "executionTimeMilliseconds": elapsed_ms,
        "sampled": False,
        "notifications": notifications,
    }
    if analysis is not None:
        grail["analysisTimeframe"] = analysis
    metadata: dict[str, Any] = {"grail": grail}
    metrics = getattr(outcome, "metrics_metadata", None)
    if metrics:
        metadata["metrics"] = list(metrics) if "metric-metadata" in enrich.split(",") else _bare(metrics)
    return {"records": records, "types": types, "metadata": metadata}


_ENRICHED_KEYS = frozenset({"unit", "displayName", "description"})


def _bare(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Metric metadata as Grail sends it without ``enrich=metric-metadata``: no unit or names."""
    return [{k: v for k, v in m.items() if k not in _ENRICHED_KEYS} for m in metrics]


def _clip_types(types: list[Any], kept: int) -> list[Any]:
    clipped = []
    for bucket in types:
        start, end = bucket.get("indexRange", [0, 0])
        if start >= kept:
            continue
        clipped.append({**bucket, "indexRange": [start, min(end, kept - 1)]})
    return clipped
