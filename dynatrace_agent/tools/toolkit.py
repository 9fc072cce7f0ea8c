"""``DynatraceToolkit``: the Dynatrace tools for one or several environments, as LangChain tools.

Built from settings (the toolkit opens and owns its clients) or from clients the caller
already has. ``get_tools()`` offers a tool only where its capability is available, so a
model never wastes a turn on a scope it cannot use: an environment without OAuth gets
problems, entities and alerting rules only. ``await DynatraceToolkit.from_settings(...)``
probes the credentials (token lookup, one OAuth token request per scope) to decide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict, Field, field_validator

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import AgentSettings, EnvironmentSettings
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, check_budget
from dynatrace_agent.tools.availability import Availability, configured_availability, probe_availability
from dynatrace_agent.tools.base import build_tool
from dynatrace_agent.tools.context import EnvironmentHandle, TransportFactory
from dynatrace_agent.tools.registry import COMPACT_TOOL_NAMES, TOOL_NAMES, TOOL_SPECS

__all__ = ["DynatraceToolkit"]


class DynatraceToolkit(BaseToolkit):
    """Dynatrace tools over one or several environments.

    ``availability`` maps each environment to the capabilities it can serve; ``token_budget``
    is the default answer size (each call may pass its own ``budget``); ``tool_names``
    restricts the offered tools, and ``compact`` offers only the compact set
    (``COMPACT_TOOL_NAMES``: fewer definitions for the model to re-read every turn). With several
    environments every tool gets an optional ``environment`` argument listing the environments
    where it works.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    environments: dict[str, EnvironmentHandle]
    default_environment: str
    availability: dict[str, Availability] = Field(default_factory=dict)
    token_budget: int = DEFAULT_BUDGET
    tool_names: tuple[str, ...] | None = None
    compact: bool = False

    @field_validator("token_budget")
    @classmethod
    def _budget(cls, value: int) -> int:
        return check_budget(value)

    @field_validator("tool_names")
    @classmethod
    def _names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = [n for n in value or () if n not in TOOL_NAMES]
        if unknown:
            raise ValueError(f"unknown tool names {unknown}; known tools: {', '.join(TOOL_NAMES)}")
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Refuse a toolkit without environments or a default outside them; note each one's availability."""
        if not self.environments:
            raise ConfigurationError("a DynatraceToolkit needs at least one environment")
        if self.default_environment not in self.environments:
            raise ConfigurationError(
                f"default environment {self.default_environment!r} is not one of "
                f"{', '.join(self.environments)}"
            )
        for name, handle in self.environments.items():
            self.availability.setdefault(name, configured_availability(handle.settings))

    # ---- construction ------------------------------------------------------------------

    @classmethod
    def from_clients(
        cls,
        clients: DynatraceClient | Sequence[DynatraceClient],
        *,
        default_environment: str | None = None,
        token_budget: int = DEFAULT_BUDGET,
        availability: Iterable[Availability] = (),
        tool_names: Sequence[str] | None = None,
        compact: bool = False,
    ) -> DynatraceToolkit:
        """A toolkit over clients the caller owns (and closes); no API calls are made.

        Without ``availability`` (e.g. from :meth:`probe`), tools follow the configuration:
        Grail tools only for clients with OAuth.
        """
        items = [clients] if isinstance(clients, DynatraceClient) else list(clients)
        handles = {c.settings.name: EnvironmentHandle.from_client(c) for c in items}
        if len(handles) != len(items):
            raise ConfigurationError("two clients have the same environment name; give each a unique name")
        return cls(
            environments=handles,
            default_environment=default_environment or next(iter(handles), ""),
            availability={a.environment: a for a in availability},
            token_budget=token_budget,
            tool_names=tuple(tool_names) if tool_names is not None else None,
            compact=compact,
        )

    @classmethod
    async def from_settings(
        cls,
        settings: AgentSettings | EnvironmentSettings,
        *,
        environments: Sequence[str] | None = None,
        token_budget: int | None = None,
        transport_factory: TransportFactory | Mapping[str, TransportFactory] | None = None,
        probe: bool = True,
        tool_names: Sequence[str] | None = None,
        compact: bool = False,
    ) -> DynatraceToolkit:
        """A toolkit that owns its clients, for the chosen environments (default: all configured).

        With ``probe`` (the default) each environment's credentials are checked concurrently
        and only usable tools are offered; ``probe=False`` decides from the configuration.
        ``transport_factory`` routes traffic elsewhere (the in-process simulator, tests).
        """
        if isinstance(settings, EnvironmentSettings):
            envs = {settings.name: settings}
            default = settings.name
            budget = token_budget or DEFAULT_BUDGET
        else:
            chosen = list(environments) if environments else list(settings.environments)
            envs = {name: settings.environment(name) for name in chosen}
            default = settings.default_environment if settings.default_environment in envs else chosen[0]
            budget = token_budget or settings.token_budget
        handles = {}
        for name, env in envs.items():
            factory = (
                transport_factory.get(name) if isinstance(transport_factory, Mapping) else transport_factory
            )
            handles[name] = EnvironmentHandle(env, transport_factory=factory)
        toolkit = cls(
            environments=handles,
            default_environment=default,
            token_budget=budget,
            tool_names=tuple(tool_names) if tool_names is not None else None,
            compact=compact,
        )
        if probe:
            await toolkit.probe()
        return toolkit

    # ---- use ------------------------------------------------------------------------------

    async def probe(self) -> dict[str, Availability]:
        """Check every environment's credentials concurrently and record what each can serve."""
        names = list(self.environments)
        found = await asyncio.gather(*(probe_availability(self.environments[n].client()) for n in names))
        self.availability.update(zip(names, found, strict=True))
        return dict(self.availability)

    def get_tools(self) -> list[BaseTool]:
        """One tool per capability available in at least one environment, in a stable order."""
        multi = len(self.environments) > 1
        tools: list[BaseTool] = []
        for spec in TOOL_SPECS:
            if self.tool_names is not None and spec.name not in self.tool_names:
                continue
            if self.compact and spec.name not in COMPACT_TOOL_NAMES:
                continue
            where = {
                name: handle
                for name, handle in self.environments.items()
                if spec.capability in self.availability[name].capabilities
            }
            if not where:
                continue
            tools.append(
                build_tool(
                    spec,
                    environments=where,
                    default_environment=self.default_environment,
                    budget=self.token_budget,
                    environment_arg=multi,
                )
            )
        return tools

    def unavailable(self) -> dict[str, dict[str, str]]:
        """Per environment, the capabilities it cannot serve and why (for logs and the CLI)."""
        return {name: dict(a.reasons) for name, a in self.availability.items() if a.reasons}

    async def aclose(self) -> None:
        """Close the clients this toolkit opened on the running loop (borrowed clients stay open)."""
        for handle in self.environments.values():
            await handle.aclose()
