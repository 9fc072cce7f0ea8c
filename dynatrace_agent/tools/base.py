"""How a capability becomes a LangChain tool: one spec per tool, one builder for all.

Each tool family module declares a :class:`ToolSpec`: the tool's name, the capability (and
so the scopes) it needs, a description written for a model, a pydantic args schema and an
async ``run`` that calls the capability. :func:`build_tool` turns a spec into a
``StructuredTool`` that is async-first with a sync path, answers ``(summary, artifact)``
(``response_format="content_and_artifact"``), keeps the summary within the token budget,
and turns every failure into ``ToolException`` text that says what to try, so a
``ToolNode`` never crashes on a tool.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, cast

from langchain_core.tools import StructuredTool, ToolException
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from dynatrace_agent.capabilities.base import CapabilityResult
from dynatrace_agent.client.scopes import CAPABILITY_SCOPES
from dynatrace_agent.summarise.budget import MAX_BUDGET, MIN_BUDGET, count_tokens, truncate_to_tokens
from dynatrace_agent.tools.context import EnvironmentHandle, run_sync
from dynatrace_agent.tools.errors import explain, explain_validation
from dynatrace_agent.tools.schema import lean_schema

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient

__all__ = [
    "TIMEFRAME_END",
    "TIMEFRAME_START",
    "DynatraceTool",
    "OneLine",
    "ToolArgs",
    "ToolSpec",
    "build_tool",
    "tool_result",
]

#: Argument descriptions a model re-reads every turn: only what the name and type do not say.
TIMEFRAME_START = "ISO or now-30m."
TIMEFRAME_END: str | None = None  # the name says it; leaving it out means "now"
SYNC_TIMEOUT_S = 300.0


def _one_line(value: str) -> str:
    """Names and search terms are one line: no line breaks or control characters."""
    if any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value):
        raise ValueError("must be one line of text without line breaks or control characters")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


#: A name, id or search term: validated as one line before it ever reaches a query builder.
OneLine = Annotated[str, AfterValidator(_one_line)]


class ToolArgs(BaseModel):
    """Base of every args schema: unknown arguments are refused, and a per-call token budget."""

    model_config = ConfigDict(extra="forbid")

    budget: int | None = Field(
        default=None,
        ge=MIN_BUDGET,
        le=MAX_BUDGET,
        description=f"Max answer tokens, up to {MAX_BUDGET}.",
    )


A = TypeVar("A", bound=ToolArgs)


@dataclass(frozen=True)
class ToolSpec(Generic[A]):
    """One user-facing action: name, capability (hence scopes), model-facing text, args, run."""

    name: str
    capability: str
    description: str
    args_schema: type[A]
    run: Callable[[DynatraceClient, A], Awaitable[CapabilityResult[Any]]]
    empty_hint: str | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes this tool needs (from the client's capability table)."""
        return CAPABILITY_SCOPES[self.capability].token_scopes


class DynatraceTool(StructuredTool):
    """A ``StructuredTool`` whose definition for a model is the lean schema (:mod:`.schema`).

    Arguments are still validated against the full pydantic ``args_schema``; only what a
    chat model (or an MCP client) is shown as the argument schema is leaner.
    """

    definition_schema: dict[str, Any] = Field(default_factory=dict)

    @property
    def tool_call_schema(self) -> dict[str, Any]:
        """The lean JSON schema LangChain's ``convert_to_openai_tool`` sends to a model."""
        return copy.deepcopy(self.definition_schema)


def _json_plain(value: Any) -> Any:
    """``value`` as plain JSON types (datetimes and other objects become strings)."""
    return json.loads(json.dumps(value, default=str))


def tool_result(
    result: CapabilityResult[Any],
    *,
    budget: int,
    tool: str,
    environment: str | None,
    empty_hint: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The budgeted summary and the JSON-plain artifact of one capability result.

    With an environment label or an empty-result hint, the summariser gets the budget minus
    their tokens, and the assembled text is checked once against the budget.
    """
    header = f"[environment: {environment}]" if environment else ""
    hint = empty_hint if (empty_hint and result.empty) else ""
    extra = count_tokens(header) + count_tokens(hint) + (2 if header or hint else 0)
    inner = max(MIN_BUDGET, budget - extra)
    text = "\n".join(part for part in (header, result.summary(inner), hint) if part)
    if count_tokens(text) > budget:
        text = truncate_to_tokens(text, budget)
    artifact = result.artifact()
    artifact["tool"] = tool
    artifact["environment"] = environment
    artifact["budget"] = budget
    artifact["grail_metadata"] = result.grail.metadata if result.grail is not None else None
    return text, _json_plain(artifact)


def _with_environment(schema: type[A], environments: Sequence[str], default: str) -> type[A]:
    """``schema`` plus an optional ``environment`` argument restricted to ``environments``."""
    choices = cast(Any, Literal).__getitem__(tuple(environments))
    field = Field(
        default=None,
        description=f"Environment to query; empty for {default!r}.",
    )
    model: type[A] = create_model(schema.__name__, __base__=schema, environment=(choices | None, field))
    model.__doc__ = schema.__doc__
    return model


def build_tool(
    spec: ToolSpec[A],
    *,
    environments: Mapping[str, EnvironmentHandle],
    default_environment: str,
    budget: int,
    environment_arg: bool | None = None,
) -> DynatraceTool:
    """A ``StructuredTool`` for ``spec`` over ``environments``.

    ``environment_arg`` adds the optional ``environment`` argument (default: when several).
    """
    names = list(environments)
    if default_environment not in environments:
        default_environment = names[0]
    multi = len(names) > 1 if environment_arg is None else environment_arg
    schema: type[A] = (
        _with_environment(spec.args_schema, names, default_environment) if multi else spec.args_schema
    )

    async def _arun(**kwargs: Any) -> tuple[str, dict[str, Any]]:
        try:
            args = schema.model_validate(kwargs)
        except ValidationError as exc:
            raise ToolException(explain_validation(exc, tool=spec.name)) from exc
        env_name = getattr(args, "environment", None) or default_environment
        handle = environments[env_name]
        call_budget = args.budget or budget
        try:
            result = await spec.run(handle.client(), args)
            return tool_result(
                result,
                budget=call_budget,
                tool=spec.name,
                environment=env_name if multi else None,
                empty_hint=spec.empty_hint,
            )
        except ToolException:
            raise
        except Exception as exc:  # every failure becomes advice for the model
            raise ToolException(explain(exc, tool=spec.name)) from exc

    def _run(**kwargs: Any) -> tuple[str, dict[str, Any]]:
        return run_sync(_arun(**kwargs), timeout_s=SYNC_TIMEOUT_S)

    def _handle_error(exc: ToolException) -> str:
        return f"Error: {exc}"

    def _handle_validation(exc: Any) -> str:
        return f"Error: {explain_validation(exc, tool=spec.name)}"

    tool = DynatraceTool.from_function(
        func=_run,
        coroutine=_arun,
        name=spec.name,
        description=spec.description,
        args_schema=schema,
        response_format="content_and_artifact",
        handle_tool_error=_handle_error,
        handle_validation_error=_handle_validation,
        metadata={"capability": spec.capability, "scopes": list(spec.scopes), "environments": names},
        definition_schema=lean_schema(schema),
    )
    return cast(DynatraceTool, tool)
