"""Loading the settings: one read of the TOML file and the ``DT_*`` variables.

Sources, in order of precedence (later wins):

1. a TOML file (``config_path`` or ``DT_AGENT_CONFIG``) holding several named environments;
2. the ``DT_*`` environment variables, which define an environment named ``default`` when there
   is no file, and override the fields of the file's default environment when there is one.

TOML shape::

    default = "prod"                 # optional when there is exactly one environment
    model = "anthropic:claude-x"     # optional, like DT_AGENT_MODEL
    token_budget = 1500              # optional

    [environments.prod]
    url = "https://abc12345.live.dynatrace.com"      # or environment_url
    api_token = "dt0c01...."                         # or api_token_env = "PROD_DT_TOKEN"
    oauth_client_id = "dt0s02...."
    oauth_client_secret = "dt0s02...."               # or oauth_client_secret_env = "..."
    account_urn = "urn:dtaccount:<uuid>"             # with the OAuth client
    sso_url = "https://sso.dynatrace.com/sso/oauth2/token"   # optional
    platform_url = "https://abc12345.apps.dynatrace.com"     # optional override

    [[integrations]] / [webhook]     # the webhook service (see dynatrace_agent.settings.webhook)

The loader is hand-written rather than a ``pydantic-settings`` class: the precedence above
(variables override the *default* environment of a multi-environment file), the ``*_env``
indirections and messages that name the field the way the user set it, never echoing a
secret, are all specific to this file format, so a settings framework would need a custom
source for each of them and still wrap its errors.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings.agent import NO_ENVIRONMENT, AgentSettings
from dynatrace_agent.settings.environment import ALLOW_PARTIAL_OAUTH, EnvironmentSettings
from dynatrace_agent.settings.urls import ENV_VARS
from dynatrace_agent.settings.webhook import parse_webhook

__all__ = ["load_settings"]

_TOP_LEVEL = ("default", "environments", "model", "token_budget", "integrations", "webhook")

_FILE_KEYS = {"url": "environment_url", **{k: k for k in ENV_VARS}}
_INDIRECT = ("api_token_env", "oauth_client_secret_env", "oauth_client_id_env")


def _env_value(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(key)
    return value.strip() if value and value.strip() else None


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(
            f"configuration file {path} does not exist; fix DT_AGENT_CONFIG or --config."
        )
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"configuration file {path} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read configuration file {path}: {exc.strerror}.") from None


def _file_environment(name: str, table: object, path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """One ``[environments.NAME]`` table as EnvironmentSettings fields."""
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: environments.{name} must be a table ([environments.{name}]).")
    fields: dict[str, Any] = {"name": name}
    for key, value in table.items():
        if key in _INDIRECT:
            target = key.removesuffix("_env")
            if not isinstance(value, str) or not _env_value(env, value):
                raise ConfigurationError(
                    f"{path}: environments.{name}.{key} names the environment variable {value!r}, "
                    "which is not set; export it or put the value in the file."
                )
            fields[target] = _env_value(env, value)
            continue
        if key not in _FILE_KEYS:
            known = ", ".join(sorted([*_FILE_KEYS, *_INDIRECT]))
            raise ConfigurationError(
                f"{path}: environments.{name}.{key} is not a known key (known: {known})."
            )
        if not isinstance(value, str):
            raise ConfigurationError(f"{path}: environments.{name}.{key} must be a string.")
        fields[_FILE_KEYS[key]] = value
    return fields


def load_settings(
    *,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    allow_partial_oauth: bool = False,
    require_environment: bool = True,
    webhook: bool = False,
) -> AgentSettings:
    """Read the TOML file (if any) and the ``DT_*`` variables into validated settings.

    ``allow_partial_oauth`` keeps environments whose OAuth fields are incomplete (their
    ``oauth_problem`` says what is missing); the connection test uses it to report that as a
    failed Grail plane instead of refusing to start. ``require_environment=False`` accepts
    settings without any environment (their ``environment()`` then says how to configure
    one). ``webhook`` also reads the webhook service's integrations and options.
    """
    env = os.environ if env is None else env
    path_text = str(config_path) if config_path else _env_value(env, "DT_AGENT_CONFIG")
    raw_envs: dict[str, dict[str, Any]] = {}
    default: str | None = None
    model: str | None = None
    token_budget = 1500
    data: dict[str, Any] = {}
    if path_text:
        path = Path(path_text).expanduser()
        data = _read_toml(path)
        unknown = set(data) - set(_TOP_LEVEL)
        if unknown:
            raise ConfigurationError(
                f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                "allowed: default, model, token_budget, [environments.NAME], [[integrations]], [webhook]."
            )
        tables = data.get("environments", {})
        if not isinstance(tables, dict) or (not tables and (require_environment or "environments" in data)):
            raise ConfigurationError(f"{path}: no environments; add at least one [environments.NAME] table.")
        raw_envs = {name: _file_environment(name, table, path, env) for name, table in tables.items()}
        default = data.get("default")
        if default is None and len(raw_envs) == 1:
            default = next(iter(raw_envs))
        if raw_envs and (not isinstance(default, str) or default not in raw_envs):
            raise ConfigurationError(
                f"{path}: default must name one of the environments ({', '.join(sorted(raw_envs))}); "
                f'add e.g. default = "{next(iter(raw_envs))}".'
            )
        model = data.get("model") if isinstance(data.get("model"), str) else None
        budget = data.get("token_budget", token_budget)
        if not isinstance(budget, int) or isinstance(budget, bool) or budget <= 0:
            raise ConfigurationError(f"{path}: token_budget must be a positive integer.")
        token_budget = budget

    overrides = {field: _env_value(env, var) for field, var in ENV_VARS.items()}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if default is None:
        if "environment_url" in overrides:
            default = "default"
            raw_envs[default] = {"name": default}
        elif require_environment:
            raise ConfigurationError(NO_ENVIRONMENT)
    if default is not None:
        raw_envs[default].update(overrides)
    model = _env_value(env, "DT_AGENT_MODEL") or model

    context = {ALLOW_PARTIAL_OAUTH: allow_partial_oauth}
    environments = {
        name: EnvironmentSettings.model_validate(fields, context=context) for name, fields in raw_envs.items()
    }
    service = parse_webhook(data, where=str(path_text or "environment"), env=env) if webhook else None
    return AgentSettings(
        environments=environments,
        default_environment=default,
        model=model,
        token_budget=token_budget,
        webhook=service,
    )
