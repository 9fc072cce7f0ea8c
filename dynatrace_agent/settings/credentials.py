"""Credential shapes: tell an API token from an OAuth client id, secret or account URN.

People paste credentials into the wrong field; each check names what was pasted and where
it belongs, judged by the value's shape alone, and never repeats the value.
"""

from __future__ import annotations

import re

from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.settings.urls import field_label

__all__ = ["ACCOUNT_URN", "OAUTH_VARIABLES", "check_api_token", "check_shape", "credential_kind"]

#: The three variables of an OAuth client, named together in every hint: Grail needs all three,
#: and a hint naming only two sends the user to the next error ("account URN missing").
OAUTH_VARIABLES = "DT_OAUTH_CLIENT_ID, DT_OAUTH_CLIENT_SECRET and DT_ACCOUNT_URN"

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: ``urn:dtaccount:<uuid>``, the account URN an OAuth client belongs to.
ACCOUNT_URN = re.compile(rf"^urn:dtaccount:{_UUID}$")


def check_api_token(value: str) -> None:
    """An API token is ``dt0c01.<id>.<secret>``; name what else was pasted instead."""
    what = credential_kind(value)
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


def credential_kind(value: str) -> str:
    """Classify a credential by its shape (never returns the value itself)."""
    parts = value.split(".")
    if value.startswith("urn:dtaccount:"):
        return "account_urn" if ACCOUNT_URN.match(value) else "unknown"
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


def check_shape(field: str, value: str, expected: str, example: str) -> None:
    """Check an OAuth/account credential's shape; name the field it probably belongs to."""
    kind = credential_kind(value)
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
    raise ConfigurationError(f"{field_label(field)} {what_it_is}; expected {example}.")
