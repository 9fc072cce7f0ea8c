"""Run an investigation in-process: plain, streamed with progress, or checkpointed in SQLite.

``investigate`` is the library-side convenience (contracts §6). ``investigate_checkpointed``
persists every step in a SQLite file under the thread id = the problem id, so a run that was
interrupted (crash, Ctrl-C, a failing node) resumes where it stopped instead of asking
Dynatrace everything again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph.state import CompiledStateGraph

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.report import InvestigationReport
from graphs.investigation.context import InvestigationContext
from graphs.investigation.graph import build_graph, graph

__all__ = ["Progress", "investigate", "investigate_checkpointed", "resolve_model", "stream_investigation"]

#: Receives ``{"phase": …, "status": "started"|"done", "detail": …}`` events.
Progress = Callable[[dict[str, Any]], None]


def resolve_model(model: Any | None) -> Any | None:
    """A chat model from an instance or a ``provider:model`` string (``init_chat_model``)."""
    if model is None or not isinstance(model, str):
        return model
    try:
        from langchain.chat_models import init_chat_model

        return init_chat_model(model)
    except (ImportError, ValueError) as err:
        raise ConfigurationError(
            f"cannot load the model {model!r} ({err}); install the provider's LangChain package "
            "(e.g. langchain-openai) or unset DT_AGENT_MODEL"
        ) from None


def _context(
    client: DynatraceClient, model: Any | None, deadline_s: float, token_budget: int, max_follow_up: int
) -> InvestigationContext:
    return InvestigationContext(
        client=client,
        model=resolve_model(model),
        deadline_s=deadline_s,
        token_budget=token_budget,
        max_follow_up=max_follow_up,
    )


async def stream_investigation(
    compiled: CompiledStateGraph[Any, Any, Any, Any],
    graph_input: dict[str, Any] | None,
    context: InvestigationContext,
    *,
    config: RunnableConfig | None = None,
    on_progress: Progress | None = None,
    durability: str | None = None,
) -> dict[str, Any]:
    """Run the graph, forwarding progress events; returns the report JSON."""
    report: dict[str, Any] | None = None
    kwargs: dict[str, Any] = {"context": context, "stream_mode": ["updates", "custom"]}
    if config is not None:
        kwargs["config"] = config
    if durability is not None:
        kwargs["durability"] = durability
    async for mode, chunk in compiled.astream(graph_input, **kwargs):
        if mode == "custom" and on_progress is not None and isinstance(chunk, dict):
            on_progress(chunk)
        elif mode == "updates" and isinstance(chunk, dict):
            for update in chunk.values():
                if isinstance(update, dict) and "report" in update:
                    report = update["report"]
    if report is None:
        raise RuntimeError("the investigation graph finished without a report")
    return report


async def investigate(
    problem: str,
    *,
    client: DynatraceClient,
    model: Any | None = None,
    deadline_s: float = 120.0,
    token_budget: int = 1500,
    max_follow_up: int = 2,
    on_progress: Progress | None = None,
    sequential: bool = False,
) -> InvestigationReport:
    """Investigate one problem (display id ``P-…`` or problemId) and return the report."""
    compiled = build_graph(sequential=True) if sequential else graph
    context = _context(client, model, deadline_s, token_budget, max_follow_up)
    report = await stream_investigation(compiled, {"problem": problem}, context, on_progress=on_progress)
    return InvestigationReport.model_validate(report)


async def investigate_checkpointed(
    problem: str,
    *,
    client: DynatraceClient,
    db_path: str | Path,
    model: Any | None = None,
    deadline_s: float = 120.0,
    token_budget: int = 1500,
    max_follow_up: int = 2,
    on_progress: Progress | None = None,
    restart: bool = False,
) -> InvestigationReport:
    """Like :func:`investigate`, persisted in SQLite under thread ``problem``; resumes an unfinished run.

    A finished thread is investigated afresh (the data may have changed); ``restart`` also
    discards an unfinished one.
    """
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(db_path)) as saver:
        compiled = build_graph(checkpointer=saver)
        config: RunnableConfig = {"configurable": {"thread_id": problem}}
        snapshot = await compiled.aget_state(config)
        resume = bool(snapshot.next) and not restart
        if on_progress is not None and resume:
            on_progress(
                {"phase": "resume", "status": "done", "detail": "continuing " + ", ".join(snapshot.next)}
            )
        context = _context(client, model, deadline_s, token_budget, max_follow_up)
        report = await stream_investigation(
            compiled,
            None if resume else {"problem": problem},
            context,
            config=config,
            on_progress=on_progress,
        )
    return InvestigationReport.model_validate(report)
