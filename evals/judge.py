"""An optional model-graded check: does the report state the facts a case expects?

Rank and category say whether the investigation pointed at the right thing; the facts
(``expected.facts``) say whether the report told the on-call engineer what matters. Only
a language model can compare prose with prose, so this runs only when a model is
configured, and its verdicts are reported beside — never instead of — the exact scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from prompts import render_prompt


class FactVerdict(BaseModel):
    """The judge's verdict on one expected fact."""

    found: bool = Field(description="whether the report states this fact")
    quote: str = Field(default="", description="the report's words that state it, when found")


class JudgeOutput(BaseModel):
    """One verdict per fact, in the order the facts were given."""

    verdicts: list[FactVerdict]


async def judge_facts(model: Any, report_markdown: str, facts: Sequence[str]) -> dict[str, Any]:
    """Grade ``facts`` against the report; ``{"facts": N, "found": n, "verdicts": [...]}``.

    A judge that fails or answers with the wrong number of verdicts yields ``error`` and
    no score, so a flaky model never counts as a pass.
    """
    if not facts:
        return {"facts": 0, "found": 0, "verdicts": []}
    numbered = "\n".join(f"{i}. {fact}" for i, fact in enumerate(facts, start=1))
    prompt = render_prompt("judge", facts=numbered, report=report_markdown)
    try:
        result = await model.with_structured_output(JudgeOutput).ainvoke([HumanMessage(content=prompt)])
        output = result if isinstance(result, JudgeOutput) else JudgeOutput.model_validate(result)
    except Exception as exc:  # a model's failure is a result of the eval, not a crash
        return {"facts": len(facts), "found": None, "verdicts": [], "error": f"judge failed: {exc}"}
    if len(output.verdicts) != len(facts):
        return {
            "facts": len(facts),
            "found": None,
            "verdicts": [],
            "error": f"judge gave {len(output.verdicts)} verdicts for {len(facts)} facts",
        }
    verdicts = [
        {"fact": fact, "found": v.found, "quote": v.quote[:300]}
        for fact, v in zip(facts, output.verdicts, strict=True)
    ]
    return {"facts": len(facts), "found": sum(v.found for v in output.verdicts), "verdicts": verdicts}
