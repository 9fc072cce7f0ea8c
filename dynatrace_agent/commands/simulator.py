"""``dynatrace-agent simulator serve|generate``: run the simulator on loopback, scale a case.

``serve`` prints the ``DT_*`` environment variables that point the CLI (or any client) at
the simulator, then serves until interrupted. ``generate`` writes a larger variant of a case
for benchmarks.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

from dynatrace_agent.errors import ConfigurationError

__all__ = ["options_from_args", "register"]

#: A placeholder account URN: the simulator does not check it, clients may want one.


def register(subparsers: Any) -> None:
    """Add the ``simulator`` command and its subcommands."""
    parser = subparsers.add_parser(
        "simulator",
        help="run the Dynatrace simulator or scale an incident case",
        description=(
            "A local stand-in for a Dynatrace environment: 'serve' answers the classic and platform "
            "APIs from an incident case; 'generate' writes a larger copy of a case for benchmarks."
        ),
    )
    sub = parser.add_subparsers(dest="simulator_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])

    serve = sub.add_parser(
        "serve",
        help="serve an incident case over the Dynatrace APIs on loopback",
        description=(
            "Serve an incident case (default: the bundled demo incident) over the Dynatrace classic "
            "and platform APIs, with OAuth, paging, rate limits and injectable faults, so the agent, "
            "the tools or any Dynatrace client can be tried without a real environment."
        ),
    )
    serve.add_argument("--case", type=Path, help="case folder (default: the bundled demo incident)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8400, help="port (0 picks a free one; default 8400)")
    serve.add_argument("--latency-ms", type=int, default=0, help="added latency per request")
    serve.add_argument(
        "--rate-limit-every", type=int, default=0, metavar="N", help="answer every Nth request 429"
    )
    serve.add_argument(
        "--error-burst",
        type=_burst,
        metavar="FIRST:COUNT",
        help="answer requests FIRST..FIRST+COUNT-1 with 503",
    )
    serve.add_argument(
        "--token-expiry", type=int, default=300, metavar="S", help="OAuth token lifetime in seconds"
    )
    serve.add_argument("--query-running-ms", type=int, default=0, help="how long Grail queries stay RUNNING")
    serve.add_argument(
        "--token-scopes", type=_scopes, help="API-token scopes, comma-separated (default: all)"
    )
    serve.add_argument(
        "--oauth-scopes", type=_scopes, help="OAuth client scopes, comma-separated (default: all)"
    )
    serve.add_argument("--no-oauth", action="store_true", help="no OAuth and no platform APIs (Managed-like)")
    serve.set_defaults(handler=_serve)

    generate = sub.add_parser(
        "generate",
        help="write a larger variant of a case for benchmarks",
        description=(
            "Write a copy of a case with more log records and spans (same incident, same truth), "
            "deterministic for a seed, to measure the tools and the graph on larger data."
        ),
    )
    generate.add_argument("--case", type=Path, required=True, help="source case folder")
    generate.add_argument("--out", type=Path, required=True, help="output case folder (replaced)")
    generate.add_argument("--logs", type=_count, help="number of log records (default: keep)")
    generate.add_argument("--spans", type=_count, help="number of spans (default: keep)")
    generate.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    generate.set_defaults(handler=_generate)


def _burst(text: str) -> tuple[int, int]:
    first, sep, count = text.partition(":")
    try:
        value = (int(first), int(count))
    except ValueError:
        raise argparse.ArgumentTypeError("use FIRST:COUNT, e.g. 3:2 (requests 3 and 4 fail)") from None
    if not sep or value[0] < 1 or value[1] < 1:
        raise argparse.ArgumentTypeError("use FIRST:COUNT with both at least 1, e.g. 3:2")
    return value


def _scopes(text: str) -> set[str]:
    return {s.strip() for s in text.replace(" ", ",").split(",") if s.strip()}


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def options_from_args(args: argparse.Namespace) -> Any:
    """The SimulatorOptions the ``serve`` flags describe."""
    from dynatrace_agent.simulator import SimulatorOptions

    for flag in ("latency_ms", "rate_limit_every", "query_running_ms"):
        if getattr(args, flag) < 0:
            raise ConfigurationError(f"--{flag.replace('_', '-')} must not be negative")
    if args.token_expiry < 1:
        raise ConfigurationError("--token-expiry must be at least 1 second")
    return SimulatorOptions(
        token_scopes=args.token_scopes,
        oauth_scopes=args.oauth_scopes,
        oauth_enabled=not args.no_oauth,
        latency_ms=args.latency_ms,
        rate_limit_every=args.rate_limit_every,
        error_burst=args.error_burst,
        token_expiry_s=args.token_expiry,
        query_running_ms=args.query_running_ms,
    )


def environment_lines(options: Any, base_url: str) -> list[str]:
    """``export`` lines pointing a client at the simulator."""
    lines = [f"export DT_ENVIRONMENT_URL={base_url}", f"export DT_API_TOKEN={options.api_token}"]
    if options.oauth_enabled:
        lines += [
            f"export DT_OAUTH_CLIENT_ID={options.oauth_client_id}",
            f"export DT_OAUTH_CLIENT_SECRET={options.oauth_client_secret}",
            f"export DT_SSO_URL={base_url}/sso/oauth2/token",
            f"export DT_ACCOUNT_URN={options.account_urn}",
        ]
    return lines


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dynatrace_agent.case import demo_case_path, load_case
    from dynatrace_agent.simulator import create_app

    options = options_from_args(args)
    case = load_case(args.case if args.case is not None else demo_case_path())
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror}); pick another --port"
        ) from None
    port = sock.getsockname()[1]
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    base_url = f"http://{shown_host}:{port}"
    print(f"# dynatrace-agent simulator serving case {case.id!r} (now={case.now.isoformat()}) at {base_url}")
    for line in environment_lines(options, base_url):
        print(line)
    print("# Ctrl-C stops it.", flush=True)
    sys.stdout.flush()
    config = uvicorn.Config(create_app(case, options), log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _generate(args: argparse.Namespace) -> int:
    from dynatrace_agent.simulator.generate import generate_case

    try:
        out = generate_case(args.case, args.out, logs=args.logs, spans=args.spans, seed=args.seed)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    print(f"wrote {out}")
    return 0
