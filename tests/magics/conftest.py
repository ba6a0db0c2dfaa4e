"""Servers the magics tests point a kernel at: a sandbox, a proxy's HTML 502, a closed port.

All of them run in the test process on loopback, one per test module, so a kernel
started by the module can reach them for its whole life.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infrai_jupyter.sandbox import SandboxServer, SandboxSettings

MAGICS = (
    "infrai",
    "infrai_activate",
    "infrai_balance",
    "infrai_topup",
    "infrai_keys",
    "infrai_upgrade",
    "infrai_sandbox",
    "infrai_accounts",
    "infrai_login",
    "infrai_logout",
    "infrai_usage",
    "infrai_doctor",
)
"""The magics' fixed names (SPEC §4), in the order ``%infrai`` lists them."""

PROXY_502_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
"""


class _Proxy502Handler(BaseHTTPRequestHandler):
    """Answers every request the way a broken reverse proxy does: an HTML 502 page."""

    def _answer(self) -> None:
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PROXY_502_PAGE)))
        self.end_headers()
        self.wfile.write(PROXY_502_PAGE)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture(scope="module")
def proxy_502_url() -> Iterator[str]:
    """The base URL of a loopback server that answers everything with an HTML 502."""
    yield from _serve(_Proxy502Handler, "proxy-502")


HOSTILE_TEXT = "\x1b[2J\x1b]0;pwned\x07<script>alert(1)</script> \u202egnp.exe \u2066x\u2069"
"""What the key-echoing server wraps around the key: escapes, markup, bidi overrides."""


class _EchoKeyHandler(BaseHTTPRequestHandler):
    """A hostile API: a 401 quoting the caller's key in every field, in 200 kB of text each."""

    def _answer(self) -> None:
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        echoed = f"{HOSTILE_TEXT} {key} {'A' * 200_000}"
        body = json.dumps(
            {
                "ok": False,
                "data": None,
                "error": {
                    "code": f"BAD_KEY_{key}{HOSTILE_TEXT}",
                    "message": echoed,
                    "details": {"key": key, "missing_usd": "NaN"},
                },
                "metadata": {"request_id": f"{key}{HOSTILE_TEXT}", "vendor": echoed},
            }
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


def _serve(handler: type[BaseHTTPRequestHandler], name: str) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host!s}:{port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def echo_key_url() -> Iterator[str]:
    """The base URL of a loopback server whose errors quote the caller's key everywhere."""
    yield from _serve(_EchoKeyHandler, "echo-key")


@pytest.fixture(scope="module")
def closed_port_url() -> str:
    """A loopback URL nothing listens on: the port was free a moment ago and is closed now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def outer_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox in the test process, for a kernel that reaches it through INFRAI_BASE_URL."""
    db_path: Path = tmp_path_factory.mktemp("outer-sandbox") / "sandbox.sqlite3"
    with SandboxServer(SandboxSettings(db_path=db_path)) as server:
        yield server
