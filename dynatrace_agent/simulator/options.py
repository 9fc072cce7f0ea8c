"""Knobs of one simulator instance: credentials, granted scopes and injected faults.

Defaults let a newcomer connect with nothing configured: a well-known API token and OAuth
client with every scope granted, no faults. Tests narrow the scopes or switch faults on to
see how a client copes with what a real tenant does to it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_OAUTH_SCOPES",
    "ALL_TOKEN_SCOPES",
    "DEFAULT_API_TOKEN",
    "DEFAULT_OAUTH_CLIENT_ID",
    "DEFAULT_OAUTH_CLIENT_SECRET",
    "SimulatorOptions",
]

DEFAULT_API_TOKEN = "dt0c01.SIMULATOR.TOKEN"
DEFAULT_OAUTH_CLIENT_ID = "dt0s02.SIMULATOR"
DEFAULT_OAUTH_CLIENT_SECRET = "dt0s02.SIMULATOR.SECRET"
DEFAULT_ACCOUNT_URN = "urn:dtaccount:00000000-0000-4000-8000-000000000000"

#: Classic API-token scopes the simulator knows; "all granted" means these.
ALL_TOKEN_SCOPES = frozenset(
    {
        "problems.read",
        "problems.write",
        "entities.read",
        "settings.read",
        "settings.write",
        "slo.read",
        "metrics.read",
        "events.read",
        "DataExport",
    }
)

#: OAuth scopes the simulator knows; "all granted" means these.
ALL_OAUTH_SCOPES = frozenset(
    {
        "storage:buckets:read",
        "storage:logs:read",
        "storage:spans:read",
        "storage:metrics:read",
        "storage:events:read",
        "storage:bizevents:read",
        "storage:user.sessions:read",
        "storage:user.events:read",
        "storage:entities:read",
        "storage:smartscape:read",
        "storage:system:read",
        "storage:security.events:read",
        "storage:files:read",
        "slo:slos:read",
        "slo:slos:write",
        "slo:objective-templates:read",
        "environment-api:problems:read",
        "environment-api:entities:read",
        "environment-api:slo:read",
        "settings:objects:read",
        "app-engine:apps:run",
    }
)


@dataclass
class SimulatorOptions:
    """Credentials, scopes and faults of one simulator instance (None scopes = all granted).

    ``error_burst`` is ``(first, count)``: counted API requests number ``first`` to
    ``first + count - 1`` (1-based, token requests not counted) answer 503.
    ``rate_limit_every`` N makes every Nth counted request a 429 with ``Retry-After``.
    ``sso_origin`` is where SSO discovery points (e.g. ``https://sso.dynatrace.com`` behind a
    TLS front); None means the simulator's own origin, which serves the token endpoint.
    """

    api_token: str = DEFAULT_API_TOKEN
    token_scopes: set[str] | None = None
    oauth_client_id: str = DEFAULT_OAUTH_CLIENT_ID
    oauth_client_secret: str = DEFAULT_OAUTH_CLIENT_SECRET
    account_urn: str = DEFAULT_ACCOUNT_URN
    oauth_scopes: set[str] | None = None
    oauth_enabled: bool = True
    latency_ms: int = 0
    rate_limit_every: int = 0
    error_burst: tuple[int, int] | None = None
    token_expiry_s: int = 300
    query_running_ms: int = 0
    result_ttl_s: int = 60
    retry_after_s: int = 1
    sso_origin: str | None = None

    def __repr__(self) -> str:
        # Credentials are well-known defaults in most runs, but never print them anyway.
        return (
            f"SimulatorOptions(token_scopes={self.token_scopes!r}, oauth_scopes={self.oauth_scopes!r}, "
            f"oauth_enabled={self.oauth_enabled}, latency_ms={self.latency_ms}, "
            f"rate_limit_every={self.rate_limit_every}, error_burst={self.error_burst}, "
            f"token_expiry_s={self.token_expiry_s}, query_running_ms={self.query_running_ms}, "
            f"result_ttl_s={self.result_ttl_s})"
        )

    @property
    def granted_token_scopes(self) -> frozenset[str]:
        """Scopes of the API token."""
        return ALL_TOKEN_SCOPES if self.token_scopes is None else frozenset(self.token_scopes)

    @property
    def granted_oauth_scopes(self) -> frozenset[str]:
        """Scopes the OAuth client may be granted."""
        return ALL_OAUTH_SCOPES if self.oauth_scopes is None else frozenset(self.oauth_scopes)
