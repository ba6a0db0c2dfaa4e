"""``%config InfraiMagics.proxy`` and ``.verify`` reach httpx: calls go where they say."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import certifi
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from infrai_jupyter import _default
from infrai_jupyter.magics.errors import InfraiCellError
from infrai_jupyter.results import Balance

KEY = "ifr_pk_proj_networknetworknetwork0001"
NOWHERE = "http://api.infrai.invalid"  # resolves nowhere: only a proxy can answer for it


class RecordingProxy(BaseHTTPRequestHandler):
    """A forward proxy that answers itself: it records the request line it was sent."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        RecordingProxy.seen.append(self.requestline)
        body = json.dumps(
            {"ok": True, "data": {"balance_usd": "4.25", "currency": "USD"}, "error": None}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def proxy_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    RecordingProxy.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("INFRAI_API_KEY", KEY)
    monkeypatch.setenv("INFRAI_BASE_URL", NOWHERE)
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    _default.reset()
    shell = InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))
    shell.extension_manager.load_extension("infrai_jupyter")
    yield shell
    shell.extension_manager.unload_extension("infrai_jupyter")
    _default.configure_network()
    _default.reset()


def test_the_proxy_setting_sends_every_call_through_the_proxy(
    shell: InteractiveShell, proxy_url: str
) -> None:
    shell.run_line_magic("config", "InfraiMagics.max_retries = 0")
    shell.run_line_magic("config", f"InfraiMagics.proxy = {proxy_url!r}")
    balance = shell.run_line_magic("infrai_balance", "")
    assert isinstance(balance, Balance) and str(balance.balance_usd) == "4.25"
    assert RecordingProxy.seen == [f"GET {NOWHERE}/v1/account/balance HTTP/1.1"]


def test_a_ca_path_that_does_not_exist_is_refused_by_name(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("config", "InfraiMagics.verify = '/nowhere/corporate-ca.pem'")
    with pytest.raises(InfraiCellError):
        shell.run_line_magic("infrai_balance", "")
    assert "No CA file or directory at '/nowhere/corporate-ca.pem'" in capsys.readouterr().out
    shell.run_line_magic("config", f"InfraiMagics.verify = {certifi.where()!r}")
    shell.run_line_magic("infrai", "")  # a real bundle is taken: the session card shows
    assert _default._default.network.verify == certifi.where()
