"""The one way to run an investigation in-process: :class:`InvestigationRunner`.

The CLI (``investigate``, ``demo``), the webhook service's local runner, the MCP
``dynatrace_investigate`` tool and the evaluation harness all run the graph through it, so
a run's options (model, deadline, token budget, checkpoint) mean the same everywhere. The
runner holds options only, never a client: a client belongs to one environment and one
event loop, so every call brings its own. A runner whose model is a ``provider:model``
string pickles, which is how the webhook's worker processes receive it.

With ``checkpoint`` set every step is persisted in a SQLite file under the thread id = the
problem id, so a run that was interrupted (crash, Ctrl-C, a failing node) resumes where it
stopped instead of asking Dynatrace everything again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph.state import CompiledStateGraph

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.report import InvestigationReport
from dynatrace_agent.settings import AgentSettings, resolve_model
from graphs.investigation.context import InvestigationContext
from graphs.investigation.graph import build_graph, graph

__all__ = [
    "InvestigationRunner",
    "Progress",
    "investigate",
    "investigate_checkpointed",
    "stream_investigation",
]

#: Receives ``{"phase": …, "status": "started"|"done", "detail": …}`` events.
Progress = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class InvestigationRunner:
    """Options of in-process investigations, and the methods that run them.

    ``model`` is a chat model, a ``provider:model`` string (loaded at each run) or None (the
    narrative comes from templates). ``sequential`` chains the evidence branches instead of
    fanning them out (for the benchmark). ``checkpoint`` names a SQLite file that persists
    the run; ``restart`` then discards an unfinished run of the same problem.
    """

    model: Any | None = None
    deadline_s: float = 120.0
    token_budget: int = 1500
    max_follow_up: int = 2
    sequential: bool = False
    checkpoint: Path | None = None
    restart: bool = False

    @classmethod
    def from_settings(cls, settings: AgentSettings, **options: Any) -> InvestigationRunner:
        """A runner with the settings' model and token budget (``options`` override any field)."""
        values: dict[str, Any] = {"model": settings.model, "token_budget": settings.token_budget}
        values.update(options)
        return cls(**values)

    def context(self, client: DynatraceClient | None, environment: str | None = None) -> InvestigationContext:
        """The run context the graph's nodes read (the model resolved from its spec)."""
        return InvestigationContext(
            environment=environment,
            client=client,
            model=resolve_model(self.model),
            deadline_s=self.deadline_s,
            token_budget=self.token_budget,
            max_follow_up=self.max_follow_up,
        )

    async def investigate(
        self,
        problem: str,
        *,
        client: DynatraceClient,
        environment: str | None = None,
        on_progress: Progress | None = None,
    ) -> InvestigationReport:
        """Investigate one problem (display id ``P-…`` or problemId) and return the report."""
        report = await self.run(problem, client=client, environment=environment, on_progress=on_progress)
        return InvestigationReport.model_validate(report)

    async def run(
        self,
        problem: str,
        *,
        client: DynatraceClient,
        environment: str | None = None,
        on_progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Like :meth:`investigate`, but the report as the graph's JSON (what the webhook stores)."""
        context = self.context(client, environment)
        if self.checkpoint is not None:
            return await self._checkpointed(problem, context, self.checkpoint, on_progress)
        compiled = build_graph(sequential=True) if self.sequential else graph
        return await stream_investigation(compiled, {"problem": problem}, context, on_progress=on_progress)

    async def _checkpointed(
        self, problem: str, context: InvestigationContext, db_path: Path, on_progress: Progress | None
    ) -> dict[str, Any]:
        """The run persisted under thread ``problem``; an unfinished run resumes, a finished one reruns."""
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        async with AsyncSqliteSaver.from_conn_string(str(db_path)) as saver:
            compiled = build_graph(sequential=self.sequential, checkpointer=saver)
            config: RunnableConfig = {"configurable": {"thread_id": problem}}
            snapshot = await compiled.aget_state(config)
            resume = bool(snapshot.next) and not self.restart
            if on_progress is not None and resume:
                on_progress(
                    {"phase": "resume", "status": "done", "detail": "continuing " + ", ".join(snapshot.next)}
                )
            return await stream_investigation(
                compiled,
                None if resume else {"problem": problem},
                context,
                config=config,
                on_progress=on_progress,
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
    """Investigate one problem with an :class:`InvestigationRunner` of these options (a shorthand)."""
    runner = InvestigationRunner(
        model=model,
        deadline_s=deadline_s,
        token_budget=token_budget,
        max_follow_up=max_follow_up,
        sequential=sequential,
    )
    return await runner.investigate(problem, client=client, on_progress=on_progress)


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
    """:func:`investigate` persisted in SQLite under thread ``problem`` (a shorthand for the runner).

    An unfinished run resumes; a finished thread is investigated afresh (the data may have
    changed); ``restart`` also discards an unfinished one.
    """
    runner = InvestigationRunner(
        model=model,
        deadline_s=deadline_s,
        token_budget=token_budget,
        max_follow_up=max_follow_up,
        checkpoint=Path(db_path),
        restart=restart,
    )
    return await runner.investigate(problem, client=client, on_progress=on_progress)
