"""Helpers for lessons: press the checkout page's buttons from code, run a class's sandbox.

A notebook that runs unattended (``Run All``, nbconvert, a test) cannot click Pay in a
browser. :func:`pay_checkout` does what the browser does: it loads the checkout page and
submits its Pay form with the page's hidden fields (the sandbox's ``form_token``), so a
lesson shows the real flow rather than a shortcut the sandbox would refuse. It works only
on a sandbox's checkout page: the hosted API's page is for people.

:class:`ClassSandbox` is ``python -m infrai_jupyter.sandbox`` started as a child process,
as a teacher starts it in a terminal, but on loopback and with a bounded lifetime, so a
lesson can try the classroom set-up without leaving a server behind.

Their messages speak the process's locale (``LANG=zh_CN.UTF-8`` gives Simplified
Chinese), as the sandbox's command line does; ``pay_checkout`` and ``cancel_checkout``
take ``language="zh-CN"`` (or ``"en"``) for a lesson that chose its language otherwise
(``%config InfraiMagics.language``, which the sandbox cannot see: it shares nothing but
the contract with the rest of the package). The server a ``ClassSandbox`` starts
inherits the locale, and its first line still starts ``infrai sandbox serving on URL``
in every language, which is how ``start`` finds its address.

Standard library, httpx and the sandbox's own catalogue only.
"""

from __future__ import annotations

import atexit
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

import httpx

from .i18n import N_, PageLanguage, locale_language, render

__all__ = ["CheckoutError", "ClassSandbox", "cancel_checkout", "pay_checkout"]

_SANDBOX_TITLE = "· infrai sandbox"
"""How every sandbox page's title ends: the mark that a page is play money."""

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
_ANNOUNCEMENT = re.compile(r"serving on (http://\S+)")
"""The server's first line (``__main__.ANNOUNCEMENT``), the same in every language."""


class CheckoutError(RuntimeError):
    """The page cannot be paid or canceled from code; the message says why."""


class _CheckoutPage(HTMLParser):
    """Collect the page's title and each POST form's action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.forms: dict[str, dict[str, str]] = {}
        self._in_title = False
        self._form: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "form" and values.get("method", "").lower() == "post":
            self._form = self.forms.setdefault(values.get("action", ""), {})
        elif tag == "input" and self._form is not None and values.get("name"):
            self._form[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


_NOTHING_TO_DO = {
    "pay": N_(
        "The checkout page has no Pay button (HTTP {status}): the top-up is already paid, "
        "canceled or expired."
    ),
    "cancel": N_(
        "The checkout page has no Cancel button (HTTP {status}): the top-up is already paid, "
        "canceled or expired."
    ),
}
_REFUSED = {
    "pay": N_("The sandbox refused the pay (HTTP {status})."),
    "cancel": N_("The sandbox refused the cancel (HTTP {status})."),
}


def pay_checkout(
    checkout_url: str, *, timeout: float = 10.0, language: str | None = None
) -> httpx.Response:
    """Pay a sandbox top-up as its checkout page's Pay button does; return the 303 answer.

    The answer's ``location`` is where the browser would go next: the top-up's
    ``return_url`` with ``topup_id`` and ``state`` added, or the checkout page again.
    Raises :class:`CheckoutError` when the page is not a sandbox's or has nothing to pay,
    in ``language`` (``"zh-CN"``, ``"en"``; None: the process's locale); ``ValueError``
    for a language the sandbox does not speak.
    """
    return _submit(checkout_url, "pay", timeout, locale_language(language))


def cancel_checkout(
    checkout_url: str, *, timeout: float = 10.0, language: str | None = None
) -> httpx.Response:
    """Cancel a sandbox top-up as its checkout page's Cancel button does.

    Raises :class:`CheckoutError` as :func:`pay_checkout` does, in ``language`` likewise.
    """
    return _submit(checkout_url, "cancel", timeout, locale_language(language))


def _submit(
    checkout_url: str,
    action: Literal["pay", "cancel"],
    timeout: float,
    language: PageLanguage,
) -> httpx.Response:
    with httpx.Client(timeout=timeout) as http:
        page = http.get(_reachable(checkout_url, language))
        parsed = _CheckoutPage()
        parsed.feed(page.text)
        if not parsed.title.strip().endswith(_SANDBOX_TITLE):
            not_sandbox = N_("{url} is not a sandbox checkout page: pay real top-ups in a browser.")
            raise CheckoutError(render(language, not_sandbox, {"url": checkout_url}))
        targets = [target for target in parsed.forms if target.endswith(f"/{action}")]
        if page.status_code != 200 or len(targets) != 1:
            status = {"status": page.status_code}
            raise CheckoutError(render(language, _NOTHING_TO_DO[action], status))
        answer = http.post(urljoin(str(page.url), targets[0]), data=parsed.forms[targets[0]])
    if answer.status_code != 303:
        raise CheckoutError(render(language, _REFUSED[action], {"status": answer.status_code}))
    return answer


def _reachable(checkout_url: str, language: PageLanguage) -> str:
    """``checkout_url`` as this kernel can fetch it.

    Behind a Jupyter server's proxy (JupyterHub, Binder) the embedded sandbox's links are
    paths on the notebook's server, ``/user/alice/proxy/8765/checkout/…``, which only the
    browser can resolve. The sandbox serving that path runs in this process and answers
    the same path on its loopback address, so that is where the kernel goes.
    """
    if not checkout_url.startswith("/") or checkout_url.startswith("//"):
        return checkout_url
    from .context import path_prefix
    from .server import running_servers

    for server in running_servers():
        prefix = path_prefix(server.settings)
        if prefix and (checkout_url == prefix or checkout_url.startswith(f"{prefix}/")):
            return f"{server.url}{checkout_url}"
    unserved = N_(
        "{path} is a path on the notebook's server, and no sandbox running in this kernel "
        "serves it: pass the checkout link of a sandbox started here, or pay in a browser."
    )
    raise CheckoutError(render(language, unserved, {"path": checkout_url}))


class ClassSandbox:
    """``python -m infrai_jupyter.sandbox`` on ``127.0.0.1``, as a child process.

    ``ClassSandbox().start()`` serves a fresh database on a free port and returns the
    object (``.url``, ``.log()``); ``restart(reset=True)`` is the teacher's "stop, then
    start again with --reset" at the same address; ``stop()`` is Ctrl-C. The server
    stops by itself after ``lifetime`` seconds and when this Python process exits.
    """

    def __init__(
        self,
        *,
        lifetime: float = 180.0,
        folder: Path | None = None,
        flags: Sequence[str] = (),
    ) -> None:
        if lifetime <= 0:
            positive = N_("lifetime must be a positive number of seconds")
            raise ValueError(locale_language().gettext(positive))
        self.lifetime = lifetime
        self.folder = folder or Path(tempfile.mkdtemp(prefix="infrai-class-"))
        self.flags = tuple(flags)
        self.port = _free_loopback_port()  # chosen once, so a restart keeps the address
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._timer: threading.Timer | None = None
        atexit.register(self.stop)

    @property
    def log_path(self) -> Path:
        """Where the server writes what a teacher's terminal would show."""
        return self.folder / "sandbox.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, reset: bool = False) -> ClassSandbox:
        """Start the server (``reset`` empties its database first); wait until it serves."""
        if self.running:
            return self
        command = [
            sys.executable,
            "-m",
            "infrai_jupyter.sandbox",
            "--port",
            str(self.port),
            "--db",
            str(self.folder / "class.sqlite3"),
            *self.flags,
            *(["--reset"] if reset else []),
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        self.url = self._wait_for_announcement()
        return self

    def restart(self, *, reset: bool = False) -> ClassSandbox:
        """Stop, then start again at the same address (``reset``: forget every account)."""
        self.stop()
        return self.start(reset=reset)

    def stop(self) -> None:
        """Stop the server, as Ctrl-C in the teacher's terminal does; safe to call twice."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(_STOP_TIMEOUT_S)

    def log(self, last: int | None = None) -> str:
        """The server's output so far (its ``last`` lines only, if given)."""
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines if last is None else lines[-last:])

    def _wait_for_announcement(self) -> str:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            announced = _ANNOUNCEMENT.search(self.log())
            if announced:
                return announced.group(1)
            if not self.running:
                failed = N_("The sandbox did not start:\n{log}")
                raise RuntimeError(render(locale_language(), failed, {"log": self.log()}))
            time.sleep(0.05)
        self.stop()
        late = N_("The sandbox did not start within {seconds} s:\n{log}")
        params = {"seconds": f"{_START_TIMEOUT_S:.0f}", "log": self.log()}
        raise RuntimeError(render(locale_language(), late, params))

    def __repr__(self) -> str:
        return f"<ClassSandbox {self.url if self.running else 'stopped'}>"


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
