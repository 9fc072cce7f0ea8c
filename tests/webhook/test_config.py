"""Integration and service configuration from TOML and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynatrace_agent.cli import build_parser
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import load_settings
from dynatrace_agent.webhook.security import bearer_matches, find_integration
from tests.webhook.conftest import load_service_config

GOOD = "x" * 24


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


def test_toml_integrations_and_webhook_table(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f"""
[[integrations]]
name = "prod"
environment = "prod"
webhook_secret = "{GOOD}"
signing_secret = "{"s" * 20}"

[[integrations]]
name = "staging"
webhook_secret = "{"y" * 24}"

[webhook]
concurrency = 4
cancel_on_resolve = false
group_window_minutes = 10
group_tag_keys = ["app"]
""",
    )
    config = load_service_config(config_path=path, env={"DT_AGENT_DB": "postgresql://db/alerts"})
    assert [i.name for i in config.integrations] == ["prod", "staging"]
    assert config.integrations[0].environment == "prod"
    assert config.integrations[0].signing_secret is not None
    assert (config.concurrency, config.cancel_on_resolve, config.group_window_s) == (4, False, 600.0)
    assert config.group_tag_keys == ("app",)
    assert config.is_postgres
    assert GOOD not in repr(config)
    assert find_integration("y" * 24, config.integrations) is config.integrations[1]
    assert find_integration("y" * 23, config.integrations) is None


def test_single_integration_from_the_environment(tmp_path: Path) -> None:
    config = load_service_config(
        env={
            "DT_WEBHOOK_SECRET": GOOD,
            "DT_WEBHOOK_SIGNING_SECRET": "z" * 20,
            "DT_AGENT_ADMIN_TOKEN": "a" * 20,
            "DT_AGENT_DB": str(tmp_path / "a.db"),
        }
    )
    (integration,) = config.integrations
    assert integration.name == "default" and integration.environment is None
    assert integration.signing_secret is not None and bearer_matches(
        "Bearer " + "z" * 20, integration.signing_secret
    )
    assert config.admin_token is not None and config.database.endswith("a.db")


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("", {}, "no webhook integration is configured"),
        ('[[integrations]]\nwebhook_secret = "short"', {}, "at least 16 URL-safe characters"),
        ('[[integrations]]\nwebhook_secret = "has spaces in it ....."', {}, "URL-safe"),
        (f'[[integrations]]\nwebhook_secret = "{GOOD}"\nsecret = 1', {}, "unknown keys"),
        (
            f'[[integrations]]\nname="a"\nwebhook_secret = "{GOOD}"\n'
            f'[[integrations]]\nname="b"\nwebhook_secret = "{GOOD}"',
            {},
            "share a webhook_secret",
        ),
        (f'[[integrations]]\nwebhook_secret = "{GOOD}"\n[webhook]\nconcurrency = "2"', {}, "wrong type"),
        (
            f'[[integrations]]\nwebhook_secret = "{GOOD}"\n[webhook]\nrunner = "langgraph"',
            {},
            "langgraph_url",
        ),
        ("not = [toml", {}, "not valid TOML"),
    ],
)
def test_configuration_errors_say_what_to_fix(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as err:
        load_service_config(config_path=_write(tmp_path, text), env=env)
    assert GOOD not in str(err.value)


def test_serve_command_is_registered() -> None:
    args = build_parser().parse_args(["serve", "--port", "9000", "--demo"])
    assert (args.host, args.port, args.demo, args.config) == ("127.0.0.1", 9000, True, None)
    assert callable(args.handler)


def test_one_file_holds_environments_and_the_service_and_is_read_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f"""
model = "openai:gpt-x"

[environments.prod]
url = "https://abc12345.live.dynatrace.com"
api_token = "dt0c01.ABC.DEF"

[[integrations]]
name = "prod"
environment = "prod"
webhook_secret = "{GOOD}"

[webhook]
concurrency = 3
""",
    )
    settings = load_settings(config_path=path, env={}, webhook=True)
    assert settings.default_environment == "prod" and settings.model == "openai:gpt-x"
    assert settings.service().concurrency == 3 and settings.service().integrations[0].environment == "prod"
    # the other commands read the same file without the service's part
    plain = load_settings(config_path=path, env={})
    assert plain.webhook is None and plain.environment().name == "prod"
    with pytest.raises(ConfigurationError, match="were not loaded"):
        plain.service()


def test_a_service_without_environment_says_how_to_configure_one(tmp_path: Path) -> None:
    settings = load_settings(env={"DT_WEBHOOK_SECRET": GOOD}, require_environment=False, webhook=True)
    assert settings.default_environment is None and settings.environments == {}
    with pytest.raises(ConfigurationError, match="no Dynatrace environment is configured"):
        settings.environment()


@pytest.mark.parametrize("key", ["graph", "context"])
def test_graph_import_strings_are_no_longer_settings(tmp_path: Path, key: str) -> None:
    text = f'[[integrations]]\nwebhook_secret = "{GOOD}"\n[webhook]\n{key} = "pkg.module:graph"'
    with pytest.raises(ConfigurationError, match=rf"\[webhook\] {key} is no longer a setting"):
        load_service_config(config_path=_write(tmp_path, text), env={})
