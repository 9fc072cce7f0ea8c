"""Every "no OAuth client" hint names all three variables an OAuth client needs."""

from __future__ import annotations

import pytest

from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import CapabilityUnavailableError, ConfigurationError
from dynatrace_agent.settings import EnvironmentSettings, load_settings
from dynatrace_agent.tools.availability import configured_availability

TOKEN = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF"
ALL_THREE = ("DT_OAUTH_CLIENT_ID", "DT_OAUTH_CLIENT_SECRET", "DT_ACCOUNT_URN")


def _no_oauth() -> EnvironmentSettings:
    return EnvironmentSettings(environment_url="https://abc12345.live.dynatrace.com", api_token=TOKEN)


def _names_all_three(text: str) -> bool:
    return all(name in text for name in ALL_THREE)


def test_missing_environment_hint_names_the_account_urn() -> None:
    with pytest.raises(ConfigurationError) as info:
        load_settings(env={})
    assert _names_all_three(str(info.value))


def test_tool_availability_reason_names_the_account_urn() -> None:
    availability = configured_availability(_no_oauth())
    assert availability.reasons and all(_names_all_three(r) for r in availability.reasons.values())


async def test_grail_and_slo_refusals_name_the_account_urn() -> None:
    from dynatrace_agent.client.auth import OAuthTokenProvider

    async with DynatraceClient(_no_oauth()) as client:
        with pytest.raises(CapabilityUnavailableError) as grail:
            await client.grail.query("fetch logs | limit 1", scopes=["storage:logs:read"])
        assert _names_all_three(str(grail.value))
        with pytest.raises(ConfigurationError) as tokens:
            OAuthTokenProvider(_no_oauth(), client._core)
        assert _names_all_three(str(tokens.value))
