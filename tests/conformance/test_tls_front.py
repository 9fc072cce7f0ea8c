"""The loopback TLS front the MCP server judge relies on: it tunnels only the named hosts.

No Node needed: Python's own HTTPS client goes through the CONNECT proxy, trusting only the
run's throwaway CA, and reaches a plain-HTTP upstream on loopback.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conformance.tls_front import TlsFront

HOST = "abc00001.apps.dynatrace.com"


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{self.headers['Host']} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def front(tmp_path: Path) -> Iterator[TlsFront]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    tls = TlsFront({HOST}, ("127.0.0.1", upstream.server_address[1]), tmp_path)
    try:
        yield tls
    finally:
        tls.close()
        upstream.shutdown()
        upstream.server_close()


def _via(front: TlsFront, host: str, context: ssl.SSLContext) -> http.client.HTTPSConnection:
    conn = http.client.HTTPSConnection("127.0.0.1", front.port, context=context, timeout=10)
    conn.set_tunnel(host, 443)
    return conn


def test_tunnels_a_named_host_with_the_runs_ca(front: TlsFront) -> None:
    context = ssl.create_default_context(cafile=str(front.ca_path))
    conn = _via(front, HOST, context)
    conn.request("GET", "/platform/x")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == f"{HOST} /platform/x".encode()
    conn.close()
    assert front.connects == {HOST: 1} and not front.refused


def test_refuses_other_hosts_and_plain_proxying(front: TlsFront) -> None:
    context = ssl.create_default_context(cafile=str(front.ca_path))
    with pytest.raises(OSError, match="403"):
        _via(front, "example.org", context).request("GET", "/")
    plain = http.client.HTTPConnection("127.0.0.1", front.port, timeout=10)
    plain.request("GET", f"http://{HOST}/")
    assert plain.getresponse().status == 403
    plain.close()
    assert [line.rsplit(" ", 1)[0] for line in front.refused] == [
        "CONNECT example.org:443",
        f"GET http://{HOST}/",
    ]


def test_the_ca_is_trusted_nowhere_else(front: TlsFront) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        _via(front, HOST, ssl.create_default_context()).request("GET", "/")
