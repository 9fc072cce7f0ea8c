"""In-process use: settings + transport route production code to the simulator unchanged."""

from __future__ import annotations

import httpx
import pytest

from dynatrace_agent.case import IncidentCase, demo_case_path
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport


def test_settings_match_the_options() -> None:
    settings = simulator_settings(base_url="http://127.0.0.1:9999/")
    assert settings.classic_base_url == "http://127.0.0.1:9999"
    assert settings.platform_base_url == "http://127.0.0.1:9999"
    assert settings.sso_url == "http://127.0.0.1:9999/sso/oauth2/token"
    assert settings.api_token.get_secret_value() == "dt0c01.SIMULATOR.TOKEN" and settings.has_oauth
    assert "SIMULATOR.TOKEN" not in repr(settings)
    managed_like = simulator_settings(SimulatorOptions(oauth_enabled=False))
    assert not managed_like.has_oauth


async def test_any_host_reaches_the_app(sim_case: IncidentCase) -> None:
    options = SimulatorOptions(token_scopes={"problems.read"})
    settings = simulator_settings(options)
    transport = simulator_transport(sim_case, options)
    async with httpx.AsyncClient(transport=transport) as client:
        for base in ("https://abc12345.live.dynatrace.com", settings.classic_base_url):
            response = await client.get(
                f"{base}/api/v2/problems",
                headers={"Authorization": f"Api-Token {settings.api_token.get_secret_value()}"},
            )
            assert response.status_code == 200 and response.json()["problems"][0]["displayId"] == "P-250304"
        token = await client.post(
            "https://sso.dynatrace.com/sso/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": settings.oauth_client_id or "",
                "client_secret": settings.oauth_client_secret.get_secret_value()
                if settings.oauth_client_secret
                else "",
                "scope": "storage:logs:read storage:buckets:read",
            },
        )
        assert token.status_code == 200


@pytest.mark.skipif(
    not (demo_case_path() / "case.json").exists(), reason="the bundled demo case is not written yet"
)
async def test_default_transport_serves_the_demo_case() -> None:
    async with httpx.AsyncClient(transport=simulator_transport(), base_url="http://sim") as client:
        response = await client.get(
            "/api/v2/problems",
            params={"from": "now-1d"},
            headers={"Authorization": "Api-Token dt0c01.SIMULATOR.TOKEN"},
        )
        assert response.status_code == 200 and response.json()["totalCount"] >= 1


async def test_the_real_client_runs_unchanged(sim_case: IncidentCase) -> None:
    options = SimulatorOptions()
    async with DynatraceClient(
        simulator_settings(options), transport=simulator_transport(sim_case, options)
    ) as client:
        problem = await client.environment.get_problem("P-250304")
        assert problem["problemId"] == "-111_1741083600000V2"
        result = await client.grail.query(
            'fetch logs | filter loglevel == "ERROR" | summarize n = count()', scopes=["storage:logs:read"]
        )
        assert result.records == [{"n": "15"}]
