"""Settings: which Dynatrace environments exist, how to reach both API planes of each, and options.

One :class:`AgentSettings` object is built once at the edge by :func:`load_settings` and
passed down. The package is split by job: ``urls`` (base URLs of each plane), ``credentials``
(credential shapes), ``environment`` (one environment), ``webhook`` (the service's part),
``agent`` (the settings object), ``load`` (TOML and ``DT_*`` variables) and ``model`` (the
chat model a ``provider:model`` setting names).
"""

from __future__ import annotations

from dynatrace_agent.settings.agent import AgentSettings
from dynatrace_agent.settings.credentials import OAUTH_VARIABLES
from dynatrace_agent.settings.environment import EnvironmentSettings
from dynatrace_agent.settings.load import load_settings
from dynatrace_agent.settings.model import resolve_model
from dynatrace_agent.settings.urls import DEFAULT_SSO_URL, ENV_VARS, derive_base_urls, is_loopback_host
from dynatrace_agent.settings.webhook import Integration, WebhookConfig

__all__ = [
    "DEFAULT_SSO_URL",
    "ENV_VARS",
    "OAUTH_VARIABLES",
    "AgentSettings",
    "EnvironmentSettings",
    "Integration",
    "WebhookConfig",
    "derive_base_urls",
    "is_loopback_host",
    "load_settings",
    "resolve_model",
]
