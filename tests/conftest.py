"""Suite-wide rules: tests talk to loopback only, and hypothesis runs are repeatable in CI.

Network guard: every test runs under pytest-socket with connections allowed only to loopback
addresses and Unix sockets, so a test that would reach a real Dynatrace tenant (or anything
else off this machine) fails with ``SocketConnectBlockedError`` instead of passing by luck
on a connected laptop. Servers the tests start bind 127.0.0.1 and stay reachable. An
explicit ``--allow-hosts`` (or ``--force-enable-socket``) on the command line wins.

Hypothesis profiles (choose with ``HYPOTHESIS_PROFILE``):

* ``dev`` (default outside CI): random examples, so local runs keep exploring;
* ``ci`` (default when ``CI`` is set): derandomised, so a CI failure reproduces exactly;
* ``nightly``: ten times the examples, for a long exploratory run;
* ``mutation``: few, derandomised examples, for ``evals/bench/bench_mutation.py`` (each
  mutant reruns the tests, so they must be quick and give the same verdict every time).

Tests that set ``max_examples`` themselves keep their own count in every profile.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from pytest_socket import socket_allow_hosts

#: Where tests may connect: IPv4 and IPv6 loopback (Unix sockets are allowed separately).
LOOPBACK_HOSTS = ["127.0.0.0/8", "::1"]

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile(
    "nightly", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("mutation", deadline=None, derandomize=True, max_examples=25, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Allow connections to loopback and Unix sockets only (pytest-socket undoes it at teardown)."""
    if item.config.getoption("--allow-hosts") or item.config.getoption("--force-enable-socket"):
        return
    socket_allow_hosts(LOOPBACK_HOSTS, allow_unix_socket=True)
