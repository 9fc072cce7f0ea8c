"""URL derivation: SaaS in either form, Managed, loopback, overrides, refusals."""

from __future__ import annotations

import pytest

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings import DEFAULT_SSO_URL, EnvironmentSettings, is_loopback_host

TOKEN = "dt0c01.ABC.DEF"


def env(url: str, **kw: str) -> EnvironmentSettings:
    return EnvironmentSettings(environment_url=url, api_token=TOKEN, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://abc12345.live.dynatrace.com",
        "https://abc12345.live.dynatrace.com/",
        "https://abc12345.apps.dynatrace.com",
        "https://ABC12345.apps.dynatrace.com/ui/apps/dynatrace.classic.problems/#problems?x=1",
        "  https://abc12345.live.dynatrace.com/api/v2/problems  ",
        "https://abc12345.apps.dynatrace.com:443/",
    ],
)
def test_saas_forms_yield_both_bases(url: str) -> None:
    s = env(url)
    assert s.classic_base_url == "https://abc12345.live.dynatrace.com"
    assert s.platform_base_url == "https://abc12345.apps.dynatrace.com"
    assert not s.is_managed and not s.is_loopback
    assert s.sso_url == DEFAULT_SSO_URL


@pytest.mark.parametrize(
    ("url", "classic", "platform"),
    [
        (
            "https://abc.sprint.apps.dynatracelabs.com/ui",
            "https://abc.sprint.dynatracelabs.com",
            "https://abc.sprint.apps.dynatracelabs.com",
        ),
        (
            "https://abc.dev.dynatracelabs.com",
            "https://abc.dev.dynatracelabs.com",
            "https://abc.dev.apps.dynatracelabs.com",
        ),
    ],
)
def test_labs_stages(url: str, classic: str, platform: str) -> None:
    s = env(url)
    assert (s.classic_base_url, s.platform_base_url) == (classic, platform)


@pytest.mark.parametrize(
    "url",
    [
        "https://dt.example.com/e/env-1",
        "https://dt.example.com/e/env-1/",
        "https://dt.example.com/e/env-1/#/problems",
    ],
)
def test_managed_keeps_prefix_and_has_no_platform(url: str) -> None:
    s = env(url)
    assert s.classic_base_url == "https://dt.example.com/e/env-1"
    assert s.platform_base_url is None and s.is_managed


def test_activegate_port_is_kept() -> None:
    assert env("https://ag.example.com:9999/e/abc").classic_base_url == "https://ag.example.com:9999/e/abc"


def test_platform_url_overrides_the_derived_one() -> None:
    s = env("https://dt.example.com/e/env-1", platform_url="https://abc12345.apps.dynatrace.com/ui/")
    assert s.platform_base_url == "https://abc12345.apps.dynatrace.com"
    s = env("https://abc12345.live.dynatrace.com", platform_url="https://proxy.example.com")
    assert s.platform_base_url == "https://proxy.example.com"


def test_custom_domain_needs_platform_url() -> None:
    with pytest.raises(ConfigurationError, match=r"neither a SaaS URL.*nor a Managed URL.*DT_PLATFORM_URL"):
        env("https://dynatrace.example.com")
    s = env("https://dynatrace.example.com/x", platform_url="https://abc.apps.dynatrace.com")
    assert s.classic_base_url == "https://dynatrace.example.com"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8400", "http://localhost:8400/", "http://[::1]:8400", "http://127.9.9.9"]
)
def test_loopback_http_serves_both_planes_and_sso(url: str) -> None:
    s = env(url)
    assert s.is_loopback
    assert s.platform_base_url == s.classic_base_url
    assert s.sso_url == f"{s.classic_base_url}/sso/oauth2/token"


def test_loopback_sso_url_can_be_overridden() -> None:
    s = env("http://127.0.0.1:8400", sso_url="http://127.0.0.1:9000/sso/oauth2/token")
    assert s.sso_url == "http://127.0.0.1:9000/sso/oauth2/token"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://abc12345.live.dynatrace.com", "plain http://"),
        ("http://10.0.0.1:8400", "plain http://"),
        ("abc12345.live.dynatrace.com", "no scheme; write it as https://abc12345.live.dynatrace.com"),
        ("ftp://abc12345.live.dynatrace.com", "must start with https://"),
        ("https://", "no host name"),
        ("https://user:pw@abc12345.live.dynatrace.com", "credentials in the URL"),
        ("", "required"),
    ],
)
def test_bad_urls_are_refused_with_the_fix(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        env(url)


def test_sso_url_must_be_https_and_a_full_endpoint() -> None:
    with pytest.raises(ConfigurationError, match=r"sso_url .*plain http"):
        env("https://abc.live.dynatrace.com", sso_url="http://sso.example.com/sso/oauth2/token")
    with pytest.raises(ConfigurationError, match="full token endpoint"):
        env("https://abc.live.dynatrace.com", sso_url="https://sso.example.com")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
