"""Offline chat models for the synthesis tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import Field


class FakeSynthesisModel(GenericFakeChatModel):
    """Answers structured-output calls from ``structured`` in order; plain calls from ``messages``.

    ``prompts`` records every structured-output input so tests can check what the model saw.
    """

    structured: list[Any] = Field(default_factory=list)
    prompts: list[str] = Field(default_factory=list)
    fail: bool = False

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> FakeSynthesisModel:
        return self

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        def answer(messages: Any) -> Any:
            if self.fail:
                raise RuntimeError("provider unavailable")
            self.prompts.append("\n".join(str(m.content) for m in messages))
            item = self.structured.pop(0)
            return schema.model_validate(item) if isinstance(item, dict) else item

        return RunnableLambda(answer)


def replies(*messages: AIMessage | str) -> Iterator[AIMessage | str]:
    """The ``messages`` iterator GenericFakeChatModel wants."""
    return iter(messages)
