"""Credential shapes, wrong-field detection, OAuth completeness, secrets never shown."""

from __future__ import annotations

from typing import Any

import pytest

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import EnvironmentSettings

URL = "https://abc12345.live.dynatrace.com"
TOKEN = "dt0c01.PUBLIC.TOPSECRETTOKEN"
CLIENT_ID = "dt0s02.CLIENT"
SECRET = "dt0s02.CLIENT.TOPSECRETCLIENT"
URN = "urn:dtaccount:12345678-1234-1234-1234-123456789abc"


def build(**kw: Any) -> EnvironmentSettings:
    values: dict[str, Any] = {"environment_url": URL, "api_token": TOKEN, **kw}
    return EnvironmentSettings(**{k: v for k, v in values.items() if v is not None})


def refused(**kw: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        build(**kw)
    text = str(info.value)
    assert "TOPSECRET" not in text
    return text


def test_complete_oauth() -> None:
    s = build(oauth_client_id=CLIENT_ID, oauth_client_secret=SECRET, account_urn=URN)
    assert s.has_oauth and s.oauth_problem is None


def test_oauth_without_account_urn_is_incomplete_and_names_it() -> None:
    text = refused(oauth_client_id=CLIENT_ID, oauth_client_secret=SECRET)
    assert "account_urn (DT_ACCOUNT_URN)" in text and "incomplete" in text
    assert build(oauth_client_id=CLIENT_ID, oauth_client_secret=SECRET, account_urn=URN).has_oauth


def test_no_oauth_at_all_is_fine() -> None:
    s = build()
    assert not s.has_oauth and s.oauth_problem is None


@pytest.mark.parametrize(
    ("token", "named"),
    [
        (SECRET, "OAuth client secret; put it in oauth_client_secret (DT_OAUTH_CLIENT_SECRET)"),
        (CLIENT_ID, "OAuth client id; put it in oauth_client_id (DT_OAUTH_CLIENT_ID)"),
        (URN, "account URN"),
        ("dt0s16.PLATFORM.TOPSECRETX", "platform token"),
        ("TOPSECRETgarbage", "not a Dynatrace API token"),
        ("dt0c01.TOPSECRETONLYTWO", "not a Dynatrace API token"),
    ],
)
def test_api_token_pasted_from_elsewhere_is_named(token: str, named: str) -> None:
    message = refused(api_token=token)
    assert named in message and "api_token (DT_API_TOKEN)" in message


def test_client_secret_in_the_client_id_field() -> None:
    message = refused(oauth_client_id=SECRET, oauth_client_secret=SECRET)
    assert "oauth_client_id (DT_OAUTH_CLIENT_ID) looks like an OAuth client secret" in message


def test_api_token_in_the_client_secret_field() -> None:
    message = refused(oauth_client_id=CLIENT_ID, oauth_client_secret=TOKEN)
    assert "oauth_client_secret (DT_OAUTH_CLIENT_SECRET) looks like an API token" in message


def test_client_id_in_the_secret_field() -> None:
    assert "looks like an OAuth client id" in refused(
        oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_ID
    )


@pytest.mark.parametrize(
    ("urn", "named"),
    [
        ("12345678-1234-1234-1234-123456789abc", "bare UUID"),
        ("urn:dtaccount:nope", "is malformed; expected urn:dtaccount:<uuid>"),
        (TOKEN, "API token"),
    ],
)
def test_account_urn_shape(urn: str, named: str) -> None:
    message = refused(oauth_client_id=CLIENT_ID, oauth_client_secret=SECRET, account_urn=urn)
    assert "account_urn (DT_ACCOUNT_URN)" in message and named in message


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"oauth_client_id": CLIENT_ID}, ["DT_OAUTH_CLIENT_SECRET"]),
        ({"oauth_client_secret": SECRET}, ["DT_OAUTH_CLIENT_ID"]),
        ({"account_urn": URN}, ["DT_OAUTH_CLIENT_ID", "DT_OAUTH_CLIENT_SECRET"]),
    ],
)
def test_partial_oauth_names_the_missing_fields(fields: dict[str, str], missing: list[str]) -> None:
    message = refused(**fields)
    assert "incomplete" in message
    for name in missing:
        assert name in message
    lenient = EnvironmentSettings.model_validate(
        {"environment_url": URL, "api_token": TOKEN, **fields}, context={"allow_partial_oauth": True}
    )
    assert not lenient.has_oauth
    assert lenient.oauth_problem is not None and all(name in lenient.oauth_problem for name in missing)


def test_missing_api_token() -> None:
    assert "api_token (DT_API_TOKEN) is required" in refused(api_token=None)


def test_unknown_field_is_named_without_echoing_values() -> None:
    message = refused(api_tokn="TOPSECRETtypo")
    assert "api_tokn is not a known setting" in message


def test_wrong_type_does_not_echo_the_input() -> None:
    message = refused(api_token=["TOPSECRETlist"])
    assert "api_token (DT_API_TOKEN)" in message


def test_secrets_never_in_repr_str_or_dump() -> None:
    s = build(oauth_client_id=CLIENT_ID, oauth_client_secret=SECRET, account_urn=URN)
    for text in (repr(s), str(s), str(s.model_dump()), s.model_dump_json()):
        assert "TOPSECRET" not in text
    assert s.api_token.get_secret_value() == TOKEN


def test_settings_are_frozen() -> None:
    s = build()
    with pytest.raises(Exception, match="frozen"):
        s.name = "other"
