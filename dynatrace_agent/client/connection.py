"""The connection test: what works in an environment, per plane and per capability.

A *plane* FAILS only when something breaks all of it: on the Environment API an invalid,
disabled or expired token, or a token without ``problems.read`` (no investigation can start);
on the platform incomplete OAuth credentials, a rejected OAuth client, no token obtainable for
any scope, or a platform base that does not answer. A *capability* is UNAVAILABLE when its own
scope is not granted (or its plane is not configured: no OAuth, Managed without platform URL)
— the agent then runs without it. Token scopes come from ``POST /api/v2/apiTokens/lookup``;
OAuth scopes are learned by requesting one token per scope (``invalid_scope`` = not granted).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httpx

from dynatrace_agent.client.dynatrace import DynatraceClient
from dynatrace_agent.client.http import RetryPolicy
from dynatrace_agent.client.scopes import (
    BUCKETS_SCOPE,
    CAPABILITY_SCOPES,
    ENVIRONMENT_PLANE,
    PLATFORM_PLANE,
    CapabilityScopes,
    Plane,
)
from dynatrace_agent.errors import (
    AuthenticationError,
    BadRequestError,
    DQLSyntaxError,
    DynatraceAgentError,
    MissingScopeError,
)
from dynatrace_agent.settings import OAUTH_VARIABLES, EnvironmentSettings
from dynatrace_agent.values import parse_timestamp

__all__ = ["CapabilityReport", "ConnectionReport", "PlaneReport", "Status", "test_connection"]

PLANE_LABELS: dict[Plane, str] = {
    ENVIRONMENT_PLANE: "Environment API (token)",
    PLATFORM_PLANE: "Grail / platform (OAuth)",
}
#: A connection test should answer quickly: fewer, shorter retries than normal calls.
CONNECTION_RETRY = RetryPolicy(max_attempts=2, backoff_base_s=0.5, max_total_s=10.0)
PROBE_QUERY = "data record(ok = 1)"


class Status(StrEnum):
    """Outcome of a plane or capability check."""

    OK = "OK"
    UNAVAILABLE = "UNAVAILABLE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class PlaneReport:
    """One API plane: its status, the reason in words, and the base URL checked."""

    plane: Plane
    label: str
    status: Status
    reason: str
    base_url: str | None


@dataclass(frozen=True)
class CapabilityReport:
    """One capability: its status, the reason, and the scopes it needs."""

    name: str
    plane: Plane
    status: Status
    reason: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class ConnectionReport:
    """Everything test-connection found for one environment."""

    environment: str
    planes: tuple[PlaneReport, ...]
    capabilities: tuple[CapabilityReport, ...]
    api_calls: int

    @property
    def ok(self) -> bool:
        """No plane FAILED (UNAVAILABLE planes and capabilities are fine)."""
        return all(p.status is not Status.FAILED for p in self.planes)

    def plane(self, plane: Plane) -> PlaneReport:
        """The report of one plane."""
        return next(p for p in self.planes if p.plane == plane)

    def capability(self, name: str) -> CapabilityReport:
        """The report of one capability."""
        return next(c for c in self.capabilities if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (statuses as strings)."""
        return {
            "environment": self.environment,
            "ok": self.ok,
            "api_calls": self.api_calls,
            "planes": [{**asdict(p), "status": p.status.value} for p in self.planes],
            "capabilities": [
                {**asdict(c), "status": c.status.value, "scopes": list(c.scopes)} for c in self.capabilities
            ],
        }


def _caps(plane: Plane) -> list[CapabilityScopes]:
    return [c for c in CAPABILITY_SCOPES.values() if c.plane == plane]


def _all(caps: Iterable[CapabilityScopes], status: Status, reason: str) -> list[CapabilityReport]:
    return [CapabilityReport(c.name, c.plane, status, reason, c.token_scopes) for c in caps]


def _by_scopes(caps: Iterable[CapabilityScopes], granted: set[str], holder: str) -> list[CapabilityReport]:
    reports = []
    for cap in caps:
        missing = [s for s in cap.token_scopes if s not in granted]
        if missing:
            reason = f"{holder} lacks {', '.join(missing)}; grant it to enable {cap.description}"
            reports.append(
                CapabilityReport(cap.name, cap.plane, Status.UNAVAILABLE, reason, cap.token_scopes)
            )
        else:
            reports.append(
                CapabilityReport(cap.name, cap.plane, Status.OK, cap.description, cap.token_scopes)
            )
    return reports


async def _first(items: AsyncIterator[dict[str, Any]]) -> None:
    async for _ in items:
        return


async def _probe_environment(client: DynatraceClient) -> set[str]:
    """Scopes inferred by calling each capability cheaply (when token lookup is not allowed)."""
    env = client.environment
    probes: dict[str, Callable[[], AsyncIterator[dict[str, Any]]]] = {
        "problems.read": lambda: env.list_problems(page_size=1, max_items=1),
        "entities.read": lambda: env.list_entities('type("HOST")', page_size=1, max_items=1),
        "settings.read": lambda: env.list_settings_objects(["builtin:alerting.profile"], max_items=1),
    }
    granted = set()
    for scope, probe in probes.items():
        try:
            await _first(probe())
        except MissingScopeError:
            continue
        granted.add(scope)
    return granted


async def _environment_plane(client: DynatraceClient) -> tuple[PlaneReport, list[CapabilityReport]]:
    settings = client.settings
    caps = _caps(ENVIRONMENT_PLANE)
    label = PLANE_LABELS[ENVIRONMENT_PLANE]

    def failed(reason: str) -> tuple[PlaneReport, list[CapabilityReport]]:
        plane = PlaneReport(ENVIRONMENT_PLANE, label, Status.FAILED, reason, settings.classic_base_url)
        return plane, _all(caps, Status.FAILED, "the Environment API plane failed (see above)")

    token_name = ""
    try:
        try:
            meta = await client.environment.token_metadata()
        except MissingScopeError:
            granted = await _probe_environment(client)  # lookup itself not permitted: probe instead
        else:
            if meta.get("enabled") is False:
                return failed("the API token (DT_API_TOKEN) is disabled; enable it or create a new one")
            expires = parse_timestamp(meta.get("expirationDate"))
            if expires is not None and expires <= datetime.now(UTC):
                return failed(f"the API token (DT_API_TOKEN) expired on {expires:%Y-%m-%d}; create a new one")
            scopes = meta.get("scopes")
            granted = {str(s) for s in scopes} if isinstance(scopes, list) else set()
            token_name = (
                f' "{meta["name"]}"' if isinstance(meta.get("name"), str) and meta.get("name") else ""
            )
    except DynatraceAgentError as exc:
        return failed(str(exc))
    reports = _by_scopes(caps, granted, "the API token")
    essential = [s for c in caps if c.essential for s in c.scopes if s not in granted]
    if essential:
        reason = (
            f"the API token lacks {', '.join(essential)}, which every investigation needs; "
            "add it to the token (Access tokens > edit)"
        )
        plane = PlaneReport(ENVIRONMENT_PLANE, label, Status.FAILED, reason, settings.classic_base_url)
        return plane, reports
    usable = sum(r.status is Status.OK for r in reports)
    reason = f"API token{token_name} accepted; {usable} of {len(reports)} capabilities available"
    return PlaneReport(ENVIRONMENT_PLANE, label, Status.OK, reason, settings.classic_base_url), reports


async def _platform_plane(client: DynatraceClient) -> tuple[PlaneReport, list[CapabilityReport]]:
    settings = client.settings
    caps = _caps(PLATFORM_PLANE)
    label = PLANE_LABELS[PLATFORM_PLANE]
    base = settings.platform_base_url

    def plane_only(
        status: Status, reason: str, cap_reason: str
    ) -> tuple[PlaneReport, list[CapabilityReport]]:
        return PlaneReport(PLATFORM_PLANE, label, status, reason, base), _all(caps, status, cap_reason)

    if settings.oauth_problem:
        return plane_only(
            Status.FAILED, settings.oauth_problem, "the Grail plane failed: OAuth is incomplete"
        )
    if base is None:
        return plane_only(
            Status.UNAVAILABLE,
            "Managed environment without a platform plane; set DT_PLATFORM_URL if it has one",
            "no platform plane",
        )
    if client.tokens is None:
        return plane_only(
            Status.UNAVAILABLE,
            f"no OAuth client configured; set {OAUTH_VARIABLES} to enable Grail",
            f"needs an OAuth client ({OAUTH_VARIABLES})",
        )
    tokens = client.tokens
    scopes = sorted({s for c in caps for s in c.token_scopes})

    async def probe(scope: str) -> DynatraceAgentError | None:
        try:
            await tokens.token([scope])
        except DynatraceAgentError as exc:
            return exc
        return None

    outcomes = dict(zip(scopes, await asyncio.gather(*(probe(s) for s in scopes)), strict=True))
    granted = {s for s, err in outcomes.items() if err is None}
    errors = [err for err in outcomes.values() if err is not None and not isinstance(err, MissingScopeError)]
    rejected = next((e for e in errors if isinstance(e, AuthenticationError)), None)
    if rejected is not None:
        return plane_only(Status.FAILED, str(rejected), "the Grail plane failed: OAuth client rejected")
    if not granted:
        reason = (
            str(errors[0])
            if errors
            else f"no OAuth token obtainable: the client is granted none of {', '.join(scopes)}"
        )
        return plane_only(Status.FAILED, reason, "the Grail plane failed: no token obtainable")
    if BUCKETS_SCOPE in granted:
        failure = await _probe_grail(client)
        if failure is not None:
            return plane_only(Status.FAILED, failure, "the Grail plane failed: platform not reachable")
    reports = []
    for cap in caps:
        cap_errors = [outcomes[s] for s in cap.token_scopes if outcomes[s] is not None]
        hard = [e for e in cap_errors if not isinstance(e, MissingScopeError)]
        if hard:
            reports.append(
                CapabilityReport(cap.name, cap.plane, Status.FAILED, str(hard[0]), cap.token_scopes)
            )
        else:
            reports.extend(_by_scopes([cap], granted, "the OAuth client"))
    usable = sum(r.status is Status.OK for r in reports)
    reason = f"OAuth client accepted; {usable} of {len(reports)} capabilities available"
    return PlaneReport(PLATFORM_PLANE, label, Status.OK, reason, base), reports


async def _probe_grail(client: DynatraceClient) -> str | None:
    """Run a trivial query to prove the platform base answers and accepts the token."""
    try:
        await client.grail.query(PROBE_QUERY, scopes=[], max_result_records=1, deadline_s=10.0)
    except (DQLSyntaxError, BadRequestError):
        return None  # the platform answered and accepted the token; the probe syntax is not the point
    except DynatraceAgentError as exc:
        return f"the Grail query endpoint at {client.settings.platform_base_url} failed: {exc}"
    return None


async def test_connection(
    settings: EnvironmentSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> ConnectionReport:
    """Check both planes and every capability of one environment; never raises for API failures."""
    async with DynatraceClient(settings, transport=transport, retry=retry or CONNECTION_RETRY) as client:
        (env_plane, env_caps), (platform, platform_caps) = await asyncio.gather(
            _environment_plane(client), _platform_plane(client)
        )
        return ConnectionReport(
            environment=settings.name,
            planes=(env_plane, platform),
            capabilities=(*env_caps, *platform_caps),
            api_calls=client.api_calls,
        )


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
