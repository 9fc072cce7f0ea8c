"""The investigation graph for a LangGraph server: ``langgraph.json`` → ``investigation``.

A graph factory, so that configuration is read at the server's edge and nowhere below it:
the factory hands every run the same :class:`~graphs.investigation.resources.ServerResources`
(settings read once per server process from the server's ``DT_*`` variables, ``.env`` or
``DT_AGENT_CONFIG``), and the nodes take their client and model from there. A run names its
environment in the context (``{"environment": "<name>"}``); the model comes from
``DT_AGENT_MODEL``. Nothing is read until the first run, in a worker thread, so a server
without settings still starts and only a run fails, saying what is missing.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from dynatrace_agent.settings import load_settings
from graphs.investigation.graph import graph as investigation
from graphs.investigation.resources import RESOURCES_KEY, ServerResources

__all__ = ["RESOURCES", "graph"]

#: One per server process: the settings are read once, at the first run.
RESOURCES = ServerResources(load_settings)


def graph(config: RunnableConfig) -> Any:
    """Graph factory: the compiled investigation graph bound to this server's resources."""
    return investigation.with_config({"configurable": {RESOURCES_KEY: RESOURCES}})
