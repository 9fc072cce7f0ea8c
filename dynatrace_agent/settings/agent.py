"""The settings object: every configured environment, agent-wide options and the webhook service's.

Built once at the edge (:func:`~dynatrace_agent.settings.load_settings` in the CLI, at server
start-up, in the ``langgraph.json`` graph factories) and passed down; nothing below the edge
reads files or ``DT_*`` variables again.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings.credentials import OAUTH_VARIABLES
from dynatrace_agent.settings.environment import EnvironmentSettings
from dynatrace_agent.settings.webhook import WebhookConfig

__all__ = ["NO_ENVIRONMENT", "AgentSettings"]

#: Said when a command needs a Dynatrace environment and none is configured.
NO_ENVIRONMENT = (
    "no Dynatrace environment is configured: set DT_ENVIRONMENT_URL and DT_API_TOKEN "
    f"(plus {OAUTH_VARIABLES} for Grail), or point DT_AGENT_CONFIG "
    "at a TOML file with [environments.NAME] tables."
)


class AgentSettings(BaseModel):
    """All configured environments, the default one, and agent-wide options.

    ``default_environment`` is None only when the settings were loaded without requiring an
    environment (``serve --demo``, a service whose investigations run on a LangGraph server);
    asking such settings for an environment says how to configure one. ``webhook`` is the
    service's part, present when the loader was asked for it.
    """

    model_config = ConfigDict(frozen=True)

    environments: dict[str, EnvironmentSettings]
    default_environment: str | None
    model: str | None = None
    token_budget: int = 1500
    webhook: WebhookConfig | None = None

    def environment(self, name: str | None = None) -> EnvironmentSettings:
        """The named environment (the default when ``name`` is None)."""
        key = name or self.default_environment
        if key is None:
            raise ConfigurationError(NO_ENVIRONMENT)
        try:
            return self.environments[key]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ConfigurationError(
                f'unknown environment "{key}"; configured environments: {known}. '
                "Pick one of them with --env NAME, or add it to the TOML file (DT_AGENT_CONFIG)."
            ) from None

    def service(self) -> WebhookConfig:
        """The webhook service's settings; a clear error when they were not loaded."""
        if self.webhook is None:
            raise ConfigurationError(
                "the webhook service's settings were not loaded; call load_settings(webhook=True)"
            )
        return self.webhook
