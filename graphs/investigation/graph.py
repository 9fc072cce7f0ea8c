"""The investigation graph, compiled without a checkpointer (the LangGraph server brings one).

::

    problem ─┬─ topology → metrics ─┐
             ├─ changes ────────────┤
             ├─ traces ─────────────┤
             ├─ logs ───────────────┼─ analysis ─(model?)─ synthesis ─ report
             ├─ impact ─────────────┤              └────────────────── report
             └─ alerting ───────────┘

The evidence branches share nothing but the problem node's output, so they run at the same
time. Only the metrics need the candidates the topology finds, so those two run chained
inside one node (a separate node would wait for the whole superstep, i.e. the slowest
branch). ``build_graph(sequential=True)`` chains the same nodes one after another (for the
benchmark that shows what the fan-out buys).
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

from dynatrace_agent.summarise.budget import load_vocabulary
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.alerting import alerting_node
from graphs.investigation.nodes.analysis import analysis_node
from graphs.investigation.nodes.changes import changes_node
from graphs.investigation.nodes.impact import impact_node
from graphs.investigation.nodes.logs import logs_node
from graphs.investigation.nodes.metrics import topology_and_metrics_node
from graphs.investigation.nodes.problem import problem_node
from graphs.investigation.nodes.report import report_node
from graphs.investigation.nodes.synthesis import synthesis_node
from graphs.investigation.nodes.trace_evidence import traces_node
from graphs.investigation.state import InputState, InvestigationState, OutputState
from prompts import available_prompts, load_prompt

__all__ = ["BRANCH_NODES", "build_graph", "graph"]

BRANCH_NODES: dict[str, Any] = {
    "topology": topology_and_metrics_node,
    "changes": changes_node,
    "traces": traces_node,
    "logs": logs_node,
    "impact": impact_node,
    "alerting": alerting_node,
}


def _after_analysis(
    state: InvestigationState, runtime: Runtime[InvestigationContext]
) -> Literal["synthesis", "report"]:
    """Synthesis only when a model is configured (given in the context, or from settings on a server)."""
    from graphs.investigation.nodes.synthesis import model_of

    return "synthesis" if model_of(runtime) is not None else "report"


def build_graph(
    *, sequential: bool = False, checkpointer: Checkpointer = None
) -> CompiledStateGraph[InvestigationState, InvestigationContext, InputState, OutputState]:
    """Build and compile the graph; ``sequential`` runs the evidence branches one after another."""
    builder = StateGraph(
        InvestigationState,
        context_schema=InvestigationContext,
        input_schema=InputState,
        output_schema=OutputState,
    )
    builder.add_node("problem", problem_node)
    for name, node in BRANCH_NODES.items():
        builder.add_node(name, node)
    builder.add_node("analysis", analysis_node)
    builder.add_node("synthesis", synthesis_node)
    builder.add_node("report", report_node)
    builder.add_edge(START, "problem")
    names = list(BRANCH_NODES)
    if sequential:
        for before, after in zip(["problem", *names], [*names, "analysis"], strict=True):
            builder.add_edge(before, after)
    else:
        for name in names:
            builder.add_edge("problem", name)
        builder.add_edge(names, "analysis")
    builder.add_conditional_edges("analysis", _after_analysis, ["synthesis", "report"])
    builder.add_edge("synthesis", "report")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=checkpointer, name="investigation")


#: The compiled graph (no checkpointer): ``langgraph.json`` → ``investigation``.
graph = build_graph()

# A server imports this module at start-up: load the token vocabulary and the prompt templates
# now, not on the event loop inside the first run's nodes (see ``load_vocabulary``).
load_vocabulary()
for _name in available_prompts():
    load_prompt(_name)
