"""The bridge between the HTTP layer and the DQL engine: the case as a DQL data source.

The data source is built once per app, on first use, so apps that never see a DQL query
(classic-only tests) do not pay for it. Engine errors become Grail's 400 envelope; an engine
bug is logged and answered as a 500 envelope that says so, never a bare traceback.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from dynatrace_agent.case import IncidentCase
from dynatrace_agent.simulator.responses import platform_error
from dynatrace_agent.simulator.state import SimulatorState

if TYPE_CHECKING:
    from dynatrace_agent.simulator.dql_engine import DataSource, DQLParseError

__all__ = ["data_source_for", "dql_error_response", "run_dql"]

log = logging.getLogger(__name__)
_lock = threading.Lock()
#: Recently used cases' data sources (most recent last); small so many cases do not pile up.
_sources: dict[int, tuple[IncidentCase, Any]] = {}
_KEEP = 4


def data_source_for(case: IncidentCase) -> DataSource:
    """The DQL data source over a case's tables, entities, problems and metric series."""
    from dynatrace_agent.simulator.dql_engine import DataSource

    key = id(case)
    with _lock:
        source = _sources.pop(key, None)
        if source is None or source[0] is not case:
            source = (case, DataSource.from_tables(case.tables, case.metrics, case.entities, case.problems))
        _sources[key] = source
        while len(_sources) > _KEEP:
            del _sources[next(iter(_sources))]
        return source[1]


def dql_error_response(query: str, exc: DQLParseError) -> Response:
    """Grail's 400 envelope for a query the engine refused."""
    return platform_error(
        400,
        exc.message,
        details={
            "errorType": exc.error_type,
            "exceptionType": "DQL-SYNTAX-ERROR",
            "errorMessage": exc.message,
            "errorMessageFormat": exc.message.replace("%", "%%"),
            "errorMessageFormatSpecifierTypes": [],
            "arguments": [],
            "queryString": query,
            "queryId": str(uuid.uuid4()),
            "syntaxErrorPosition": exc.syntax_error_position(),
        },
    )


def run_dql(
    state: SimulatorState,
    query: str,
    *,
    default_timeframe: tuple[datetime, datetime] | None,
    max_records: int,
) -> Any:
    """The engine's ExecutionResult, or the error Response to send instead."""
    # Imported here so classic-API use never loads the DQL engine.
    from dynatrace_agent.simulator.dql_engine import DQLParseError, execute

    try:
        return execute(
            query,
            data_source_for(state.case),
            now=state.case.now,
            default_timeframe=default_timeframe,
            max_records=max_records,
        )
    except DQLParseError as exc:
        return dql_error_response(query, exc)
    except RecursionError:
        return platform_error(
            400,
            "The query is nested too deeply to evaluate.",
            details={"errorType": "QUERY_TOO_COMPLEX", "queryString": query},
        )
    except Exception:  # an engine bug: say so, keep serving
        log.exception("DQL engine failed on %r", query)
        return platform_error(
            500,
            "The simulator's DQL engine failed on this query (a simulator bug; see its log).",
            details={"errorType": "INTERNAL_ERROR", "queryString": query},
        )
