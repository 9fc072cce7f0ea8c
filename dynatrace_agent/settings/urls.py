"""Dynatrace URLs: which plane lives where, checked before any request is sent.

A user pastes whatever URL the browser showed (``…live…``, ``…apps…``, ``/e/<env-id>``,
with ``/ui/…`` noise); :func:`derive_base_urls` turns it into the base URL of each API plane
or says precisely why it cannot. Plain ``http://`` is allowed for loopback only (the local
simulator). Field names in messages are written the way users set them: the TOML key and
the ``DT_*`` variable (:data:`ENV_VARS`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from dynatrace_agent.errors import ConfigurationError

__all__ = [
    "DEFAULT_SSO_URL",
    "ENV_VARS",
    "BaseUrls",
    "ParsedUrl",
    "default_sso_url",
    "derive_base_urls",
    "field_label",
    "is_loopback_host",
    "parse_url",
]

DEFAULT_SSO_URL = "https://sso.dynatrace.com/sso/oauth2/token"

#: Field name → environment variable, used to name fields in messages the way users set them.
ENV_VARS: dict[str, str] = {
    "environment_url": "DT_ENVIRONMENT_URL",
    "api_token": "DT_API_TOKEN",
    "oauth_client_id": "DT_OAUTH_CLIENT_ID",
    "oauth_client_secret": "DT_OAUTH_CLIENT_SECRET",
    "account_urn": "DT_ACCOUNT_URN",
    "sso_url": "DT_SSO_URL",
    "platform_url": "DT_PLATFORM_URL",
}

_SAAS_HOST = re.compile(
    r"^(?P<id>[a-z0-9][a-z0-9-]*)\.(?:(?P<stage>sprint|dev)\.)?(?P<kind>live|apps)\."
    r"(?P<domain>dynatrace\.com|dynatracelabs\.com)$"
)
_SAAS_HOST_NO_KIND = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)\.(?P<stage>sprint|dev)\.dynatracelabs\.com$")
_MANAGED_PATH = re.compile(r"^/e/(?P<env>[A-Za-z0-9_-]+)(?:/|$)")
def field_label(name: str) -> str:
    """How a field is named in messages: the TOML key and the environment variable."""
    env = ENV_VARS.get(name)
    return f"{name} ({env})" if env else name


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1): the only plain-http hosts."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ParsedUrl:
    """A URL split into what the checks need."""

    scheme: str
    host: str
    origin: str  # scheme://host[:port]
    path: str


def parse_url(value: str, field: str) -> ParsedUrl:
    """Split and check a URL: scheme and host present, plain http only for loopback."""
    text = value.strip()
    if not text:
        raise ConfigurationError(
            f"{field_label(field)} is empty; give the URL of your Dynatrace environment."
        )
    if "://" not in text:
        raise ConfigurationError(
            f"{field_label(field)} has no scheme; write it as https://{text.lstrip('/')} "
            "(plain http:// is only allowed for loopback addresses)."
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{field_label(field)} is not a valid URL ({exc}).") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"{field_label(field)} must start with https:// (got {scheme}://).")
    if not host:
        raise ConfigurationError(
            f"{field_label(field)} has no host name; expected e.g. https://abc12345.live.dynatrace.com."
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            f"{field_label(field)} contains credentials in the URL; "
            "remove them and set the token fields instead."
        )
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigurationError(
            f"{field_label(field)} uses plain http:// for {host}; Dynatrace must be reached over https:// "
            "(plain http is only allowed for loopback addresses such as the local simulator)."
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return ParsedUrl(scheme=scheme, host=host, origin=f"{scheme}://{netloc}", path=parts.path or "")


@dataclass(frozen=True)
class BaseUrls:
    """The base URL of each plane, and what kind of environment serves them."""

    classic: str
    platform: str | None
    managed: bool
    loopback: bool


def derive_base_urls(environment_url: str, platform_url: str | None = None) -> BaseUrls:
    """Classic and platform base URLs (no trailing slash) from what the user pasted.

    SaaS URLs of either plane (``<id>.live.`` / ``<id>.apps.``, also the ``sprint``/``dev``
    stages on dynatracelabs.com) give both bases and lose any path noise such as ``/ui/...``.
    Managed URLs (``https://host/e/<env-id>``) keep their prefix and have no platform plane.
    Loopback URLs (the simulator) serve both planes at one base. ``platform_url`` overrides the
    derived platform base (its origin is used).
    """
    url = parse_url(environment_url, "environment_url")
    override = parse_url(platform_url, "platform_url").origin if platform_url else None
    managed = _MANAGED_PATH.match(url.path)
    loopback = is_loopback_host(url.host)
    if managed:
        classic = f"{url.origin}/e/{managed.group('env')}"
        platform = override if override else (url.origin if loopback else None)
        return BaseUrls(classic=classic, platform=platform, managed=not loopback, loopback=loopback)
    if loopback:
        return BaseUrls(classic=url.origin, platform=override or url.origin, managed=False, loopback=True)
    saas = _SAAS_HOST.match(url.host)
    if saas:
        stage = f"{saas.group('stage')}." if saas.group("stage") else ""
        env_id, domain = saas.group("id"), saas.group("domain")
        if domain == "dynatrace.com" and stage:
            raise ConfigurationError(
                f"environment_url (DT_ENVIRONMENT_URL) host {url.host} is not a Dynatrace SaaS host; "
                "expected https://<env-id>.live.dynatrace.com or https://<env-id>.apps.dynatrace.com."
            )
        live = f"https://{env_id}.{stage}live.{domain}" if not stage else f"https://{env_id}.{stage}{domain}"
        apps = f"https://{env_id}.{stage}apps.{domain}"
        return BaseUrls(classic=live, platform=override or apps, managed=False, loopback=False)
    labs = _SAAS_HOST_NO_KIND.match(url.host)
    if labs:
        stage = labs.group("stage")
        return BaseUrls(
            classic=f"https://{labs.group('id')}.{stage}.dynatracelabs.com",
            platform=override or f"https://{labs.group('id')}.{stage}.apps.dynatracelabs.com",
            managed=False,
            loopback=False,
        )
    if override:
        # A custom domain in front of a SaaS tenant: classic at the origin, platform as given.
        return BaseUrls(classic=url.origin, platform=override, managed=False, loopback=False)
    raise ConfigurationError(
        f"environment_url (DT_ENVIRONMENT_URL) host {url.host} is neither a SaaS URL "
        "(https://<env-id>.live.dynatrace.com or https://<env-id>.apps.dynatrace.com) nor a Managed URL "
        "(https://<host>/e/<env-id>); use one of those forms, or set platform_url (DT_PLATFORM_URL) "
        "when a custom domain fronts a SaaS tenant."
    )


def default_sso_url(environment_url: str) -> str:
    """The token endpoint: the simulator serves it on loopback, SaaS uses sso.dynatrace.com."""
    try:
        url = parse_url(environment_url, "environment_url")
    except ConfigurationError:
        return DEFAULT_SSO_URL  # the URL error is reported by the full validation
    if is_loopback_host(url.host):
        return f"{url.origin}/sso/oauth2/token"
    return DEFAULT_SSO_URL
