"""A tool-calling agent over the Dynatrace toolkit, for people composing their own agents.

``make_agent(model, tools=..., client=...)`` builds a LangChain ``create_agent`` loop with the
system prompt from ``prompts/agent_system.md``. ``graph`` (what ``langgraph.json`` serves as
``agent``) is a graph *factory*: the LangGraph server calls it with each run's config, so a
server without a model still starts and serves the investigation graph, and only a run of the
agent fails, saying which setting is missing. A module attribute built on first access would
not do: the server reads the module's ``__dict__``, which never calls a module ``__getattr__``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.tools import BaseTool

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import resolve_model
from dynatrace_agent.summarise.budget import load_vocabulary
from prompts import render_prompt

__all__ = ["build_from_settings", "graph", "make_agent", "system_prompt"]


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
        model = resolve_model(model)
    return create_agent(model, list(tools), system_prompt=system_prompt(now))


def _configurable(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    value = (config or {}).get("configurable") or {}
    return value if isinstance(value, Mapping) else {}


#: One client per environment for the server's agent runs (a client holds a connection pool).
_SERVER_CLIENTS: dict[str, DynatraceClient] = {}


def build_from_settings(config: Mapping[str, Any] | None = None) -> Any:
    """The agent from settings: a model and the client of one environment.

    The run config may name them (``configurable.model`` as ``provider:model``,
    ``configurable.environment`` as an environment name); otherwise ``DT_AGENT_MODEL`` and the
    default environment are used. Reads files and environment variables: call it off the
    event loop (``graph`` does).
    """
    from dynatrace_agent.settings import load_settings

    options = _configurable(config)
    settings = load_settings()
    model = options.get("model") or settings.model
    if not model:
        raise ConfigurationError(
            "the agent graph needs a model: set DT_AGENT_MODEL to provider:model (e.g. openai:gpt-4.1-mini) "
            'in the server\'s environment or .env, or pass {"configurable": {"model": "provider:model"}}'
        )
    name = options.get("environment")
    key = str(name or "")
    if key not in _SERVER_CLIENTS:
        _SERVER_CLIENTS[key] = DynatraceClient(settings.environment(str(name) if name else None))
    return make_agent(model, client=_SERVER_CLIENTS[key], token_budget=settings.token_budget)


# The tools count tokens inside async tool calls: load the vocabulary at start-up (server import).
load_vocabulary()


async def graph(config: Mapping[str, Any]) -> Any:
    """Graph factory for ``langgraph.json`` (``agent``): the agent for one run's config.

    Settings, the provider's package and the model are loaded in a worker thread: they read
    files, which must not happen on the server's event loop.
    """
    return await asyncio.to_thread(build_from_settings, config)
