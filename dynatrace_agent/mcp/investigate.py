"""``dynatrace_investigate``: the whole investigation as one tool call.

Asked question by question, a model pays for the tool definitions on every turn and for
every intermediate answer; the demo incident takes 14 such questions. The investigation
graph gathers changes, traces, logs, metrics and impact in parallel and ranks the causes
itself, so one call answers with the report. The report's Markdown is cut to the caller's
token budget (verdict first, so the cut loses detail, never the answer); the full report
stays readable as a resource.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dynatrace_agent.models.problem import ProblemRef
from dynatrace_agent.summarise.budget import MAX_BUDGET, MIN_BUDGET, count_tokens, truncate_to_tokens
from dynatrace_agent.tools.schema import lean_schema

__all__ = [
    "DEFAULT_REPORT_BUDGET",
    "INVESTIGATE_DESCRIPTION",
    "INVESTIGATE_NAME",
    "InvestigateArgs",
    "investigate_schema",
    "progress_message",
    "report_text",
]

INVESTIGATE_NAME = "dynatrace_investigate"
DEFAULT_REPORT_BUDGET = 3000
INVESTIGATE_DESCRIPTION = (
    "Investigate a Davis problem in one call: ranked, evidenced root causes, triggering change and "
    "impact. Use it first for any incident."
)


class InvestigateArgs(BaseModel):
    """Which problem to investigate, and how long the answer may be."""

    model_config = ConfigDict(extra="forbid")

    problem: ProblemRef = Field(min_length=1, max_length=80, description="Display id like P-25031177.")
    budget: int | None = Field(default=None, ge=MIN_BUDGET, le=MAX_BUDGET, description="Max answer tokens.")


def investigate_schema() -> dict[str, Any]:
    """The lean argument schema listed to clients."""
    return lean_schema(InvestigateArgs)


def progress_message(event: dict[str, Any]) -> str:
    """One graph progress event as a line for the client, e.g. ``traces done: 10 findings``."""
    phase, status = str(event.get("phase", "?")), str(event.get("status", ""))
    detail = str(event.get("detail") or "")
    return f"{phase} {status}: {detail}" if detail else f"{phase} {status}"


def report_text(markdown: str, *, budget: int, resource_uri: str) -> str:
    """The report within ``budget`` tokens; a cut report says where the whole one is."""
    if count_tokens(markdown) <= budget:
        return markdown
    note = f"\n\n[Report cut to {budget} tokens; the full report is the resource {resource_uri}.]"
    cut = truncate_to_tokens(markdown, max(MIN_BUDGET, budget - count_tokens(note)) - 1, marker="")
    whole_lines = cut.rsplit("\n", 1)[0] if "\n" in cut else cut  # never end mid-line
    return whole_lines.rstrip() + note
