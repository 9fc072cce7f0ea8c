"""Settings: which Dynatrace environments exist and how to reach both API planes of each.

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

Everything is validated up front so that a wrong URL or a credential pasted into the wrong
field is reported with the field's name and the fix, before any request is sent. Secrets are
``SecretStr`` and no message here ever contains one.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from dynatrace_agent.errors import ConfigurationError

__all__ = [
    "DEFAULT_SSO_URL",
    "ENV_VARS",
    "OAUTH_VARIABLES",
    "AgentSettings",
    "EnvironmentSettings",
    "derive_base_urls",
    "is_loopback_host",
    "load_settings",
]

DEFAULT_SSO_URL = "https://sso.dynatrace.com/sso/oauth2/token"
#: The three variables of an OAuth client, named together in every hint: Grail needs all three,
#: and a hint naming only two sends the user to the next error ("account URN missing").
OAUTH_VARIABLES = "DT_OAUTH_CLIENT_ID, DT_OAUTH_CLIENT_SECRET and DT_ACCOUNT_URN"
#: Validation context key: keep settings whose OAuth fields are incomplete (test-connection).
ALLOW_PARTIAL_OAUTH = "allow_partial_oauth"

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
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ACCOUNT_URN = re.compile(rf"^urn:dtaccount:{_UUID}$")


def _field(name: str) -> str:
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
class _Url:
    scheme: str
    host: str
    origin: str  # scheme://host[:port]
    path: str


def _parse_url(value: str, field: str) -> _Url:
    """Split and check a URL: scheme and host present, plain http only for loopback."""
    text = value.strip()
    if not text:
        raise ConfigurationError(f"{_field(field)} is empty; give the URL of your Dynatrace environment.")
    if "://" not in text:
        raise ConfigurationError(
            f"{_field(field)} has no scheme; write it as https://{text.lstrip('/')} "
            "(plain http:// is only allowed for loopback addresses)."
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{_field(field)} is not a valid URL ({exc}).") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"{_field(field)} must start with https:// (got {scheme}://).")
    if not host:
        raise ConfigurationError(
            f"{_field(field)} has no host name; expected e.g. https://abc12345.live.dynatrace.com."
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            f"{_field(field)} contains credentials in the URL; remove them and set the token fields instead."
        )
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigurationError(
            f"{_field(field)} uses plain http:// for {host}; Dynatrace must be reached over https:// "
            "(plain http is only allowed for loopback addresses such as the local simulator)."
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return _Url(scheme=scheme, host=host, origin=f"{scheme}://{netloc}", path=parts.path or "")


@dataclass(frozen=True)
class _Bases:
    classic: str
    platform: str | None
    managed: bool
    loopback: bool


def derive_base_urls(environment_url: str, platform_url: str | None = None) -> _Bases:
    """Classic and platform base URLs (no trailing slash) from what the user pasted.

    SaaS URLs of either plane (``<id>.live.`` / ``<id>.apps.``, also the ``sprint``/``dev``
    stages on dynatracelabs.com) give both bases and lose any path noise such as ``/ui/...``.
    Managed URLs (``https://host/e/<env-id>``) keep their prefix and have no platform plane.
    Loopback URLs (the simulator) serve both planes at one base. ``platform_url`` overrides the
    derived platform base (its origin is used).
    """
    url = _parse_url(environment_url, "environment_url")
    override = _parse_url(platform_url, "platform_url").origin if platform_url else None
    managed = _MANAGED_PATH.match(url.path)
    loopback = is_loopback_host(url.host)
    if managed:
        classic = f"{url.origin}/e/{managed.group('env')}"
        platform = override if override else (url.origin if loopback else None)
        return _Bases(classic=classic, platform=platform, managed=not loopback, loopback=loopback)
    if loopback:
        return _Bases(classic=url.origin, platform=override or url.origin, managed=False, loopback=True)
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
        return _Bases(classic=live, platform=override or apps, managed=False, loopback=False)
    labs = _SAAS_HOST_NO_KIND.match(url.host)
    if labs:
        stage = labs.group("stage")
        return _Bases(
            classic=f"https://{labs.group('id')}.{stage}.dynatracelabs.com",
            platform=override or f"https://{labs.group('id')}.{stage}.apps.dynatracelabs.com",
            managed=False,
            loopback=False,
        )
    if override:
        # A custom domain in front of a SaaS tenant: classic at the origin, platform as given.
        return _Bases(classic=url.origin, platform=override, managed=False, loopback=False)
    raise ConfigurationError(
        f"environment_url (DT_ENVIRONMENT_URL) host {url.host} is neither a SaaS URL "
        "(https://<env-id>.live.dynatrace.com or https://<env-id>.apps.dynatrace.com) nor a Managed URL "
        "(https://<host>/e/<env-id>); use one of those forms, or set platform_url (DT_PLATFORM_URL) "
        "when a custom domain fronts a SaaS tenant."
    )


def _check_api_token(value: str) -> None:
    """An API token is ``dt0c01.<id>.<secret>``; name what else was pasted instead."""
    what = _credential_kind(value)
    if what == "api_token":
        return
    hint = {
        "oauth_client_secret": (
            "an OAuth client secret; put it in oauth_client_secret (DT_OAUTH_CLIENT_SECRET)"
        ),
        "oauth_client_id": "an OAuth client id; put it in oauth_client_id (DT_OAUTH_CLIENT_ID)",
        "platform_token": "a platform token (dt0s16.); this field needs a classic API token",
        "account_urn": "an account URN; put it in account_urn (DT_ACCOUNT_URN)",
    }.get(what)
    what_it_is = f"looks like {hint}" if hint else "is not a Dynatrace API token (dt0c01.<id>.<secret>)"
    raise ConfigurationError(
        f"api_token (DT_API_TOKEN) {what_it_is}. Create an access token (dt0c01.…) under "
        "Access tokens with the scopes problems.read, entities.read and settings.read."
    )


def _credential_kind(value: str) -> str:
    """Classify a credential by its shape (never returns the value itself)."""
    parts = value.split(".")
    if value.startswith("urn:dtaccount:"):
        return "account_urn" if _ACCOUNT_URN.match(value) else "unknown"
    if value.startswith("dt0c01.") and len(parts) == 3 and all(parts):
        return "api_token"
    if value.startswith("dt0s02.") and len(parts) == 2 and parts[1]:
        return "oauth_client_id"
    if value.startswith("dt0s02.") and len(parts) == 3 and all(parts):
        return "oauth_client_secret"
    if value.startswith("dt0s16."):
        return "platform_token"
    if re.fullmatch(_UUID, value):
        return "uuid"
    return "unknown"


def _check_shape(field: str, value: str, expected: str, example: str) -> None:
    """Check an OAuth/account credential's shape; name the field it probably belongs to."""
    kind = _credential_kind(value)
    if kind == expected:
        return
    belongs = {
        "api_token": "an API token; put it in api_token (DT_API_TOKEN)",
        "oauth_client_id": "an OAuth client id; put it in oauth_client_id (DT_OAUTH_CLIENT_ID)",
        "oauth_client_secret": (
            "an OAuth client secret; put it in oauth_client_secret (DT_OAUTH_CLIENT_SECRET)"
        ),
        "account_urn": "an account URN; put it in account_urn (DT_ACCOUNT_URN)",
        "platform_token": "a platform token (dt0s16.), which is not supported; create an OAuth client",
        "uuid": "a bare UUID; an account URN is written urn:dtaccount:<uuid>",
    }.get(kind)
    what_it_is = f"looks like {belongs}" if belongs else "is malformed"
    raise ConfigurationError(f"{_field(field)} {what_it_is}; expected {example}.")


class EnvironmentSettings(BaseModel):
    """One Dynatrace environment: its URL, its credentials and the base URL of each plane.

    Constructing it validates everything; an invalid value raises ``ConfigurationError``
    (never pydantic's ``ValidationError``, whose text would echo the raw input, secrets too).
    Incomplete OAuth fields are an error unless validated with the context
    ``{"allow_partial_oauth": True}``; then ``oauth_problem`` says what is missing so that the
    connection test can report it as a failed Grail plane.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "default"
    environment_url: str
    api_token: SecretStr
    oauth_client_id: str | None = None
    oauth_client_secret: SecretStr | None = None
    account_urn: str | None = None
    sso_url: str = DEFAULT_SSO_URL
    platform_url: str | None = None

    _bases: _Bases = PrivateAttr()

    @model_validator(mode="wrap")
    @classmethod
    def _validate_safely(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> EnvironmentSettings:
        """Normalise blanks, default the loopback SSO URL, and hide pydantic's echo of inputs."""
        if isinstance(data, EnvironmentSettings):
            return data  # validated when it was built (possibly leniently, which must stick)
        if isinstance(data, Mapping):
            data = {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in data.items()}
            data = {k: v for k, v in data.items() if v is not None}  # blank = unset = default
            url = data.get("environment_url")
            if "sso_url" not in data and isinstance(url, str):
                data["sso_url"] = _default_sso_url(url)
        try:
            settings = handler(data)
        except ValidationError as exc:
            name = data.get("name", "default") if isinstance(data, Mapping) else "default"
            raise ConfigurationError(_describe_validation_error(exc, str(name))) from None
        assert isinstance(settings, EnvironmentSettings)
        allow_partial = bool(info.context and info.context.get(ALLOW_PARTIAL_OAUTH))
        settings._check(allow_partial_oauth=allow_partial)
        return settings

    def _check(self, *, allow_partial_oauth: bool) -> None:
        """Validate URLs and credential shapes; store the derived base URLs."""
        prefix = f'environment "{self.name}": '
        try:
            self._bases = derive_base_urls(self.environment_url, self.platform_url)
            sso = _parse_url(self.sso_url, "sso_url")
            if not sso.path.rstrip("/"):
                raise ConfigurationError(
                    "sso_url (DT_SSO_URL) must be the full token endpoint, e.g. "
                    f"{sso.origin}/sso/oauth2/token."
                )
            _check_api_token(self.api_token.get_secret_value().strip())
            if self.oauth_client_id:
                _check_shape(
                    "oauth_client_id", self.oauth_client_id.strip(), "oauth_client_id", "dt0s02.<id>"
                )
            if self.oauth_client_secret:
                _check_shape(
                    "oauth_client_secret",
                    self.oauth_client_secret.get_secret_value().strip(),
                    "oauth_client_secret",
                    "dt0s02.<id>.<secret>",
                )
            if self.account_urn and not _ACCOUNT_URN.match(self.account_urn.strip()):
                _check_shape("account_urn", self.account_urn.strip(), "account_urn", "urn:dtaccount:<uuid>")
            problem = self.oauth_problem
            if problem and not allow_partial_oauth:
                raise ConfigurationError(problem)
        except ConfigurationError as exc:
            raise ConfigurationError(prefix + str(exc)) from None

    # ---- derived values -------------------------------------------------------------------

    @property
    def classic_base_url(self) -> str:
        """Base of the Environment API v2 (``/api/v2/...`` is appended), without trailing slash."""
        return self._bases.classic

    @property
    def platform_base_url(self) -> str | None:
        """Base of the platform plane (``/platform/...``); None for Managed without an override."""
        return self._bases.platform

    @property
    def is_managed(self) -> bool:
        """A Managed environment (``/e/<env-id>`` prefix), which has no platform plane of its own."""
        return self._bases.managed

    @property
    def is_loopback(self) -> bool:
        """Served from a loopback address (the simulator): plain http allowed, one base for both planes."""
        return self._bases.loopback

    @property
    def has_oauth(self) -> bool:
        """OAuth client credentials are complete: client id, client secret and account URN."""
        return bool(self.oauth_client_id and self.oauth_client_secret and self.account_urn)

    @property
    def oauth_problem(self) -> str | None:
        """What is missing from a partial OAuth configuration, or None when complete or absent."""
        present = {
            "oauth_client_id": bool(self.oauth_client_id),
            "oauth_client_secret": self.oauth_client_secret is not None,
            "account_urn": bool(self.account_urn),
        }
        if all(present.values()) or not any(present.values()):
            return None
        missing = [_field(name) for name, ok in present.items() if not ok]
        return (
            f"OAuth client credentials are incomplete: {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing. Set the OAuth client id, secret "
            "and the account URN together, or none of them to use the Environment API only."
        )


def _default_sso_url(environment_url: str) -> str:
    """The token endpoint: the simulator serves it on loopback, SaaS uses sso.dynatrace.com."""
    try:
        url = _parse_url(environment_url, "environment_url")
    except ConfigurationError:
        return DEFAULT_SSO_URL  # the URL error is reported by the full validation
    if is_loopback_host(url.host):
        return f"{url.origin}/sso/oauth2/token"
    return DEFAULT_SSO_URL


def _describe_validation_error(exc: ValidationError, name: str) -> str:
    """pydantic's errors without the input values (they may be secrets)."""
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "settings"
        if err["type"] == "missing":
            problems.append(f"{_field(loc)} is required")
        elif err["type"] == "extra_forbidden":
            problems.append(f"{loc} is not a known setting (known: {', '.join(ENV_VARS)})")
        else:
            problems.append(f"{_field(loc)}: {err['msg']}")
    return f'environment "{name}": ' + "; ".join(problems) + "."


class AgentSettings(BaseModel):
    """All configured environments, the default one, and agent-wide options."""

    model_config = ConfigDict(frozen=True)

    environments: dict[str, EnvironmentSettings]
    default_environment: str
    model: str | None = None
    token_budget: int = 1500

    def environment(self, name: str | None = None) -> EnvironmentSettings:
        """The named environment (the default when ``name`` is None)."""
        key = name or self.default_environment
        try:
            return self.environments[key]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ConfigurationError(
                f'unknown environment "{key}"; configured environments: {known}. '
                "Pick one of them with --env NAME, or add it to the TOML file (DT_AGENT_CONFIG)."
            ) from None


# ---- loading ------------------------------------------------------------------------------

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
) -> AgentSettings:
    """Read the TOML file (if any) and the ``DT_*`` variables into validated settings.

    ``allow_partial_oauth`` keeps environments whose OAuth fields are incomplete (their
    ``oauth_problem`` says what is missing); the connection test uses it to report that as a
    failed Grail plane instead of refusing to start.
    """
    env = os.environ if env is None else env
    path_text = str(config_path) if config_path else _env_value(env, "DT_AGENT_CONFIG")
    raw_envs: dict[str, dict[str, Any]] = {}
    default: str | None = None
    model: str | None = None
    token_budget = 1500
    if path_text:
        path = Path(path_text).expanduser()
        data = _read_toml(path)
        unknown = set(data) - {"default", "environments", "model", "token_budget"}
        if unknown:
            raise ConfigurationError(
                f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                "allowed: default, model, token_budget, [environments.NAME]."
            )
        tables = data.get("environments", {})
        if not isinstance(tables, dict) or not tables:
            raise ConfigurationError(f"{path}: no environments; add at least one [environments.NAME] table.")
        raw_envs = {name: _file_environment(name, table, path, env) for name, table in tables.items()}
        default = data.get("default")
        if default is None and len(raw_envs) == 1:
            default = next(iter(raw_envs))
        if not isinstance(default, str) or default not in raw_envs:
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
        if "environment_url" not in overrides:
            raise ConfigurationError(
                "no Dynatrace environment is configured: set DT_ENVIRONMENT_URL and DT_API_TOKEN "
                f"(plus {OAUTH_VARIABLES} for Grail), or point DT_AGENT_CONFIG "
                "at a TOML file with [environments.NAME] tables."
            )
        default = "default"
        raw_envs[default] = {"name": default}
    raw_envs[default].update(overrides)
    model = _env_value(env, "DT_AGENT_MODEL") or model

    context = {ALLOW_PARTIAL_OAUTH: allow_partial_oauth}
    environments = {
        name: EnvironmentSettings.model_validate(fields, context=context) for name, fields in raw_envs.items()
    }
    return AgentSettings(
        environments=environments, default_environment=default, model=model, token_budget=token_budget
    )
