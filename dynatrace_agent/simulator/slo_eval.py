"""Platform SLO evaluation: ``POST …/slos/evaluation:start`` then ``GET …/slos/evaluation:poll``.

The SLO list carries no status or error budget; a client asks for an evaluation (body
``{"id": …}``), gets an ``evaluationToken`` and polls with ``evaluation-token`` (the shapes
Dynatrace's ``dtctl`` uses). The simulator evaluates the SLO's custom DQL indicator over each
criterion's timeframe on the case's data: the SLI value is the mean of the indicator's ``sli``
values, the status ``SUCCESS`` at or above the warning (or the target when there is no
warning), ``WARNING`` between target and warning, ``FAILURE`` below the target, and the error
budget the share (in %) of the allowed shortfall ``100 - target`` not yet used. Those three
formulas are the simulator's choice; real tenants compute them server-side.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dynatrace_agent.simulator.auth import authenticate, require_scopes
from dynatrace_agent.simulator.responses import json, platform_error
from dynatrace_agent.simulator.state import SimulatorState
from dynatrace_agent.values import as_float

__all__ = ["evaluate_slo", "poll_evaluation", "start_evaluation"]

#: Scopes an evaluation needs: the SLO itself and the data its indicator reads.
EVALUATION_SCOPES = ("slo:slos:read",)
_TTL_S = 600


def _auth(request: Request) -> Response | None:
    state: SimulatorState = request.app.state.sim
    principal = authenticate(request, state.options, state.tokens, platform=True)
    if isinstance(principal, Response):
        return principal
    return require_scopes(principal, list(EVALUATION_SCOPES), platform=True)


def _relative(now: datetime, text: object) -> datetime | None:
    """``now``, ``now-7d``/``now-2h``/``now-30m`` relative to the case clock."""
    value = str(text or "now").strip().replace("()", "")
    if value == "now":
        return now
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value.startswith("now-") and value[-1:] in units and value[4:-1].isdigit():
        return now - timedelta(**{units[value[-1]]: int(value[4:-1])})
    return None


def evaluate_slo(state: SimulatorState, slo: dict[str, Any]) -> list[dict[str, Any]]:
    """One evaluation result per criterion, as the SLO service reports them."""
    from dynatrace_agent.simulator.dql_engine import DQLParseError, execute
    from dynatrace_agent.simulator.tenant import data_source_for

    custom = slo.get("customSli")
    indicator = custom.get("indicator") if isinstance(custom, dict) else None
    results: list[dict[str, Any]] = []
    for criterion in slo.get("criteria") or []:
        if not isinstance(criterion, dict):
            continue
        label = f"{criterion.get('timeframeFrom', 'now-7d')} - {criterion.get('timeframeTo', 'now')}"
        start = _relative(state.case.now, criterion.get("timeframeFrom", "now-7d"))
        end = _relative(state.case.now, criterion.get("timeframeTo", "now"))
        if not isinstance(indicator, str) or start is None or end is None:
            results.append(
                {
                    "criteria": label,
                    "status": "ERROR",
                    "message": "The simulator evaluates only SLOs with a custom DQL indicator and "
                    "relative timeframes (now-7d); this one cannot be evaluated here (a simulator limit).",
                }
            )
            continue
        try:
            outcome = execute(
                indicator, data_source_for(state.case), now=state.case.now, default_timeframe=(start, end)
            )
        except DQLParseError as exc:
            results.append({"criteria": label, "status": "ERROR", "message": exc.message})
            continue
        values: list[float] = []
        for record in outcome.records:
            sli = record.get("sli")
            for v in sli if isinstance(sli, list) else [sli]:
                if isinstance(v, int | float) and not isinstance(v, bool):
                    values.append(float(v))
        if not values:
            results.append({"criteria": label, "status": "ERROR", "message": "The SLI returned no data."})
            continue
        value = sum(values) / len(values)
        target, warning = as_float(criterion.get("target")), as_float(criterion.get("warning"))
        result: dict[str, Any] = {"criteria": label, "value": round(value, 6)}
        if target is None:
            result["status"] = "SUCCESS"
        else:
            if value < target:
                result["status"] = "FAILURE"
            elif warning is not None and value < warning:
                result["status"] = "WARNING"
            else:
                result["status"] = "SUCCESS"
            if target < 100:
                result["errorBudget"] = round((value - target) / (100 - target) * 100, 6)
        results.append(result)
    return results


async def start_evaluation(request: Request) -> Response:
    """``POST /platform/slo/v1/slos/evaluation:start`` with ``{"id": …}``: a token to poll."""
    denied = _auth(request)
    if denied is not None:
        return denied
    state: SimulatorState = request.app.state.sim
    try:
        body = jsonlib.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"].strip():
        return platform_error(400, "The request body must be JSON with the id of the SLO to evaluate.")
    slo = next((s for s in state.case.slos if str(s.get("id")) == body["id"]), None)
    if slo is None:
        return platform_error(404, f"SLO {body['id']} not found")
    results = await asyncio.to_thread(evaluate_slo, state, slo)
    token = secrets.token_urlsafe(24)
    state.slo_evaluations[token] = {"definition": slo, "evaluationResults": results}
    return json({"evaluationToken": token, "ttlSeconds": _TTL_S}, 202)


async def poll_evaluation(request: Request) -> Response:
    """``GET /platform/slo/v1/slos/evaluation:poll?evaluation-token=…``."""
    denied = _auth(request)
    if denied is not None:
        return denied
    token = request.query_params.get("evaluation-token", "")
    if not token:
        return platform_error(400, "evaluation-token is required")
    state: SimulatorState = request.app.state.sim
    found = state.slo_evaluations.get(token)
    if found is None:
        return platform_error(
            410,
            "The evaluation token is unknown or expired; start the evaluation again with evaluation:start.",
        )
    return json({"evaluationToken": token, **found})
