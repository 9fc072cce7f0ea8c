"""A tool-calling agent over the Dynatrace toolkit, for people composing their own agents.

``make_agent(model, tools=..., client=...)`` builds a LangChain ``create_agent`` loop with the
system prompt from ``prompts/agent_system.md``. The module attribute ``graph`` (what
``langgraph.json`` serves as ``agent``) is built lazily on first access from settings:
``DT_AGENT_MODEL`` for the model and the configured environments for the tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.tools import BaseTool

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from prompts import render_prompt

__all__ = ["build_from_settings", "make_agent", "system_prompt"]


def system_prompt(now: datetime | None = None) -> str:
    """The agent's system prompt with the current time filled in."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return render_prompt("agent_system", now=moment.isoformat(timespec="seconds"))


def make_agent(
    model: Any,
    *,
    tools: Sequence[BaseTool] | None = None,
    client: DynatraceClient | None = None,
    token_budget: int = 1500,
    now: datetime | None = None,
) -> Any:
    """A compiled agent graph: ``model`` (a chat model or ``provider:model``) with the Dynatrace tools.

    Give either ``tools`` or a ``client`` (its toolkit's tools are used, offered according to
    what the client's configuration can serve).
    """
    from langchain.agents import create_agent

    if tools is None:
        if client is None:
            raise ConfigurationError("make_agent needs tools or a DynatraceClient to build the toolkit from")
        from dynatrace_agent.tools import DynatraceToolkit

        tools = DynatraceToolkit.from_clients(client, token_budget=token_budget).get_tools()
    if isinstance(model, str):
        from graphs.investigation.run import resolve_model

        model = resolve_model(model)
    return create_agent(model, list(tools), system_prompt=system_prompt(now))


def build_from_settings() -> Any:
    """The agent from settings: ``DT_AGENT_MODEL`` and the default environment's client."""
    from dynatrace_agent.settings import load_settings

    settings = load_settings()
    if not settings.model:
        raise ConfigurationError(
            "the agent graph needs a model: set DT_AGENT_MODEL to provider:model (e.g. openai:gpt-4.1-mini)"
        )
    client = DynatraceClient(settings.environment())
    return make_agent(settings.model, client=client, token_budget=settings.token_budget)


_graph: Any | None = None


def __getattr__(name: str) -> Any:
    """``graphs.agent.graph`` is built on first access, so importing this module needs no settings."""
    global _graph
    if name == "graph":
        if _graph is None:
            _graph = build_from_settings()
        return _graph
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
