"""Loading from environment variables and a TOML file with several environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import load_settings

TOKEN = "dt0c01.PUBLIC.TOPSECRETTOKEN"
OTHER = "dt0c01.OTHER.TOPSECRETOTHER"
CLIENT_ID = "dt0s02.CLIENT"
SECRET = "dt0s02.CLIENT.TOPSECRETCLIENT"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dynatrace.toml"
    path.write_text(text)
    return path


def test_env_vars_define_the_default_environment() -> None:
    settings = load_settings(
        env={
            "DT_ENVIRONMENT_URL": "https://abc.apps.dynatrace.com",
            "DT_API_TOKEN": TOKEN,
            "DT_OAUTH_CLIENT_ID": CLIENT_ID,
            "DT_OAUTH_CLIENT_SECRET": SECRET,
            "DT_ACCOUNT_URN": "urn:dtaccount:12345678-1234-1234-1234-123456789abc",
            "DT_AGENT_MODEL": "anthropic:claude-test",
            "DT_PLATFORM_URL": "",
        }
    )
    env = settings.environment()
    assert settings.default_environment == "default" and env.name == "default"
    assert env.classic_base_url == "https://abc.live.dynatrace.com" and env.has_oauth
    assert settings.model == "anthropic:claude-test"
    assert settings.token_budget == 1500


def test_nothing_configured_says_how_to_configure() -> None:
    with pytest.raises(ConfigurationError, match=r"set DT_ENVIRONMENT_URL and DT_API_TOKEN.*DT_AGENT_CONFIG"):
        load_settings(env={})


def test_file_with_several_environments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
default = "prod"
model = "openai:gpt-test"
token_budget = 2000

[environments.prod]
url = "https://prod1.live.dynatrace.com"
api_token = "{TOKEN}"
oauth_client_id = "{CLIENT_ID}"
oauth_client_secret_env = "PROD_SECRET"
account_urn = "urn:dtaccount:12345678-1234-1234-1234-123456789abc"

[environments.onprem]
environment_url = "https://dt.corp.example/e/env-9"
api_token_env = "ONPREM_TOKEN"
""",
    )
    settings = load_settings(config_path=path, env={"PROD_SECRET": SECRET, "ONPREM_TOKEN": OTHER})
    assert set(settings.environments) == {"prod", "onprem"}
    assert settings.environment().name == "prod" and settings.environment().has_oauth
    onprem = settings.environment("onprem")
    assert onprem.is_managed and onprem.api_token.get_secret_value() == OTHER
    assert settings.model == "openai:gpt-test" and settings.token_budget == 2000


def test_config_path_from_env_and_env_vars_override_the_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[environments.only]\nurl = "https://one.live.dynatrace.com"\napi_token = "{TOKEN}"\n',
    )
    settings = load_settings(
        env={"DT_AGENT_CONFIG": str(path), "DT_API_TOKEN": OTHER, "DT_AGENT_MODEL": "x:y"}
    )
    only = settings.environment()
    assert settings.default_environment == "only"  # the single environment is the default
    assert only.api_token.get_secret_value() == OTHER
    assert only.classic_base_url == "https://one.live.dynatrace.com"
    assert settings.model == "x:y"


def test_unknown_environment_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'default = "a"\n[environments.a]\nurl = "https://a.live.dynatrace.com"\napi_token = "{TOKEN}"\n'
        f'[environments.b]\nurl = "https://b.live.dynatrace.com"\napi_token = "{TOKEN}"\n',
    )
    with pytest.raises(ConfigurationError, match='unknown environment "c"; configured environments: a, b'):
        load_settings(config_path=path, env={}).environment("c")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default = ", "not valid TOML"),
        ("default = 'x'\n", "no environments"),
        (
            '[environments.a]\nurl = "https://a.live.dynatrace.com"\napi_tokn = "x"\n',
            "environments.a.api_tokn is not a known key",
        ),
        ("[environments.a]\nurl = 5\n", "environments.a.url must be a string"),
        (
            '[environments.a]\nurl = "https://a.live.dynatrace.com"\napi_token_env = "NOPE"\n',
            "'NOPE', which is not set",
        ),
        (
            f'[environments.a]\nurl = "https://a.live.dynatrace.com"\napi_token = "{TOKEN}"\n'
            f'[environments.b]\nurl = "https://b.live.dynatrace.com"\napi_token = "{TOKEN}"\n',
            "default must name one of the environments",
        ),
        ('color = "red"\n[environments.a]\nurl = "x"\n', "unknown top-level key"),
        (
            'token_budget = -1\n[environments.a]\nurl = "https://a.live.dynatrace.com"\n'
            f'api_token = "{TOKEN}"\n',
            "token_budget",
        ),
        (
            '[environments.a]\nurl = "https://a.live.dynatrace.com"\napi_token = "dt0s02.X.TOPSECRETY"\n',
            'environment "a": api_token',
        ),
    ],
)
def test_file_errors_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        load_settings(config_path=write(tmp_path, text), env={})
    assert "TOPSECRET" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(config_path=tmp_path / "nope.toml", env={})


def test_partial_oauth_is_an_error_unless_lenient() -> None:
    env = {
        "DT_ENVIRONMENT_URL": "https://a.live.dynatrace.com",
        "DT_API_TOKEN": TOKEN,
        "DT_OAUTH_CLIENT_ID": CLIENT_ID,
    }
    with pytest.raises(ConfigurationError, match="DT_OAUTH_CLIENT_SECRET"):
        load_settings(env=env)
    lenient = load_settings(env=env, allow_partial_oauth=True).environment()
    assert lenient.oauth_problem is not None and not lenient.has_oauth
