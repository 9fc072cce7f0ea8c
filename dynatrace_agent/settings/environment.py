"""One Dynatrace environment: its URL, its credentials and the base URL of each plane.

Constructing :class:`EnvironmentSettings` validates everything up front, so that a wrong URL
or a credential pasted into the wrong field is reported with the field's name and the fix
before any request is sent. Secrets are ``SecretStr`` and no message here ever contains one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from dynatrace_agent.settings.credentials import ACCOUNT_URN, check_api_token, check_shape
from dynatrace_agent.settings.urls import (
    DEFAULT_SSO_URL,
    ENV_VARS,
    BaseUrls,
    default_sso_url,
    derive_base_urls,
    field_label,
    parse_url,
)

__all__ = ["ALLOW_PARTIAL_OAUTH", "EnvironmentSettings"]

#: Validation context key: keep settings whose OAuth fields are incomplete (test-connection).
ALLOW_PARTIAL_OAUTH = "allow_partial_oauth"


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

    _bases: BaseUrls = PrivateAttr()

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
                data["sso_url"] = default_sso_url(url)
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
            sso = parse_url(self.sso_url, "sso_url")
            if not sso.path.rstrip("/"):
                raise ConfigurationError(
                    "sso_url (DT_SSO_URL) must be the full token endpoint, e.g. "
                    f"{sso.origin}/sso/oauth2/token."
                )
            check_api_token(self.api_token.get_secret_value().strip())
            if self.oauth_client_id:
                check_shape(
                    "oauth_client_id", self.oauth_client_id.strip(), "oauth_client_id", "dt0s02.<id>"
                )
            if self.oauth_client_secret:
                check_shape(
                    "oauth_client_secret",
                    self.oauth_client_secret.get_secret_value().strip(),
                    "oauth_client_secret",
                    "dt0s02.<id>.<secret>",
                )
            if self.account_urn and not ACCOUNT_URN.match(self.account_urn.strip()):
                check_shape("account_urn", self.account_urn.strip(), "account_urn", "urn:dtaccount:<uuid>")
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
        missing = [field_label(name) for name, ok in present.items() if not ok]
        return (
            f"OAuth client credentials are incomplete: {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing. Set the OAuth client id, secret "
            "and the account URN together, or none of them to use the Environment API only."
        )


def _describe_validation_error(exc: ValidationError, name: str) -> str:
    """pydantic's errors without the input values (they may be secrets)."""
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "settings"
        if err["type"] == "missing":
            problems.append(f"{field_label(loc)} is required")
        elif err["type"] == "extra_forbidden":
            problems.append(f"{loc} is not a known setting (known: {', '.join(ENV_VARS)})")
        else:
            problems.append(f"{field_label(loc)}: {err['msg']}")
    return f'environment "{name}": ' + "; ".join(problems) + "."
