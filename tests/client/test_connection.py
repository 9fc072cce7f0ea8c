"""test_connection and the test-connection command: per plane, per capability, exit status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from dynatrace_agent.cli import main
from dynatrace_agent.client import CAPABILITY_SCOPES, ConnectionReport, Status, test_connection
from dynatrace_agent.client.http import RetryPolicy

from .conftest import (
    ACCOUNT_URN,
    API_TOKEN,
    CLASSIC,
    CLIENT_ID,
    CLIENT_SECRET,
    QUERY,
    SSO,
    Sleeps,
    assert_no_secret,
    make_settings,
)

ALL_TOKEN_SCOPES = ["problems.read", "entities.read", "settings.read"]
ALL_OAUTH_SCOPES = {s for c in CAPABILITY_SCOPES.values() if c.plane == "platform" for s in c.token_scopes}


class Tenant:
    """A fake tenant whose token scopes and OAuth grants each test sets."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.token_scopes: list[str] | None = list(ALL_TOKEN_SCOPES)  # None: lookup forbidden
        self.token_valid = True
        self.token_enabled = True
        self.oauth_scopes = set(ALL_OAUTH_SCOPES)
        self.client_valid = True
        self.grail_status = 200
        self.classic_scopes_for_probe = set(ALL_TOKEN_SCOPES)
        router.post(f"{CLASSIC}/api/v2/apiTokens/lookup").mock(side_effect=self.lookup)
        router.post(SSO).mock(side_effect=self.token)
        router.post(f"{QUERY}/query:execute").mock(side_effect=self.execute)
        for path, scope in (
            ("problems", "problems.read"),
            ("entities", "entities.read"),
            ("settings/objects", "settings.read"),
        ):
            router.get(f"{CLASSIC}/api/v2/{path}").mock(side_effect=self.probe(scope))

    def lookup(self, request: httpx.Request) -> httpx.Response:
        if not self.token_valid:
            return httpx.Response(
                401, json={"error": {"code": 401, "message": "Token Authentication failed"}}
            )
        if self.token_scopes is None:
            return httpx.Response(
                403, json={"error": {"code": 403, "message": "Token is missing required scope."}}
            )
        return httpx.Response(
            200, json={"name": "agent token", "enabled": self.token_enabled, "scopes": self.token_scopes}
        )

    def probe(self, scope: str):  # type: ignore[no-untyped-def]
        def handler(request: httpx.Request) -> httpx.Response:
            if scope in self.classic_scopes_for_probe:
                return httpx.Response(200, json={"problems": [], "entities": [], "items": []})
            return httpx.Response(403, json={"error": {"code": 403, "message": f"Use one of: {scope}"}})

        return handler

    def token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        if not self.client_valid or form["client_secret"] != [CLIENT_SECRET]:
            return httpx.Response(400, json={"error": "invalid_client", "error_description": "bad client"})
        if not set(form["scope"][0].split()) <= self.oauth_scopes:
            return httpx.Response(400, json={"error": "invalid_scope", "error_description": "not granted"})
        return httpx.Response(200, json={"access_token": "ACCESS-TOKEN-SECRET", "expires_in": 300})

    def execute(self, request: httpx.Request) -> httpx.Response:
        if self.grail_status != 200:
            return httpx.Response(
                self.grail_status, json={"error": {"code": self.grail_status, "message": "no"}}
            )
        return httpx.Response(
            200, json={"state": "SUCCEEDED", "result": {"records": [{"ok": 1}], "types": []}}
        )


@pytest.fixture
def tenant(router: respx.MockRouter) -> Tenant:
    return Tenant(router)


@pytest.fixture
def quick(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, rand=lambda: 0.0, max_attempts=2)


def statuses(report: ConnectionReport) -> dict[str, str]:
    return {c.name: c.status.value for c in report.capabilities}


async def check(router: respx.MockRouter, quick: RetryPolicy, **overrides: object) -> ConnectionReport:
    settings = make_settings(**overrides)
    return await test_connection(settings, transport=httpx.MockTransport(router.async_handler), retry=quick)


async def test_everything_granted(tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy) -> None:
    report = await check(router, quick)
    assert report.ok
    assert [p.status for p in report.planes] == [Status.OK, Status.OK]
    assert set(statuses(report).values()) == {"OK"}
    assert 'API token "agent token" accepted' in report.plane("environment").reason
    assert report.api_calls == 1 + len(ALL_OAUTH_SCOPES) + 1  # lookup, one token per scope, probe query


async def test_one_ungranted_oauth_scope_disables_only_its_capability(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.oauth_scopes.discard("storage:logs:read")
    report = await check(router, quick)
    assert report.ok
    caps = statuses(report)
    assert caps["logs"] == "UNAVAILABLE"
    assert {k for k, v in caps.items() if v != "OK"} == {"logs"}
    assert "storage:logs:read" in report.capability("logs").reason


async def test_without_buckets_scope_every_grail_storage_capability_is_unavailable_but_slos_work(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.oauth_scopes.discard("storage:buckets:read")
    report = await check(router, quick)
    caps = statuses(report)
    assert caps["slos"] == "OK"
    assert all(caps[c.name] == "UNAVAILABLE" for c in CAPABILITY_SCOPES.values() if c.grail)
    assert report.plane("platform").status is Status.OK


async def test_missing_token_scope_makes_that_capability_unavailable(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.token_scopes = ["problems.read", "entities.read"]
    report = await check(router, quick)
    assert report.ok and statuses(report)["alerting_rules"] == "UNAVAILABLE"
    assert "settings.read" in report.capability("alerting_rules").reason


async def test_token_without_problems_read_fails_the_environment_plane(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.token_scopes = ["entities.read"]
    report = await check(router, quick)
    assert not report.ok
    assert report.plane("environment").status is Status.FAILED
    assert "problems.read" in report.plane("environment").reason


@pytest.mark.parametrize("field", ["valid", "enabled"])
async def test_invalid_or_disabled_token_fails_the_environment_plane_only(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy, field: str
) -> None:
    setattr(tenant, f"token_{field}", False)
    report = await check(router, quick)
    assert report.plane("environment").status is Status.FAILED
    assert report.plane("platform").status is Status.OK
    assert all(c.status is Status.FAILED for c in report.capabilities if c.plane == "environment")
    assert "DT_API_TOKEN" in report.plane("environment").reason


async def test_lookup_forbidden_falls_back_to_probing(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.token_scopes = None
    tenant.classic_scopes_for_probe = {"problems.read", "settings.read"}
    report = await check(router, quick)
    assert report.ok
    assert statuses(report)["entities"] == "UNAVAILABLE"
    assert statuses(report)["alerting_rules"] == "OK"


async def test_no_oauth_shows_grail_unavailable_not_failed(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    report = await check(router, quick, oauth_client_id=None, oauth_client_secret=None)
    assert report.ok
    assert report.plane("platform").status is Status.UNAVAILABLE
    assert all(c.status is Status.UNAVAILABLE for c in report.capabilities if c.plane == "platform")


async def test_incomplete_oauth_fails_the_grail_plane_naming_the_missing_field(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    from dynatrace_agent.settings import EnvironmentSettings

    settings = EnvironmentSettings.model_validate(
        {"environment_url": CLASSIC, "api_token": API_TOKEN, "oauth_client_id": CLIENT_ID},
        context={"allow_partial_oauth": True},
    )
    report = await test_connection(settings, transport=httpx.MockTransport(router.async_handler), retry=quick)
    assert not report.ok
    plane = report.plane("platform")
    assert plane.status is Status.FAILED and "DT_OAUTH_CLIENT_SECRET" in plane.reason
    assert report.plane("environment").status is Status.OK


async def test_rejected_oauth_client_fails_the_grail_plane(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.client_valid = False
    report = await check(router, quick)
    assert report.plane("platform").status is Status.FAILED
    assert "DT_OAUTH_CLIENT_SECRET" in report.plane("platform").reason
    assert_no_secret(json.dumps(report.to_dict()))


async def test_no_scope_granted_at_all_means_no_token_obtainable(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.oauth_scopes = set()
    report = await check(router, quick)
    assert report.plane("platform").status is Status.FAILED
    assert "no OAuth token obtainable" in report.plane("platform").reason


async def test_platform_that_refuses_the_token_fails_the_plane(
    tenant: Tenant, router: respx.MockRouter, quick: RetryPolicy
) -> None:
    tenant.grail_status = 404
    report = await check(router, quick)
    assert report.plane("platform").status is Status.FAILED
    assert "query endpoint" in report.plane("platform").reason


async def test_unreachable_classic_host_fails_that_plane(
    router: respx.MockRouter, quick: RetryPolicy
) -> None:
    router.post(f"{CLASSIC}/api/v2/apiTokens/lookup").mock(side_effect=httpx.ConnectError("refused"))
    report = await check(router, quick, oauth_client_id=None, oauth_client_secret=None)
    assert report.plane("environment").status is Status.FAILED
    assert "could not reach" in report.plane("environment").reason


# ---- the command ------------------------------------------------------------------------


@pytest.fixture
def dt_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("DT_AGENT_CONFIG", "DT_SSO_URL", "DT_PLATFORM_URL", "DT_ACCOUNT_URN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DT_ENVIRONMENT_URL", CLASSIC)
    monkeypatch.setenv("DT_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("DT_OAUTH_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("DT_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("DT_ACCOUNT_URN", ACCOUNT_URN)
    yield


def test_cli_table_and_exit_zero(tenant: Tenant, dt_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    tenant.oauth_scopes.discard("storage:spans:read")
    assert main(["test-connection"]) == 0
    out = capsys.readouterr().out
    assert "Environment API (token)" in out and "Grail / platform (OAuth)" in out
    assert "traces" in out and "UNAVAILABLE" in out and "Result: OK" in out
    assert_no_secret(out)


def test_cli_json_and_exit_one_when_a_plane_failed(
    tenant: Tenant, dt_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant.token_valid = False
    assert main(["test-connection", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert {p["plane"]: p["status"] for p in data["planes"]} == {"environment": "FAILED", "platform": "OK"}
    assert_no_secret(json.dumps(data))


def test_cli_reports_incomplete_oauth_as_a_failed_plane(
    tenant: Tenant, dt_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DT_OAUTH_CLIENT_SECRET")
    assert main(["test-connection"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "DT_OAUTH_CLIENT_SECRET" in out
    assert_no_secret(out)


def test_cli_env_from_file_and_unknown_env(
    tenant: Tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in (
        "DT_ENVIRONMENT_URL",
        "DT_API_TOKEN",
        "DT_OAUTH_CLIENT_ID",
        "DT_OAUTH_CLIENT_SECRET",
        "DT_AGENT_CONFIG",
    ):
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "dt.toml"
    config.write_text(
        f'default = "prod"\n[environments.prod]\nurl = "{CLASSIC}"\napi_token = "{API_TOKEN}"\n'
        f'[environments.staging]\nurl = "https://stg.live.dynatrace.com"\napi_token = "{API_TOKEN}"\n'
    )
    assert main(["test-connection", "--config", str(config), "--env", "prod"]) == 0
    assert 'Environment "prod"' in capsys.readouterr().out
    assert main(["test-connection", "--config", str(config), "--env", "nope"]) == 2
    err = capsys.readouterr().err
    assert 'unknown environment "nope"' in err and "prod, staging" in err


def test_cli_bad_token_shape_is_one_clear_line(
    dt_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DT_API_TOKEN", CLIENT_SECRET)
    assert main(["test-connection"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "OAuth client secret" in captured.err
    assert "Traceback" not in captured.err
    assert_no_secret(captured.err + captured.out)
