"""Synthesis node: a language model writes the narrative from the budgeted evidence.

The model sees the deterministic ranking and the evidence lines (each with an id such as
``[T1]``), answers with structured output, may ask for a bounded number of follow-up tool
calls through the toolkit, and may change the ranking only by citing evidence ids that
exist; a re-ranking without valid citations is refused and the deterministic order kept.
A model that fails is a gap: the report falls back to the template narrative.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from dynatrace_agent.analysis import Analysis
from dynatrace_agent.summarise.budget import count_tokens, truncate_to_tokens
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import (
    BRANCHES,
    client_of,
    context_of,
    emit,
    remaining_s,
)
from graphs.investigation.resources import resources_of
from graphs.investigation.state import InvestigationState
from prompts import render_prompt

__all__ = ["SynthesisOutput", "apply_ranking", "model_of", "synthesis_node"]

_EVIDENCE_ID = re.compile(r"\[([A-Z]\d+)\]")


class SynthesisOutput(BaseModel):
    """What the model returns."""

    narrative: str = Field(
        description="3-6 sentences for an on-call engineer: what happened, the most likely cause and why, "
        "the impact, what to do first. Only facts present in the evidence."
    )
    ranking: list[str] = Field(
        default_factory=list,
        description="Candidate entity ids in the order you believe is right (keep the given order unless "
        "the evidence you cite in `reasons` justifies a change).",
    )
    reasons: list[str] = Field(
        default_factory=list,
        description="Why the ranking is as it is, each reason citing evidence ids in brackets such as [T1].",
    )
    follow_up: list[str] = Field(
        default_factory=list,
        description="Questions a further tool call could answer, only when the cause is genuinely ambiguous.",
    )


def model_of(runtime: Runtime[InvestigationContext]) -> Any | None:
    """The chat model: the context's, or (LangGraph server without a client) the settings' one."""
    ctx = context_of(runtime)
    if ctx.model is not None:
        return ctx.model
    if ctx.client is not None:
        return None
    resources = resources_of()
    return resources.model() if resources is not None else None


def _candidates_text(analysis: Analysis) -> str:
    lines = []
    for i, r in enumerate(analysis.ranked[:8], 1):
        reasons = "; ".join(r.reasons[:3]) or "no specific signal"
        lines.append(
            f"{i}. {r.name or r.entity_id} ({r.entity_id}), {r.category}, score {r.score:.2f}: {reasons}"
        )
    return "\n".join(lines) or "(no candidates)"


def _evidence_lines(state: InvestigationState) -> list[str]:
    digests = state.get("digests") or {}
    lines: list[str] = []
    for name in ("problem", *BRANCHES, "follow_up"):
        lines.extend(digests.get(name) or [])
    return lines


def _usage(message: object) -> tuple[int, int] | None:
    usage = getattr(message, "usage_metadata", None)
    if isinstance(usage, dict) and "input_tokens" in usage:
        return int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    return None


async def _structured(model: Any, messages: list[BaseMessage]) -> tuple[SynthesisOutput, int, int]:
    """Structured output, with token counts from the provider or, failing that, the tokenizer."""
    try:
        runnable = model.with_structured_output(SynthesisOutput, include_raw=True)
    except (TypeError, NotImplementedError):
        runnable = model.with_structured_output(SynthesisOutput)
    result = await runnable.ainvoke(messages)
    raw: object = None
    parsed: object = result
    if isinstance(result, dict) and "parsed" in result:
        raw, parsed = result.get("raw"), result.get("parsed")
        if parsed is None:
            raise ValueError(f"the model's answer did not fit the schema: {result.get('parsing_error')}")
    output = parsed if isinstance(parsed, SynthesisOutput) else SynthesisOutput.model_validate(parsed)
    usage = _usage(raw)
    if usage is None:
        prompt = sum(count_tokens(str(m.content)) for m in messages)
        usage = (prompt, count_tokens(output.model_dump_json()))
    return output, usage[0], usage[1]


def apply_ranking(
    analysis: Analysis, output: SynthesisOutput, valid_ids: set[str]
) -> tuple[Analysis, str | None]:
    """The analysis re-ordered as the model asks, when it cites evidence; else unchanged with a note."""
    known = [r.entity_id for r in analysis.ranked]
    proposed = [e for e in dict.fromkeys(output.ranking) if e in known]
    order = proposed + [e for e in known if e not in proposed]
    if not proposed or order == known:
        return analysis, None
    cited = {m for reason in output.reasons for m in _EVIDENCE_ID.findall(reason)} & valid_ids
    if not cited:
        return analysis, (
            "the model proposed a different ranking without citing evidence ids; the deterministic order "
            "was kept"
        )
    by_id = {r.entity_id: r for r in analysis.ranked}
    ranked = [by_id[e].model_copy(deep=True) for e in order]
    if ranked[0].entity_id != known[0]:
        ranked[0].reasons.append("ranked first by the model: " + " ".join(output.reasons[:2]))
    changed = analysis.model_copy(deep=True)
    changed.ranked = ranked
    changed.category = ranked[0].category
    note = "re-ranked by the model citing " + ", ".join(sorted(cited))
    return changed, note


async def _follow_up(
    model: Any,
    tools: Sequence[Any],
    questions: list[str],
    prompt: str,
    limit: int,
    budget: int,
) -> tuple[list[str], int, int, int]:
    """Let the model make at most ``limit`` tool calls for its questions; results as evidence lines."""
    bound = model.bind_tools(list(tools))
    ask = (
        prompt
        + "\n\nAnswer these questions with at most "
        + f"{limit} tool calls:\n"
        + "\n".join(f"- {q}" for q in questions)
    )
    messages: list[BaseMessage] = [
        SystemMessage(render_prompt("agent_system", now=datetime.now(UTC).isoformat(timespec="seconds"))),
        HumanMessage(ask),
    ]
    reply = await bound.ainvoke(messages)
    usage = _usage(reply) or (
        sum(count_tokens(str(m.content)) for m in messages),
        count_tokens(str(reply.content)),
    )
    by_name = {t.name: t for t in tools}
    lines: list[str] = []
    tokens = 0
    calls = reply.tool_calls if isinstance(reply, AIMessage) else []
    for i, call in enumerate(calls[:limit], 1):
        tool = by_name.get(call["name"])
        if tool is None:
            text = f"no tool named {call['name']}"
        else:
            try:
                result = await tool.ainvoke({**call, "type": "tool_call"})
                text = str(result.content if isinstance(result, ToolMessage) else result)
            except Exception as err:  # a tool's failure is an answer for the model, not a crash
                text = f"the tool failed: {type(err).__name__}: {err}"
        text = truncate_to_tokens(" ".join(text.split()), budget)
        line = f"[F{i}] {call['name']}({call.get('args')}): {text}"
        tokens += count_tokens(line)
        lines.append(line)
    return lines, tokens, usage[0], usage[1]


def _tools(runtime: Runtime[InvestigationContext], ctx: InvestigationContext) -> Sequence[Any]:
    if ctx.tools is not None:
        return ctx.tools
    from dynatrace_agent.tools import DynatraceToolkit

    return DynatraceToolkit.from_clients(
        client_of(runtime), token_budget=max(100, ctx.token_budget)
    ).get_tools()


async def synthesis_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Narrative and (cited) ranking from the model; any model failure falls back to templates."""
    ctx = context_of(runtime)
    model = model_of(runtime)
    analysis = Analysis.model_validate(state["analysis"])
    if model is None:
        return {}
    emit(runtime, "synthesis", "started")
    began = time.perf_counter()
    info = state["problem_info"]
    problem = f"{info.get('display_id') or info.get('problem_id')} “{info.get('title', '')}”"
    gaps = [f"- {g['capability']}: {g['reason']}" for g in state.get("gaps") or []]
    evidence = _evidence_lines(state)
    prompt = render_prompt(
        "synthesis",
        problem=problem,
        candidates=_candidates_text(analysis),
        evidence="\n".join(evidence) or "(none)",
        gaps="\n".join(gaps) or "(nothing)",
        max_follow_up=ctx.max_follow_up,
    )
    tokens_in = tokens_out = tool_tokens = 0
    notes: list[str] = []
    follow_lines: list[str] = []
    update: dict[str, Any] = {}
    try:
        messages: list[BaseMessage] = [HumanMessage(prompt)]
        output, t_in, t_out = await _structured(model, messages)
        tokens_in, tokens_out = tokens_in + t_in, tokens_out + t_out
        questions = output.follow_up[: ctx.max_follow_up]
        if questions and ctx.max_follow_up > 0 and remaining_s(state, ctx) > 5:
            tools = _tools(runtime, ctx)
            if tools:
                budget = max(100, ctx.token_budget // max(1, ctx.max_follow_up))
                follow_lines, tool_tokens, f_in, f_out = await _follow_up(
                    model, tools, questions, prompt, ctx.max_follow_up, budget
                )
                tokens_in, tokens_out = tokens_in + f_in, tokens_out + f_out
                if follow_lines:
                    followup = render_prompt(
                        "synthesis_followup", problem=problem, results="\n".join(follow_lines)
                    )
                    messages = [
                        HumanMessage(prompt),
                        AIMessage(output.model_dump_json()),
                        HumanMessage(followup),
                    ]
                    output, t_in, t_out = await _structured(model, messages)
                    tokens_in, tokens_out = tokens_in + t_in, tokens_out + t_out
            else:
                notes.append("follow-up questions were asked but no tool is available")
        valid = {m for line in [*evidence, *follow_lines] for m in _EVIDENCE_ID.findall(line)}
        analysis, note = apply_ranking(analysis, output, valid)
        if note:
            notes.append(note)
        update["synthesis"] = {
            "narrative": output.narrative.strip(),
            "analysis": analysis.model_dump(mode="json"),
            "reasons": output.reasons,
            "follow_up": follow_lines,
            "notes": notes,
        }
    except Exception as err:  # the model is optional: its failure must not cost the report
        update["gaps"] = [
            {"capability": "synthesis", "reason": f"the language model failed: {type(err).__name__}: {err}"}
        ]
        update["synthesis"] = {"notes": [f"model failed: {type(err).__name__}"]}
    update["llm_tokens"] = {"input": tokens_in, "output": tokens_out}
    update["tool_output_tokens"] = tool_tokens
    if follow_lines:
        update["digests"] = {"follow_up": follow_lines}
    ms = int((time.perf_counter() - began) * 1000)
    emit(runtime, "synthesis", "done", "; ".join(notes) or f"narrative written in {ms} ms")
    return update
