"""``%infrai_doctor``: what a support request needs, in one redacted text report.

Front end, whether widgets can show, where the key comes from (masked), whether the
base URL answers (one timed call that sends no key), proxy and CA settings, the
clock's skew against the server's ``Date``, the sandbox, and versions. Every line
passes :func:`~.contract.redact_keys`, and a proxy's password is never shown.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from html import escape
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import _default
from ._version import __version__
from .contract import mask_key, redact_keys
from .errors import InfraiError

PROBE_TIMEOUT_S = 5.0
NETWORK_ENV = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)
PACKAGES = ("httpx", "pydantic", "IPython", "ipykernel", "ipywidgets", "jupyterlab", "notebook")


@dataclass(frozen=True)
class DoctorReport:
    """The report as ``(topic, finding)`` lines; text, Markdown and HTML say the same."""

    lines: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        width = max(len(topic) for topic, _ in self.lines)
        body = "\n".join(f"{topic.ljust(width)}  {finding}" for topic, finding in self.lines)
        return redact_keys(f"infrai doctor (paste this into a support request)\n{body}")

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<pre class="infrai-doctor">{escape(str(self))}</pre>'

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def diagnose(*, front_end: str, widgets: str, sandbox_url: str | None) -> DoctorReport:
    """Examine this session; ``front_end`` and ``widgets`` come from the shell."""
    lines: list[tuple[str, str]] = [("front end", front_end), ("widgets", widgets)]
    lines += _connection()
    lines.append(("sandbox", f"running at {sandbox_url}" if sandbox_url else "not running"))
    lines += [(name, _network_setting(name)) for name in NETWORK_ENV if os.environ.get(name)]
    lines.append(("versions", _versions()))
    return DoctorReport(tuple(lines))


def front_end_name(has_kernel: bool) -> str:
    """Colab, VS Code, a Jupyter web front end, or a terminal, as far as a kernel can tell."""
    if "google.colab" in sys.modules:
        return "Google Colab"
    if any(name.startswith("VSCODE_") for name in os.environ):
        return "VS Code"
    if has_kernel:
        return "Jupyter (JupyterLab or Notebook 7; a kernel cannot tell which)"
    return "terminal IPython (no widgets, no rich output)"


def _connection() -> list[tuple[str, str]]:
    try:
        client = _default.default_client()
    except InfraiError as error:
        return [("configuration", str(error))]
    config = client.config
    key = f"{mask_key(config.api_key)} from {config.key_source}" if config.api_key else "none"
    return [("base URL", config.base_url), ("key", key), *_probe(config.base_url)]


def _probe(base_url: str) -> list[tuple[str, str]]:
    """One unauthenticated GET: reachable at all, how fast, and the server's clock."""
    url = base_url.rstrip("/") + "/v1/account/balance"
    started = time.monotonic()
    try:
        with httpx.Client(timeout=PROBE_TIMEOUT_S) as http:
            answer = http.get(url, headers={"User-Agent": "infrai-jupyter-doctor"})
    except httpx.HTTPError as error:
        return [("reachable", f"no: {type(error).__name__} within {PROBE_TIMEOUT_S:g} s")]
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return [
        ("reachable", f"yes: HTTP {answer.status_code} in {elapsed_ms} ms (no key sent)"),
        ("clock skew", _skew(answer.headers.get("date"))),
    ]


def _skew(date_header: str | None) -> str:
    if not date_header:
        return "unknown (the server sent no Date)"
    try:
        server = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return "unknown (the server's Date cannot be read)"
    seconds = (datetime.now(timezone.utc) - server).total_seconds()
    verdict = "fine" if abs(seconds) < 60 else "check this computer's clock"
    return f"{seconds:+.0f} s against the server ({verdict})"


def _network_setting(name: str) -> str:
    value = os.environ[name]
    if "PROXY" in name and name != "NO_PROXY":
        parts = urlsplit(value)
        if parts.password:
            value = value.replace(f":{parts.password}@", ":***@")
        return value
    if name == "NO_PROXY":
        return value
    return f"{value} ({'exists' if os.path.exists(value) else 'MISSING'})"


def _versions() -> str:
    found = [f"infrai_jupyter {__version__}", f"Python {platform.python_version()}"]
    for package in PACKAGES:
        if importlib.util.find_spec(package.lower() if package == "IPython" else package):
            try:
                found.append(f"{package} {metadata.version(package)}")
            except metadata.PackageNotFoundError:
                continue
    return ", ".join(found)
