"""The webhook service's part of the settings: integrations, store, queue and runner.

Read by :func:`~dynatrace_agent.settings.load_settings` from the same TOML document as the
environments (one read, one settings object). Integrations come from ``[[integrations]]``
tables (``DT_AGENT_CONFIG`` or ``--config``), or, for a single integration, from
``DT_WEBHOOK_SECRET`` / ``DT_WEBHOOK_SIGNING_SECRET`` (``DT_WEBHOOK_ENVIRONMENT`` names its
environment). Service options live in an optional ``[webhook]`` table; the store is
``DT_AGENT_DB`` (a SQLite path, or a ``postgresql://`` URL) and ``DT_AGENT_ADMIN_TOKEN``
protects the Alerts page and API. Secrets are ``SecretStr`` so they never reach a repr.

```toml
[[integrations]]
name = "prod"
environment = "prod"            # an environment of the same file; default environment if omitted
webhook_secret = "…32+ url-safe characters…"
signing_secret = "…"            # optional: require "Authorization: Bearer …"

[webhook]
database = "/var/lib/dynatrace-agent/webhook.sqlite3"
concurrency = 2                 # investigations running at once per instance
max_attempts = 3
cancel_on_resolve = true        # RESOLVED before the run starts cancels it
group_window_minutes = 30
group_by_tags = true
group_tag_keys = ["app", "team"]   # only these tag keys group alerts (all tags if omitted)
runner = "inprocess"            # or "langgraph"
langgraph_url = "http://127.0.0.1:2024"
multitask_strategy = "reject"   # or "enqueue"
investigation_processes = 1     # worker processes (default: CPU cores - 1; 0: on the event loop)
lease_s = 15                    # renewed every lease_s/3 while a run goes on
session_ttl_s = 28800           # Alerts page sign-in lifetime
header_timeout_s = 10           # request headers must arrive within this, else 408
body_timeout_s = 30             # the request body likewise
```
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from dynatrace_agent.errors import ConfigurationError

__all__ = [
    "Integration",
    "WebhookConfig",
    "check_integrations",
    "default_database_path",
    "parse_webhook",
]

MIN_SECRET_LENGTH = 16
_SECRET_CHARS = re.compile(r"^[A-Za-z0-9._~-]+$")
#: Keys of ``[webhook]`` that named a graph by import string; the service now runs its own graph.
_REMOVED_KEYS = ("graph", "context")
_SECRET_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


@dataclass(frozen=True)
class Integration:
    """One Dynatrace problem-notification integration, identified by its URL secret."""

    name: str
    webhook_secret: SecretStr
    environment: str | None = None
    signing_secret: SecretStr | None = None


@dataclass(frozen=True)
class WebhookConfig:
    """Everything the service needs besides the Dynatrace environments themselves."""

    integrations: tuple[Integration, ...]
    database: str = field(default_factory=lambda: str(default_database_path()))
    admin_token: SecretStr | None = None
    max_body_bytes: int = 1024 * 1024
    concurrency: int = 2
    max_attempts: int = 3
    backoff_base_s: float = 5.0
    backoff_max_s: float = 300.0
    lease_s: float = 15.0
    run_timeout_s: float = 900.0
    poll_interval_s: float = 1.0
    cancel_on_resolve: bool = True
    group_window_s: float = 1800.0
    group_by_tags: bool = True
    group_tag_keys: tuple[str, ...] | None = None
    runner: Literal["inprocess", "langgraph"] = "inprocess"
    langgraph_url: str | None = None
    langgraph_graph_id: str = "investigation"
    multitask_strategy: Literal["reject", "enqueue"] = "reject"
    session_ttl_s: float = 8 * 3600.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    #: Worker processes for in-process investigations: one core is left to the intake.
    investigation_processes: int = field(default_factory=lambda: max(1, (os.cpu_count() or 2) - 1))

    @property
    def is_postgres(self) -> bool:
        """Whether ``database`` is a PostgreSQL URL rather than a SQLite path."""
        return self.database.startswith(("postgres://", "postgresql://"))


def default_database_path() -> Path:
    """``$XDG_STATE_HOME/dynatrace-agent/webhook.sqlite3`` (``~/.local/state`` by default)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "dynatrace-agent" / "webhook.sqlite3"


def _secret(value: Any, where: str) -> SecretStr:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{where} must be a non-empty string; {_SECRET_HINT}")
    if len(value) < MIN_SECRET_LENGTH or not _SECRET_CHARS.match(value):
        raise ConfigurationError(
            f"{where} must be at least {MIN_SECRET_LENGTH} URL-safe characters "
            f"(letters, digits, . _ ~ -); {_SECRET_HINT}"
        )
    return SecretStr(value)


def _integrations_from_toml(raw: Any, path: str) -> list[Integration]:
    if not isinstance(raw, list):
        raise ConfigurationError(f"{path}: 'integrations' must be an array of tables ([[integrations]])")
    found: list[Integration] = []
    for index, item in enumerate(raw, 1):
        where = f"{path}: [[integrations]] #{index}"
        if not isinstance(item, dict):
            raise ConfigurationError(f"{where} must be a table")
        unknown = set(item) - {"name", "environment", "webhook_secret", "signing_secret"}
        if unknown:
            raise ConfigurationError(f"{where} has unknown keys {sorted(unknown)}")
        name = item.get("name", f"integration-{index}")
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"{where}: name must be a non-empty string")
        env = item.get("environment")
        if env is not None and not isinstance(env, str):
            raise ConfigurationError(f"{where}: environment must be the name of an environment")
        signing = item.get("signing_secret")
        found.append(
            Integration(
                name=name.strip(),
                environment=env,
                webhook_secret=_secret(item.get("webhook_secret"), f"{where}: webhook_secret"),
                signing_secret=None if signing is None else _secret(signing, f"{where}: signing_secret"),
            )
        )
    return found


def _opt(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: str) -> Any:
    value = table.get(key)
    if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)):
        raise ConfigurationError(f"{path}: [webhook] {key} has the wrong type ({type(value).__name__})")
    return value


def parse_webhook(data: Mapping[str, Any], *, where: str, env: Mapping[str, str]) -> WebhookConfig:
    """Integrations and service options from the parsed TOML document and the environment.

    ``where`` names the source in messages (the file, or "environment"). Raises
    ``ConfigurationError`` naming the table and key that is wrong; no message holds a secret.
    """
    integrations = _integrations_from_toml(data["integrations"], where) if "integrations" in data else []
    if env.get("DT_WEBHOOK_SECRET"):
        signing = env.get("DT_WEBHOOK_SIGNING_SECRET")
        integrations.append(
            Integration(
                name=env.get("DT_WEBHOOK_INTEGRATION", "default"),
                environment=env.get("DT_WEBHOOK_ENVIRONMENT") or None,
                webhook_secret=_secret(env["DT_WEBHOOK_SECRET"], "DT_WEBHOOK_SECRET"),
                signing_secret=_secret(signing, "DT_WEBHOOK_SIGNING_SECRET") if signing else None,
            )
        )
    names = [i.name for i in integrations]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{where}: integration names must be unique, got {sorted(names)}")
    secrets = [i.webhook_secret.get_secret_value() for i in integrations]
    if len(set(secrets)) != len(secrets):
        raise ConfigurationError(f"{where}: two integrations share a webhook_secret; give each its own")

    table = data.get("webhook", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: [webhook] must be a table")
    for key in _REMOVED_KEYS:
        if key in table:
            raise ConfigurationError(
                f"{where}: [webhook] {key} is no longer a setting: the service always runs the "
                "investigation graph (use runner = \"langgraph\" to run it on a LangGraph server); remove it"
            )
    kwargs: dict[str, Any] = {}
    for key, kind in (
        ("concurrency", int),
        ("max_attempts", int),
        ("backoff_base_s", (int, float)),
        ("backoff_max_s", (int, float)),
        ("lease_s", (int, float)),
        ("run_timeout_s", (int, float)),
        ("session_ttl_s", (int, float)),
        ("header_timeout_s", (int, float)),
        ("body_timeout_s", (int, float)),
        ("investigation_processes", int),
        ("cancel_on_resolve", bool),
        ("group_by_tags", bool),
        ("langgraph_url", str),
        ("langgraph_graph_id", str),
    ):
        value = _opt(table, key, kind, where)
        if value is not None:
            kwargs[key] = value
    for key in ("concurrency", "max_attempts"):
        if key in kwargs and not 1 <= kwargs[key] <= 64:
            raise ConfigurationError(f"{where}: [webhook] {key} must be between 1 and 64")
    if "investigation_processes" in kwargs and not 0 <= kwargs["investigation_processes"] <= 64:
        raise ConfigurationError(f"{where}: [webhook] investigation_processes must be between 0 and 64")
    for key in ("lease_s", "run_timeout_s", "session_ttl_s", "header_timeout_s", "body_timeout_s"):
        if key in kwargs and kwargs[key] <= 0:
            raise ConfigurationError(f"{where}: [webhook] {key} must be a positive number of seconds")
    window = _opt(table, "group_window_minutes", (int, float), where)
    if window is not None:
        if window <= 0:
            raise ConfigurationError(f"{where}: [webhook] group_window_minutes must be positive")
        kwargs["group_window_s"] = float(window) * 60
    tag_keys = table.get("group_tag_keys")
    if tag_keys is not None:
        if not isinstance(tag_keys, list) or not all(isinstance(k, str) for k in tag_keys):
            raise ConfigurationError(f"{where}: [webhook] group_tag_keys must be a list of strings")
        kwargs["group_tag_keys"] = tuple(tag_keys)
    runner = table.get("runner", env.get("DT_WEBHOOK_RUNNER", "inprocess"))
    if runner not in ("inprocess", "langgraph"):
        raise ConfigurationError(
            f"{where}: [webhook] runner must be 'inprocess' or 'langgraph', not {runner!r}"
        )
    kwargs["runner"] = runner
    strategy = table.get("multitask_strategy", "reject")
    if strategy not in ("reject", "enqueue"):
        raise ConfigurationError(f"{where}: [webhook] multitask_strategy must be 'reject' or 'enqueue'")
    kwargs["multitask_strategy"] = strategy
    if env.get("DT_LANGGRAPH_URL"):
        kwargs["langgraph_url"] = env["DT_LANGGRAPH_URL"]
    if runner == "langgraph" and not kwargs.get("langgraph_url"):
        raise ConfigurationError("runner 'langgraph' needs langgraph_url in [webhook] or DT_LANGGRAPH_URL")

    database = env.get("DT_AGENT_DB") or _opt(table, "database", str, where)
    if database:
        kwargs["database"] = database
    admin = env.get("DT_AGENT_ADMIN_TOKEN")
    if admin is not None:
        if not admin.strip():
            raise ConfigurationError(
                "DT_AGENT_ADMIN_TOKEN is set but empty; set it to a token of at least "
                f"{MIN_SECRET_LENGTH} characters, or unset it to leave the Alerts page open "
                f"(loopback only); {_SECRET_HINT}"
            )
        if len(admin) < MIN_SECRET_LENGTH:
            raise ConfigurationError(f"DT_AGENT_ADMIN_TOKEN must be at least {MIN_SECRET_LENGTH} characters")
        kwargs["admin_token"] = SecretStr(admin)
    return WebhookConfig(integrations=tuple(integrations), **kwargs)


def check_integrations(config: WebhookConfig) -> None:
    """Refuse a service that no integration can reach (``serve`` without ``--demo``)."""
    if not config.integrations:
        raise ConfigurationError(
            "no webhook integration is configured: set DT_WEBHOOK_SECRET, or add [[integrations]] "
            f"tables to the configuration file; {_SECRET_HINT}"
        )
