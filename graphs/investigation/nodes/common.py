"""What every evidence branch shares: the client, the deadline, gaps, digests and progress.

A branch is a small async function that asks Dynatrace through capabilities and turns the
answers into evidence models. :func:`run_branch` wraps it so that a failing or unavailable
capability becomes a :class:`Gap` (the run goes on, and the report says what was not
checked), the whole run's deadline applies, the branch's evidence lines are fitted to its
share of the token budget, and progress is streamed per phase.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Candidate, Citation, Gap, Window
from dynatrace_agent.capabilities import CapabilityResult
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.dql import Expr, func, gte
from dynatrace_agent.errors import CapabilityUnavailableError, DynatraceAgentError
from dynatrace_agent.summarise.budget import count_tokens
from graphs.investigation.context import InvestigationContext
from graphs.investigation.resources import require_resources
from graphs.investigation.state import InvestigationState

logger = logging.getLogger(__name__)

__all__ = [
    "BRANCHES",
    "Collector",
    "branch_budget",
    "client_of",
    "emit",
    "fit_lines",
    "gap_reason",
    "incident_flag",
    "no_window_gap",
    "prepare_server_run",
    "remaining_s",
    "run_branch",
    "split_rows",
]

#: The branches after the problem node (all but metrics start at once; metrics waits for topology).
BRANCHES = ("topology", "changes", "traces", "logs", "metrics", "impact", "alerting")


def client_of(runtime: Runtime[InvestigationContext]) -> DynatraceClient:
    """The caller's client, or (LangGraph server) the one the graph factory's resources hold."""
    ctx = runtime.context
    if ctx is not None and ctx.client is not None:
        return ctx.client
    return require_resources().client(ctx.environment if ctx is not None else None)


async def prepare_server_run(runtime: Runtime[InvestigationContext]) -> None:
    """On a LangGraph server (no client in the context), build the run's client and model off the loop.

    Done once per run, in the first node, so the later nodes find everything ready (see
    :class:`~graphs.investigation.resources.ServerResources`). Callers that pass a client skip this.
    """
    ctx = runtime.context
    if ctx is not None and ctx.client is not None:
        return
    await require_resources().prepare(ctx.environment if ctx is not None else None)


def context_of(runtime: Runtime[InvestigationContext]) -> InvestigationContext:
    """The run context, defaults when the caller gave none."""
    return runtime.context if runtime.context is not None else InvestigationContext()


def remaining_s(state: InvestigationState, ctx: InvestigationContext) -> float:
    """Seconds left before the whole run's deadline."""
    started = state.get("started_at") or time.time()
    return ctx.deadline_s - (time.time() - started)


def branch_budget(ctx: InvestigationContext) -> int:
    """Each branch's share of the run's evidence token budget (the problem node takes one share too)."""
    return max(60, ctx.token_budget // (len(BRANCHES) + 1))


def emit(runtime: Runtime[InvestigationContext], phase: str, status: str, detail: str = "") -> None:
    """Stream one progress event (``stream_mode="custom"``); a no-op when nobody listens."""
    writer = runtime.stream_writer
    if writer is not None:
        writer({"phase": phase, "status": status, "detail": detail})


def gap_reason(err: BaseException) -> str:
    """A short reason for a gap: the error's own message, which never carries a secret."""
    if isinstance(err, CapabilityUnavailableError):
        return str(err)
    if isinstance(err, TimeoutError):
        return "not finished before the investigation's deadline"
    return f"{type(err).__name__}: {err}"


def fit_lines(lines: Iterable[str], budget: int) -> tuple[list[str], int]:
    """Take lines in order while they fit ``budget`` tokens; name how many were left out."""
    kept: list[str] = []
    used = 0
    pending = [" ".join(line.split()) for line in lines]  # one line each: no stack-trace newlines
    for i, line in enumerate(pending):
        cost = count_tokens(line) + 1
        if used + cost > budget:
            rest = len(pending) - i
            note = f"({rest} more left out to fit the token budget)"
            kept.append(note)
            used += count_tokens(note) + 1
            break
        kept.append(line)
        used += cost
    return kept, used


@dataclass
class Collector:
    """What a branch gathered: state updates, evidence lines, citations and gaps."""

    capability: str
    update: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    def cite(self, result: CapabilityResult[Any], capability: str | None = None) -> None:
        """Record every query a capability sent, for the report's references."""
        for query in result.queries or ([result.query] if result.query else []):
            self.citations.append(
                Citation(capability=capability or result.capability, query=query, records=len(result.raw))
            )

    def cite_queries(self, capability: str, queries: Iterable[str]) -> None:
        """Record queries sent directly (aggregations the branch built itself)."""
        for query in queries:
            self.citations.append(Citation(capability=capability, query=query))

    def gap(self, capability: str, err: BaseException, what: str | None = None) -> None:
        """Record that something could not be checked (``what`` narrows it, e.g. one metric group)."""
        reason = gap_reason(err)
        if what and not isinstance(err, CapabilityUnavailableError):
            reason = f"{what}: {reason}"
        gap = Gap(capability=capability, reason=reason)
        if gap not in self.gaps:
            self.gaps.append(gap)

    async def attempt(
        self, capability: str, call: Awaitable[CapabilityResult[Any]], what: str | None = None
    ) -> CapabilityResult[Any] | None:
        """Await one capability call; on a Dynatrace error record a gap and return None."""
        try:
            result = await call
        except (DynatraceAgentError, ValueError) as err:
            self.gap(capability, err, what)
            return None
        self.cite(result, capability)
        return result


BranchFn = Callable[[DynatraceClient, InvestigationState, InvestigationContext, Collector], Awaitable[None]]


async def run_branch(
    name: str,
    fn: BranchFn,
    state: InvestigationState,
    runtime: Runtime[InvestigationContext],
) -> dict[str, Any]:
    """Run one evidence branch under the deadline; failures become gaps, never a failed run."""
    ctx = context_of(runtime)
    emit(runtime, name, "started")
    began = time.perf_counter()
    out = Collector(capability=name)
    left = remaining_s(state, ctx)
    try:
        if left <= 0:
            raise TimeoutError
        async with asyncio.timeout(left):
            await fn(client_of(runtime), state, ctx, out)
    except TimeoutError as err:
        out.gap(name, err)
    except CapabilityUnavailableError as err:
        out.gap(err.capability or name, err)
    except DynatraceAgentError as err:
        out.gap(name, err)
    except Exception as err:  # a bug or an unexpected record shape costs one branch, not the report
        logger.exception("investigation branch %s failed unexpectedly", name)
        out.gap(name, err, "internal error (please report it)")
    lines, tokens = fit_lines(out.lines, branch_budget(ctx))
    ms = int((time.perf_counter() - began) * 1000)
    detail = f"{len(out.lines)} findings" + (f", {len(out.gaps)} gap(s)" if out.gaps else "")
    emit(runtime, name, "done", f"{detail} in {ms} ms")
    update: dict[str, Any] = dict(out.update)
    update["gaps"] = [g.model_dump(mode="json") for g in out.gaps]
    update["citations"] = [c.model_dump(mode="json") for c in out.citations]
    update["digests"] = {name: lines}
    update["tool_output_tokens"] = tokens
    update["branch_ms"] = {name: ms}
    return update


def window_of(state: InvestigationState) -> Window | None:
    """The investigation window fixed by the problem node."""
    raw = state.get("window")
    return Window.model_validate(raw) if raw else None


def candidates_of(state: InvestigationState) -> list[Candidate]:
    """The candidate set from the problem node."""
    return [Candidate.model_validate(c) for c in state.get("candidates") or []]


def names_of(state: InvestigationState) -> dict[str, str]:
    """Entity id → display name of the candidates, or of the problem's entities before they are known."""
    names: dict[str, str] = {}
    info = state.get("problem_info") or {}
    for ref in [*(info.get("affected") or []), *(info.get("impacted") or [])]:
        if ref.get("name"):
            names[ref["id"]] = ref["name"]
    for c in state.get("candidates") or []:
        if c.get("name"):
            names[c["entity_id"]] = c["name"]
    return names


def incident_flag(window: Window, time_field: str = "timestamp") -> Expr:
    """``time_field >= toTimestamp(incident start)``: splits one query over both windows in Grail.

    Summarising once over baseline + incident ``by`` this flag costs one request instead of
    two, and Grail still does the counting.
    """
    return gte(time_field, func("toTimestamp", window.incident_start.isoformat().replace("+00:00", "Z")))


def split_rows(rows: list[dict[str, Any]], flag: str = "incident") -> dict[str, list[dict[str, Any]]]:
    """Rows of a query summarised ``by`` the incident flag, split into baseline and incident."""
    out: dict[str, list[dict[str, Any]]] = {"baseline": [], "incident": []}
    for row in rows:
        value = row.get(flag)
        out["incident" if value is True or str(value).lower() == "true" else "baseline"].append(row)
    return out


def no_window_gap(capability: str) -> Gap:
    """The gap recorded when the problem has no start time to build a window from."""
    return Gap(capability=capability, reason="the problem has no start time, so there is no window to search")


def short_time(ts: datetime | None) -> str:
    """``HH:MM`` UTC, or ``?``."""
    return f"{ts:%H:%M}" if ts is not None else "?"
