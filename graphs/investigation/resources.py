"""The clients and chat model of a LangGraph server's runs, built from settings read at the edge.

In-process callers put a client (and a model) in the run context. A LangGraph server's
caller can only name an environment, so the graph factory (:mod:`graphs.investigation.server`)
hands the nodes a :class:`ServerResources` through ``config["configurable"]``: it reads the
settings once per server process with the loader the factory gives it, and keeps one client
per environment (a client holds a connection pool) and the model. Settings, clients (an SSL
context) and models (the provider's package) all read files, which a LangGraph server refuses
on its event loop, so :meth:`ServerResources.prepare` builds them in a worker thread; the
problem node calls it first, and the later nodes find everything ready.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from langgraph.config import get_config

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import AgentSettings, resolve_model

__all__ = ["RESOURCES_KEY", "ServerResources", "resources_of"]

#: The ``configurable`` key the graph factory puts the resources under. The leading ``__`` keeps it
#: out of checkpoint metadata: a LangGraph server copies every other configurable key there.
RESOURCES_KEY = "__dynatrace_agent_resources"


class ServerResources:
    """Settings, a client per environment and the model, built once and shared by a server's runs."""

    def __init__(self, load: Callable[[], AgentSettings]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._settings: AgentSettings | None = None
        self._clients: dict[str, DynatraceClient] = {}
        self._model: Any | None = None
        self._model_ready = False

    def _prepare(self, environment: str | None) -> None:
        with self._lock:
            if self._settings is None:
                self._settings = self._load()
            key = environment or ""
            if key not in self._clients:
                self._clients[key] = DynatraceClient(self._settings.environment(environment))
            if not self._model_ready:
                self._model = resolve_model(self._settings.model)
                self._model_ready = True

    async def prepare(self, environment: str | None) -> None:
        """Build what a run in ``environment`` needs, in a worker thread (once per environment)."""
        if (environment or "") not in self._clients or not self._model_ready:
            await asyncio.to_thread(self._prepare, environment)

    def client(self, environment: str | None) -> DynatraceClient:
        """The client of ``environment`` (None: the default one); built now if ``prepare`` was skipped."""
        found = self._clients.get(environment or "")
        if found is None:
            self._prepare(environment)
            found = self._clients[environment or ""]
        return found

    def model(self) -> Any | None:
        """The chat model the settings name (``DT_AGENT_MODEL``), or None for templates."""
        if not self._model_ready:
            self._prepare(None)
        return self._model


def resources_of() -> ServerResources | None:
    """The resources the graph factory put in the current run's config, if any."""
    try:
        config = get_config()
    except RuntimeError:  # not inside a run
        return None
    found = (config.get("configurable") or {}).get(RESOURCES_KEY)
    return found if isinstance(found, ServerResources) else None


def require_resources() -> ServerResources:
    """The run's resources; a clear error for a run that has neither a client nor resources."""
    found = resources_of()
    if found is None:
        raise ConfigurationError(
            "the investigation has no Dynatrace client: pass one in the run context "
            "(InvestigationContext(client=...), as InvestigationRunner does), or serve the graph "
            "through its factory graphs/investigation/server.py:graph (langgraph.json)"
        )
    return found
