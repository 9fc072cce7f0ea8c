"""A tiny real LangGraph graph standing in for the investigation graph in webhook tests.

It takes ``{"problem": ...}`` and a context like ``InvestigationContext`` and returns a
report dict; :class:`FakeInvestigator` runs it as the webhook's local runner runs the real
``InvestigationRunner``. Problems named ``FAIL…`` always raise; ``FLAKY…`` raise on their first run;
``SLOW…`` take a second; ``MISSING…`` raise Dynatrace's ``NotFoundError`` (no retry can help);
``DIE…`` end the process at once (a killed worker); ``RANKED…`` return a ranked root cause.
Every run is recorded in ``RUNS`` (in-process) so tests can count investigations.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

RUNS: list[dict[str, Any]] = []


@dataclass
class FakeContext:
    client: Any = None
    environment: str | None = None


class State(TypedDict, total=False):
    problem: str
    report: dict[str, Any]


async def investigate(state: State, runtime: Runtime[FakeContext]) -> dict[str, Any]:
    problem = state["problem"]
    ctx = runtime.context
    environment = ctx.environment if ctx is not None and not isinstance(ctx, dict) else None
    if isinstance(ctx, dict):
        environment = ctx.get("environment")
    RUNS.append({"problem": problem, "environment": environment})
    if problem.startswith("SLOW"):
        await asyncio.sleep(1.0)
    if problem.startswith("FAIL"):
        raise RuntimeError(f"cannot investigate {problem}")
    if problem.startswith("MISSING"):
        from dynatrace_agent.errors import NotFoundError

        raise NotFoundError(f"problem {problem} does not exist", status=404)
    if problem.startswith("DIE"):
        os._exit(3)
    if problem.startswith("FLAKY") and sum(1 for r in RUNS if r["problem"] == problem) == 1:
        raise RuntimeError("transient failure")
    client = getattr(ctx, "client", None)
    ranked = (
        {"ranked_root_causes": [{"entity_id": "SERVICE-1", "name": "payment"}], "confidence": 0.8}
        if problem.startswith("RANKED")
        else {}
    )
    return {
        "report": {
            **ranked,
            "problem": problem,
            "pid": os.getpid(),
            "environment": environment,
            "client": type(client).__name__ if client is not None else None,
            "markdown": f"# Investigation of {problem}\n\n- root cause: **db-1**\n- <script>x</script>",
        }
    }


builder = StateGraph(State, context_schema=FakeContext)
builder.add_node("investigate", investigate)
builder.add_edge(START, "investigate")
builder.add_edge("investigate", END)
graph = builder.compile()


class FakeInvestigator:
    """Runs the fake graph the way the investigation runner runs the real one (picklable)."""

    async def investigate(self, problem: str, **kwargs: Any) -> Any:
        raise NotImplementedError("the webhook runs investigations as JSON (run)")

    async def run(
        self, problem: str, *, client: Any, environment: str | None = None, on_progress: Any = None
    ) -> dict[str, Any]:
        result = await graph.ainvoke({"problem": problem}, context=FakeContext(client, environment))
        report: dict[str, Any] = result["report"]
        return report


class FakeClientFactory:
    """A picklable client factory for runs in worker processes."""

    def __call__(self, environment: str | None) -> Any:
        return _Closable()

    def default_environment(self) -> str:
        return "fake-default"


class _Closable:
    async def aclose(self) -> None:
        return None
