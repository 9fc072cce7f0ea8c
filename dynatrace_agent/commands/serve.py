"""``dynatrace-agent serve``: the webhook intake, investigation workers and Alerts page.

``--demo`` needs no credentials: investigations run against the in-process simulator, a
webhook secret is generated if none is configured (and only a generated one is printed),
and the store is a fresh temporary SQLite file unless ``DT_AGENT_DB`` is set.
Investigations run in worker processes (``investigation_processes``, CPU cores - 1) so the
intake's event loop stays responsive; the HTTP protocol closes connections whose headers
do not arrive within ``header_timeout_s``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from dynatrace_agent.errors import ConfigurationError

if TYPE_CHECKING:
    from dynatrace_agent.settings import AgentSettings, WebhookConfig
    from dynatrace_agent.webhook.dispatch import JobRunner

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve",
        help="receive Dynatrace problem notifications, investigate them, show the Alerts page",
        description=(
            "Run the webhook service: POST /webhooks/dynatrace/<secret>, /alerts, /api/alerts, /healthz. "
            "Listening on a non-loopback address needs DT_AGENT_ADMIN_TOKEN (or --insecure-no-auth)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--config", metavar="FILE", help="TOML configuration (default: $DT_AGENT_CONFIG)")
    parser.add_argument("--demo", action="store_true", help="investigate against the bundled simulator")
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="allow a non-loopback address without DT_AGENT_ADMIN_TOKEN (anyone reaching it sees all alerts)",
    )
    parser.set_defaults(handler=_serve)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DemoClientFactory:
    """Clients of the bundled simulator (a class, so investigation worker processes can build it)."""

    def __call__(self, environment: str | None) -> Any:
        from dynatrace_agent.client import DynatraceClient
        from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport

        options = SimulatorOptions()
        return DynatraceClient(simulator_settings(options), transport=simulator_transport(None, options))

    def default_environment(self) -> str:
        return "simulator"


def _demo_problem() -> str:
    try:
        from dynatrace_agent.case import demo_case_path, load_case

        return str(load_case(demo_case_path()).problem)
    except Exception:  # the demo case is optional here; any id shows the flow
        return "P-1"


@dataclass
class ServePlan:
    """Everything ``serve`` decided before starting uvicorn (built apart so it can be tested)."""

    config: WebhookConfig
    runner: JobRunner
    lines: list[str] = field(default_factory=list)


def plan(args: argparse.Namespace) -> ServePlan:
    """Load the settings once, refuse unsafe setups, choose the runner, compose the banner.

    Raises ``ConfigurationError`` for a non-loopback address without an admin token (unless
    ``--insecure-no-auth``). Only secrets this command generated itself are printed.
    """
    from dynatrace_agent.settings import Integration, load_settings
    from dynatrace_agent.settings.webhook import check_integrations
    from dynatrace_agent.webhook.dispatch import LangGraphServerRunner

    settings = load_settings(config_path=args.config, require_environment=False, webhook=True)
    config = settings.service()
    if not args.demo:
        check_integrations(config)
    if config.admin_token is None and not _is_loopback(args.host) and not args.insecure_no_auth:
        raise ConfigurationError(
            f"refusing to listen on {args.host} without DT_AGENT_ADMIN_TOKEN: the Alerts page and API "
            "would be open to anyone who can reach it. Set DT_AGENT_ADMIN_TOKEN (at least 16 characters), "
            "listen on 127.0.0.1 behind a reverse proxy, or pass --insecure-no-auth to accept the risk."
        )
    base = f"http://{args.host}:{args.port}"
    generated: str | None = None
    runner: JobRunner
    if args.demo:
        if not config.integrations:
            generated = secrets.token_urlsafe(24)
            config = replace(
                config,
                integrations=(
                    Integration(name="demo", environment="simulator", webhook_secret=SecretStr(generated)),
                ),
            )
        if not os.environ.get("DT_AGENT_DB"):
            config = replace(
                config, database=str(Path(tempfile.mkdtemp(prefix="dt-agent-demo-")) / "alerts.sqlite3")
            )
        runner = _local_runner(settings, config, DemoClientFactory())
    elif config.runner == "langgraph":
        assert config.langgraph_url is not None
        runner = LangGraphServerRunner(
            config.langgraph_url, config.langgraph_graph_id, config.multitask_strategy
        )
    else:
        from dynatrace_agent.webhook.dispatch import SettingsClientFactory

        settings.environment()  # fail now, not at the first investigation
        runner = _local_runner(settings, config, SettingsClientFactory(settings))

    store = "PostgreSQL" if config.is_postgres else config.database
    lines = [f"dynatrace-agent webhook service on {base} (store: {store})"]
    for integration in config.integrations:
        shown = generated if generated is not None and integration.name == "demo" else "<webhook_secret>"
        lines.append(f"  integration {integration.name!r}: POST {base}/webhooks/dynatrace/{shown}")
    lines.append(f"  Alerts page: {base}/alerts")
    if args.demo:
        sample = {"problemId": _demo_problem(), "state": "OPEN", "title": "Demo problem"}
        target = generated if generated is not None else "<webhook_secret>"
        lines.append(
            f"  try: curl -X POST -H 'Content-Type: application/json' -d '{json.dumps(sample)}' "
            f"{base}/webhooks/dynatrace/{target}"
        )
    if config.admin_token is None and not _is_loopback(args.host):
        lines.append(
            "warning: --insecure-no-auth: the Alerts page and API are open to anyone who can reach "
            "this address; set DT_AGENT_ADMIN_TOKEN"
        )
    return ServePlan(config, runner, lines)


def _local_runner(settings: AgentSettings, config: WebhookConfig, clients: Any) -> JobRunner:
    """Investigations in this machine: the registered investigator, in worker processes if configured."""
    from dynatrace_agent.commands.registry import load_registry
    from dynatrace_agent.webhook.dispatch import InProcessRunner
    from dynatrace_agent.webhook.process_runner import ProcessPoolRunner, RunnerSpec

    investigator = load_registry().investigator_factory()(
        model=settings.model, token_budget=settings.token_budget
    )
    if config.investigation_processes > 0:
        return ProcessPoolRunner(RunnerSpec(investigator, clients), processes=config.investigation_processes)
    return InProcessRunner(investigator, clients)


def configure_logging() -> None:
    """Show the service's own messages (investigation started/finished/failed) on stderr.

    uvicorn configures only its own loggers; without this, the INFO lines of
    ``dynatrace_agent.webhook`` would be dropped and a finished investigation would leave no
    trace in the server log. The format matches uvicorn's lines.
    """
    from uvicorn.logging import DefaultFormatter

    logger = logging.getLogger("dynatrace_agent")
    if not any(getattr(h, "_dt_agent_serve", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s"))
        handler._dt_agent_serve = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dynatrace_agent.webhook.app import create_app
    from dynatrace_agent.webhook.timeouts import header_timeout_protocol

    served = plan(args)
    configure_logging()
    app = create_app(served.config, runner=served.runner)
    for line in served.lines:
        print(line, file=sys.stderr)
    # The access log would print webhook secrets (they are in the path): keep it off.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,
        log_level="info",
        http=header_timeout_protocol(served.config.header_timeout_s),
        timeout_keep_alive=5,
    )
    return 0
