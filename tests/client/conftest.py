"""Shared doubles for client tests: settings with recognisable secrets and a recording sleep."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from dynatrace_agent.client import DynatraceClient, RetryPolicy
from dynatrace_agent.settings import EnvironmentSettings

API_TOKEN = "dt0c01.PUBLICPART.SUPERSECRETAPITOKENVALUE"
CLIENT_ID = "dt0s02.CLIENTID"
CLIENT_SECRET = "dt0s02.CLIENTID.SUPERSECRETOAUTHVALUE"
SECRETS = ("SUPERSECRETAPITOKENVALUE", "SUPERSECRETOAUTHVALUE", "ACCESS-TOKEN-SECRET")
CLASSIC = "https://abc12345.live.dynatrace.com"
PLATFORM = "https://abc12345.apps.dynatrace.com"
SSO = "https://sso.dynatrace.com/sso/oauth2/token"
ACCOUNT_URN = "urn:dtaccount:12345678-1234-1234-1234-123456789abc"
QUERY = f"{PLATFORM}/platform/storage/query/v1"


def make_settings(**overrides: Any) -> EnvironmentSettings:
    values: dict[str, Any] = {
        "name": "prod",
        "environment_url": CLASSIC,
        "api_token": API_TOKEN,
        "oauth_client_id": CLIENT_ID,
        "oauth_client_secret": CLIENT_SECRET,
        "account_urn": ACCOUNT_URN,
    }
    values.update(overrides)
    if "account_urn" not in overrides and not (values["oauth_client_id"] and values["oauth_client_secret"]):
        values["account_urn"] = None  # the three OAuth fields go together
    return EnvironmentSettings(**{k: v for k, v in values.items() if v is not None})


class Sleeps:
    """An injectable sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    def now(self) -> float:
        """A clock that moves only while "sleeping": retry budgets are spent in simulated time."""
        return float(sum(self.calls))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retry(sleeps: Sleeps) -> RetryPolicy:
    """Real retry rules, no real waiting, no jitter (rand = 0 keeps the full backoff)."""
    return RetryPolicy(sleep=sleeps, rand=lambda: 0.0)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.MockRouter(assert_all_called=False, assert_all_mocked=True) as r:
        yield r


@pytest.fixture
def make_client(
    router: respx.MockRouter, retry: RetryPolicy, sleeps: Sleeps
) -> Callable[..., DynatraceClient]:
    def build(settings: EnvironmentSettings | None = None, **kwargs: Any) -> DynatraceClient:
        kwargs.setdefault("retry", retry)
        client = DynatraceClient(
            settings or make_settings(), transport=httpx.MockTransport(router.async_handler), **kwargs
        )
        client._core.clock = sleeps.now
        return client

    return build


def token_response(token: str = "ACCESS-TOKEN-SECRET", expires_in: int = 300, **extra: Any) -> httpx.Response:
    return httpx.Response(
        200, json={"token_type": "Bearer", "access_token": token, "expires_in": expires_in, **extra}
    )


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"secret {secret!r} leaked into {text!r}"
