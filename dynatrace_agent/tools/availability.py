"""Which capabilities an environment can serve, decided from its credentials.

Offering a tool the credentials cannot use wastes a model's turn on a scope error, so the
toolkit asks first: the API token's scopes come from ``POST /api/v2/apiTokens/lookup``, the
OAuth client's from one token request per scope (a refused scope means not granted). Without
a probe the decision follows the configuration alone: the classic capabilities always, the
platform ones only when an OAuth client and a platform URL are configured.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from dynatrace_agent.client import CAPABILITY_SCOPES, DynatraceClient
from dynatrace_agent.client.scopes import ENVIRONMENT_PLANE, PLATFORM_PLANE
from dynatrace_agent.errors import AuthenticationError, DynatraceAgentError, MissingScopeError
from dynatrace_agent.settings import OAUTH_VARIABLES, EnvironmentSettings

__all__ = ["Availability", "configured_availability", "probe_availability"]


@dataclass(frozen=True)
class Availability:
    """Capabilities usable in one environment, and why each other one is not."""

    environment: str
    capabilities: frozenset[str]
    reasons: dict[str, str] = field(default_factory=dict)


def _platform_missing(settings: EnvironmentSettings) -> str | None:
    if not settings.has_oauth:
        return f"no OAuth client configured; set {OAUTH_VARIABLES} to enable Grail"
    if settings.platform_base_url is None:
        return "Managed environment without a platform URL (DT_PLATFORM_URL)"
    return None


def configured_availability(settings: EnvironmentSettings) -> Availability:
    """Availability from the configuration alone (no API calls)."""
    caps: set[str] = set()
    reasons: dict[str, str] = {}
    platform_problem = _platform_missing(settings)
    for name, cap in CAPABILITY_SCOPES.items():
        if cap.plane == PLATFORM_PLANE and platform_problem:
            reasons[name] = platform_problem
        else:
            caps.add(name)
    return Availability(settings.name, frozenset(caps), reasons)


async def _token_scopes(client: DynatraceClient) -> set[str] | None:
    """The API token's scopes, or None when the token may not look itself up."""
    try:
        return await client.environment.token_scopes()
    except MissingScopeError:
        return None


async def _oauth_scope(client: DynatraceClient, scope: str) -> str | None:
    """None if a token for ``scope`` is granted, else why not."""
    assert client.tokens is not None
    try:
        await client.tokens.token([scope])
    except MissingScopeError:
        return f"the OAuth client lacks {scope}; grant it to enable this capability"
    except AuthenticationError as exc:
        return f"the OAuth client was rejected: {exc}"
    except DynatraceAgentError as exc:
        return f"no OAuth token for {scope}: {exc}"
    return None


async def probe_availability(client: DynatraceClient) -> Availability:
    """Ask Dynatrace which capabilities ``client``'s credentials can use (never raises for API errors)."""
    settings = client.settings
    caps: set[str] = set()
    reasons: dict[str, str] = {}
    classic = [c for c in CAPABILITY_SCOPES.values() if c.plane == ENVIRONMENT_PLANE]
    try:
        granted = await _token_scopes(client)
    except DynatraceAgentError as exc:
        for cap in classic:
            reasons[cap.name] = f"the API token could not be checked: {exc}"
    else:
        for cap in classic:
            missing = [s for s in cap.token_scopes if granted is not None and s not in granted]
            if missing:
                reasons[cap.name] = (
                    f"the API token lacks {', '.join(missing)}; grant it to enable this capability"
                )
            else:
                caps.add(cap.name)
    platform = [c for c in CAPABILITY_SCOPES.values() if c.plane == PLATFORM_PLANE]
    platform_problem = _platform_missing(settings)
    if platform_problem or client.tokens is None:
        for cap in platform:
            reasons[cap.name] = platform_problem or "no OAuth client configured"
        return Availability(settings.name, frozenset(caps), reasons)
    scopes = sorted({s for cap in platform for s in cap.token_scopes})
    outcomes = dict(
        zip(scopes, await asyncio.gather(*(_oauth_scope(client, s) for s in scopes)), strict=True)
    )
    for cap in platform:
        problems = [outcomes[s] for s in cap.token_scopes if outcomes[s]]
        if problems:
            reasons[cap.name] = str(problems[0])
        else:
            caps.add(cap.name)
    return Availability(settings.name, frozenset(caps), reasons)
