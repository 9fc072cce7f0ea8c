"""The suite's network guard: loopback is reachable, anything else is refused before it is tried."""

from __future__ import annotations

import socket

import pytest
from hypothesis import settings
from pytest_socket import SocketConnectBlockedError


def test_a_connection_off_this_machine_is_blocked() -> None:
    # 192.0.2.1 is TEST-NET-1: never routed, so without the guard this would time out, not pass.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.warns(UserWarning), pytest.raises(SocketConnectBlockedError, match=r"192\.0\.2\.1"):
            sock.connect(("192.0.2.1", 443))
    finally:
        sock.close()


def test_loopback_stays_reachable() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        client.connect(server.getsockname())
        peer, _ = server.accept()
        peer.close()
    finally:
        client.close()
        server.close()


def test_a_hypothesis_profile_is_loaded() -> None:
    assert settings._current_profile in {"dev", "ci", "nightly"}
    assert settings().deadline is None
