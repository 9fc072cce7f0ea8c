"""``dynatrace-agent serve``: the webhook intake, investigation workers and Alerts page.

``--demo`` needs no credentials: investigations run against the in-process simulator, a
webhook secret is generated if none is configured, and the store is a fresh temporary
SQLite file unless ``DT_AGENT_DB`` is set.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="receive Dynatrace problem notifications, investigate them, show the Alerts page",
        description=(
            "Run the webhook service: POST /webhooks/dynatrace/<secret>, /alerts, /api/alerts, /healthz."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--config", metavar="FILE", help="TOML configuration (default: $DT_AGENT_CONFIG)")
    parser.add_argument("--demo", action="store_true", help="investigate against the bundled simulator")
    parser.set_defaults(handler=_serve)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _demo_client_factory() -> Any:
    from dynatrace_agent.client import DynatraceClient
    from dynatrace_agent.simulator import SimulatorOptions, simulator_settings, simulator_transport

    def build(environment: str | None) -> Any:
        options = SimulatorOptions()
        return DynatraceClient(simulator_settings(options), transport=simulator_transport(None, options))

    return build


def _demo_problem() -> str:
    try:
        from dynatrace_agent.case import demo_case_path, load_case

        return str(load_case(demo_case_path()).problem)
    except Exception:  # the demo case is optional here; any id shows the flow
        return "P-1"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dynatrace_agent.webhook.app import create_app
    from dynatrace_agent.webhook.config import Integration, load_webhook_config
    from dynatrace_agent.webhook.dispatch import (
        InProcessRunner,
        InvestigationRunner,
        LangGraphServerRunner,
        settings_client_factory,
    )

    config = load_webhook_config(config_path=args.config, require_integrations=not args.demo)
    base = f"http://{args.host}:{args.port}"
    runner: InvestigationRunner
    if args.demo:
        if not config.integrations:
            config = replace(
                config,
                integrations=(
                    Integration(
                        name="demo",
                        environment="simulator",
                        webhook_secret=SecretStr(secrets.token_urlsafe(24)),
                    ),
                ),
            )
        if not os.environ.get("DT_AGENT_DB"):
            config = replace(
                config, database=str(Path(tempfile.mkdtemp(prefix="dt-agent-demo-")) / "alerts.sqlite3")
            )
        runner = InProcessRunner(config.graph, _demo_client_factory(), context_ref=config.context)
    elif config.runner == "langgraph":
        assert config.langgraph_url is not None
        runner = LangGraphServerRunner(
            config.langgraph_url, config.langgraph_graph_id, config.multitask_strategy
        )
    else:
        from dynatrace_agent.settings import load_settings

        load_settings(config_path=args.config)  # fail now, not at the first investigation
        runner = InProcessRunner(
            config.graph, settings_client_factory(args.config), context_ref=config.context
        )

    app = create_app(config, runner=runner)
    store = "PostgreSQL" if config.is_postgres else config.database
    print(f"dynatrace-agent webhook service on {base} (store: {store})", file=sys.stderr)
    for integration in config.integrations:
        secret = integration.webhook_secret.get_secret_value() if args.demo else "<webhook_secret>"
        print(f"  integration {integration.name!r}: POST {base}/webhooks/dynatrace/{secret}", file=sys.stderr)
    print(f"  Alerts page: {base}/alerts", file=sys.stderr)
    if args.demo:
        sample = {"problemId": _demo_problem(), "state": "OPEN", "title": "Demo problem"}
        secret = config.integrations[0].webhook_secret.get_secret_value()
        print(
            f"  try: curl -X POST -H 'Content-Type: application/json' -d '{json.dumps(sample)}' "
            f"{base}/webhooks/dynatrace/{secret}",
            file=sys.stderr,
        )
    if config.admin_token is None and not _is_loopback(args.host):
        print(
            "warning: the Alerts page and API are open to anyone who can reach this address; "
            "set DT_AGENT_ADMIN_TOKEN",
            file=sys.stderr,
        )
    # The access log would print webhook secrets (they are in the path): keep it off.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="info")
    return 0
