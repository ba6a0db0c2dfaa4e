"""Smoke tests proving the browser harness works, using only IPython and ipywidgets.

They exercise what later tests rely on: rich output renders, the ipywidgets
front end round-trips a click to the kernel, the dark theme applies and can be
screenshotted, and a link can be followed to a second tab (a stand-in checkout
page on loopback) and back, with the kernel reaching that loopback server.
"""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .lab import LabNotebook

pytestmark = pytest.mark.browser

CHECKOUT_PAGE = b"""<!doctype html>
<html><head><title>Checkout</title></head>
<body>
  <h1>Checkout</h1>
  <button id="pay" onclick="fetch('/pay', {method: 'POST'}).then(r => r.ok &&
    (document.getElementById('done').textContent = 'Paid'))">Pay</button>
  <p id="done"></p>
</body></html>
"""


class CheckoutServer(ThreadingHTTPServer):
    """A trivial loopback 'payment page' that remembers whether Pay was clicked."""

    daemon_threads = True
    paid = False


class _CheckoutHandler(BaseHTTPRequestHandler):
    server: CheckoutServer

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/checkout":
            self._send(200, CHECKOUT_PAGE, "text/html; charset=utf-8")
        elif self.path == "/status":
            self._send(200, json.dumps({"paid": self.server.paid}).encode(), "application/json")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        if self.path == "/pay":
            self.server.paid = True
            self._send(200, b"{}", "application/json")
        else:
            self._send(404, b"not found", "text/plain")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture(scope="module")
def checkout_server() -> Iterator[CheckoutServer]:
    """The stand-in checkout page, on a free loopback port, for this module."""
    server = CheckoutServer(("127.0.0.1", 0), _CheckoutHandler)
    thread = threading.Thread(target=server.serve_forever, name="checkout", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def jupyter_lab_extra_env(checkout_server: CheckoutServer) -> dict[str, str]:
    """Hands the kernel the checkout server's URL (overrides the conftest default)."""
    host, port = checkout_server.server_address[:2]
    return {"HARNESS_CHECKOUT_URL": f"http://{host!s}:{port}"}


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG header, to check a screenshot is a real image."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_output_widgets_and_dark_theme(lab: LabNotebook) -> None:
    """HTML output renders, a widget click reaches the kernel, and the dark theme applies."""
    nb = lab.open_new("smoke")

    out = nb.run_cell("""from IPython.display import HTML; HTML("<b id='hello'>hi</b>")""")
    expect(out.locator("b#hello")).to_have_text("hi")

    out = nb.run_cell(
        "import ipywidgets as w\n"
        'b = w.Button(description="Click me")\n'
        "o = w.Output()\n"
        'b.on_click(lambda _: o.append_stdout("clicked\\n"))\n'
        "w.VBox([b, o])"
    )
    button = out.get_by_role("button", name="Click me")
    expect(button).to_be_visible()
    button.click()
    expect(out.locator(".widget-output")).to_contain_text("clicked")

    light = nb.screenshot_output(out, "harness-widget-light")
    nb.set_theme("dark")
    expect(lab.page.locator('body[data-jp-theme-light="false"]')).to_have_count(1)
    dark = nb.screenshot_output(out, "harness-widget-dark")
    for shot in (light, dark):
        width, height = _png_size(shot)
        assert width > 100 and height > 20, f"{shot} is {width}x{height}"
    assert light.read_bytes() != dark.read_bytes()

    nb.set_theme("light")


def test_checkout_link_in_second_tab_and_back(
    lab: LabNotebook, checkout_server: CheckoutServer
) -> None:
    """A link opens a second tab; Pay there; back in Lab a widget shows the kernel saw it."""
    checkout_server.paid = False
    nb = lab.open_new("checkout")
    out = nb.run_cell(
        "import json, os, urllib.request\n"
        "import ipywidgets as w\n"
        'url = os.environ["HARNESS_CHECKOUT_URL"]\n'
        "status = w.Output()\n"
        'refresh = w.Button(description="Refresh")\n'
        "def on_refresh(_):\n"
        '    with urllib.request.urlopen(url + "/status", timeout=10) as r:\n'
        '        paid = json.load(r)["paid"]\n'
        # Not clear_output(): from a callback it races append_stdout in the front end.
        "    status.outputs = ()\n"
        '    status.append_stdout("paid\\n" if paid else "unpaid\\n")\n'
        "refresh.on_click(on_refresh)\n"
        'link = w.HTML(f\'<a id="checkout" href="{url}/checkout" target="_blank">'
        "Checkout</a>')\n"
        "w.VBox([link, refresh, status])"
    )
    refresh = out.get_by_role("button", name="Refresh")
    refresh.click()
    expect(out.locator(".widget-output")).to_contain_text("unpaid")

    checkout = nb.follow_link_to_new_page(out.locator("a#checkout"))
    expect(checkout).to_have_title("Checkout")
    checkout.get_by_role("button", name="Pay").click()
    expect(checkout.locator("#done")).to_have_text("Paid")
    nb.come_back(checkout)

    refresh.click()
    expect(out.locator(".widget-output")).to_contain_text("paid")
    expect(out.locator(".widget-output")).not_to_contain_text("unpaid")
    assert checkout_server.paid
