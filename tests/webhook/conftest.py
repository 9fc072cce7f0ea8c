"""Shared fixtures: a configured app over a temporary SQLite store and the fake graph."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from dynatrace_agent.settings import Integration, WebhookConfig, load_settings
from dynatrace_agent.settings.webhook import check_integrations
from dynatrace_agent.webhook.app import create_app
from dynatrace_agent.webhook.dispatch import InProcessRunner
from tests.webhook import fake_graph

SECRET = "prod-secret-0123456789abcdef"
SIGNED_SECRET = "signed-secret-0123456789abcdef"
SIGNING = "bearer-token-0123456789abcdef"
ADMIN = "admin-token-0123456789abcdef"


class FakeClient:
    """Stands in for DynatraceClient: the runner must close it after each run."""

    closed = 0

    async def aclose(self) -> None:
        FakeClient.closed += 1


def make_runner() -> InProcessRunner:
    return InProcessRunner(fake_graph.FakeInvestigator(), lambda env: FakeClient())


def load_service_config(
    *, config_path: str | Path | None = None, env: dict[str, str] | None = None
) -> WebhookConfig:
    """The webhook part of the settings, read the way ``serve`` reads it (integrations required)."""
    settings = load_settings(config_path=config_path, env=env, require_environment=False, webhook=True)
    config = settings.service()
    check_integrations(config)
    return config


def make_config(tmp_path: Path, **overrides: Any) -> WebhookConfig:
    values: dict[str, Any] = {
        "integrations": (
            Integration(name="prod", environment="prod", webhook_secret=SecretStr(SECRET)),
            Integration(
                name="signed", webhook_secret=SecretStr(SIGNED_SECRET), signing_secret=SecretStr(SIGNING)
            ),
        ),
        "database": str(tmp_path / "alerts.sqlite3"),
        "poll_interval_s": 0.05,
        "backoff_base_s": 0.05,
        "backoff_max_s": 0.1,
    }
    values.update(overrides)
    return WebhookConfig(**values)


@pytest.fixture(autouse=True)
def _reset_runs() -> None:
    fake_graph.RUNS.clear()


@contextlib.asynccontextmanager
async def running_app(config: WebhookConfig, **kwargs: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    kwargs.setdefault("runner", make_runner())
    app = create_app(config, **kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async with running_app(make_config(tmp_path)) as pair:
        yield pair


def notify(client: httpx.AsyncClient, body: Any, *, secret: str = SECRET, **kwargs: Any) -> Any:
    return client.post(f"/webhooks/dynatrace/{secret}", json=body, **kwargs)


Notify = Callable[..., Any]


@pytest.fixture(scope="session")
def postgres_url() -> Any:
    """A running throw-away PostgreSQL server (skipped with the reason when impossible)."""
    from tests.webhook.pg_server import postgres_server, skip_reason

    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    with postgres_server() as url:
        yield url
