"""``serve``: what it refuses, what it prints, and the read timeouts of the real server."""

from __future__ import annotations

import asyncio
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynatrace_agent.cli import build_parser
from dynatrace_agent.commands.serve import plan
from dynatrace_agent.errors import ConfigurationError
from dynatrace_agent.webhook.dispatch import SettingsClientFactory
from dynatrace_agent.webhook.process_runner import ProcessPoolRunner
from graphs.investigation.run import InvestigationRunner
from tests.webhook.conftest import ADMIN, SECRET, make_config


def _args(*extra: str) -> Any:
    return build_parser().parse_args(["serve", *extra])


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("DT_AGENT_ADMIN_TOKEN", "DT_WEBHOOK_SECRET", "DT_AGENT_CONFIG", "DT_WEBHOOK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DT_AGENT_DB", str(tmp_path / "serve.sqlite3"))
    return monkeypatch


def test_a_public_address_without_admin_token_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DT_WEBHOOK_SECRET", SECRET)
    with pytest.raises(
        ConfigurationError, match=r"refusing to listen on 0\.0\.0\.0 without DT_AGENT_ADMIN_TOKEN"
    ):
        plan(_args("--demo", "--host", "0.0.0.0"))
    insecure = plan(_args("--demo", "--host", "0.0.0.0", "--insecure-no-auth"))
    assert any("--insecure-no-auth" in line and "open to anyone" in line for line in insecure.lines)
    assert plan(_args("--demo", "--host", "127.0.0.1")).config.admin_token is None
    assert plan(_args("--demo", "--host", "::1")).config.admin_token is None
    clean_env.setenv("DT_AGENT_ADMIN_TOKEN", ADMIN)
    protected = plan(_args("--demo", "--host", "0.0.0.0"))
    assert protected.config.admin_token is not None
    assert not any("open to anyone" in line for line in protected.lines)


def test_an_empty_admin_token_stops_serve(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DT_AGENT_ADMIN_TOKEN", "")
    with pytest.raises(ConfigurationError, match="set but empty"):
        plan(_args("--demo"))


def test_demo_prints_only_the_secret_it_generated(clean_env: pytest.MonkeyPatch) -> None:
    generated = plan(_args("--demo"))
    secret = generated.config.integrations[0].webhook_secret.get_secret_value()
    assert sum(secret in line for line in generated.lines) == 2  # the URL and the curl example
    assert isinstance(generated.runner, ProcessPoolRunner)  # investigations off the intake loop

    clean_env.setenv("DT_WEBHOOK_SECRET", SECRET)
    own = plan(_args("--demo"))
    text = "\n".join(own.lines)
    assert SECRET not in text
    assert "/webhooks/dynatrace/<webhook_secret>" in text


def test_serve_reads_the_settings_once_and_hands_the_investigator_its_model(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DT_AGENT_MODEL", "openai:gpt-x")
    served = plan(_args("--demo"))
    assert isinstance(served.runner, ProcessPoolRunner)
    investigator = served.runner.spec.investigator
    assert isinstance(investigator, InvestigationRunner) and investigator.model == "openai:gpt-x"


def test_worker_processes_get_the_settings_read_at_start_up_without_the_service_secrets(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DT_ENVIRONMENT_URL", "https://abc12345.live.dynatrace.com")
    clean_env.setenv("DT_API_TOKEN", "dt0c01.ABC.DEF")
    clean_env.setenv("DT_WEBHOOK_SECRET", SECRET)
    clean_env.setenv("DT_AGENT_ADMIN_TOKEN", ADMIN)
    served = plan(_args())
    assert isinstance(served.runner, ProcessPoolRunner)
    factory = served.runner.spec.client_factory
    assert isinstance(factory, SettingsClientFactory) and factory.default_environment() == "default"
    sent = pickle.dumps(served.runner.spec)  # what crosses to a worker process
    assert SECRET.encode() not in sent and ADMIN.encode() not in sent
    clean_env.setenv("DT_ENVIRONMENT_URL", "https://zzz99999.live.dynatrace.com")  # read once: no effect now
    assert pickle.loads(sent).client_factory.settings.environment().classic_base_url == (
        "https://abc12345.live.dynatrace.com"
    )


def test_serve_without_an_environment_says_how_to_configure_one(clean_env: pytest.MonkeyPatch) -> None:
    for name in ("DT_ENVIRONMENT_URL", "DT_API_TOKEN"):
        clean_env.delenv(name, raising=False)
    clean_env.setenv("DT_WEBHOOK_SECRET", SECRET)
    with pytest.raises(ConfigurationError, match="no Dynatrace environment is configured"):
        plan(_args())


# -- read timeouts on a real uvicorn server ------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    import uvicorn

    from dynatrace_agent.webhook.app import create_app
    from dynatrace_agent.webhook.timeouts import header_timeout_protocol

    config = make_config(tmp_path, header_timeout_s=0.5, body_timeout_s=0.5)
    app = create_app(config, start_workers=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="critical",
            http=header_timeout_protocol(config.header_timeout_s),
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def _read_all(sock: socket.socket, limit_s: float) -> bytes:
    sock.settimeout(limit_s)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        return data + b"<still open>"
    return data


def test_unfinished_headers_are_closed_with_408(server: int) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"POST /webhooks/dynatrace/x HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        answer = _read_all(sock, 5)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"<still open>" not in answer
    assert time.monotonic() - started < 4


def test_idle_connection_and_complete_requests_are_unaffected(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        for _ in range(3):  # keep-alive: each request finishes its headers well in time
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            sock.settimeout(5)
            head = sock.recv(4096)
            assert head.startswith(b"HTTP/1.1 200"), head
            time.sleep(0.2)


def test_a_body_that_stops_arriving_is_answered_408(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(
            f"POST /webhooks/dynatrace/{SECRET} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            'Content-Length: 100\r\n\r\n{"pid":'.encode()
        )
        answer = _read_all(sock, 5)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"did not arrive within 0.5 s" in answer


async def test_many_slow_connections_are_all_closed(server: int) -> None:
    async def slow() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost")
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.read(), 5)
        finally:
            writer.close()

    answers = await asyncio.gather(*(slow() for _ in range(50)))
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers)


def test_the_service_log_shows_investigations_finishing(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from dynatrace_agent.commands.serve import configure_logging

    logger = logging.getLogger("dynatrace_agent")
    before = (list(logger.handlers), logger.level, logger.propagate)
    try:
        configure_logging()
        configure_logging()  # idempotent: one handler, not two
        logging.getLogger("dynatrace_agent.webhook").info("investigation of P-1 finished in 1.0 s")
        err = capsys.readouterr().err
        assert err.count("investigation of P-1 finished in 1.0 s") == 1
        assert "INFO" in err
    finally:
        logger.handlers[:] = before[0]
        logger.setLevel(before[1])
        logger.propagate = before[2]
