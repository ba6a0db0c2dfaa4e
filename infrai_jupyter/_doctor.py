"""``%infrai_doctor``: what a support request needs, in one redacted text report.

Front end, whether widgets can show, where the key comes from (masked), whether the
base URL answers (one timed call that sends no key), proxy and CA settings, the
clock's skew against the server's ``Date``, the sandbox, and versions. Every line
passes :func:`~.contract.redact_keys`, and a proxy's password is never shown.

The report speaks the session's language, like every card. It is also pasted into
support requests, read by whoever answers them, so outside English each topic keeps a
stable identifier in parentheses after its translation (``clock_skew``, ``front_end``):
support finds the same line in any report, and the user meets no English phrase (an
identifier is one word, never a phrase). Values stay as they are in every language:
versions, URLs, paths, environment variable names, HTTP statuses, error class names
and the key's source as the client records it (``INFRAI_API_KEY``, ``activation``, a
file's path). English reports stay as they were: the English topic is its own name.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from html import escape
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import _default
from ._i18n import N_, gettext
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
        width = max(_width(topic) for topic, _ in self.lines)
        body = "\n".join(
            f"{topic}{' ' * (width - _width(topic))}  {finding}" for topic, finding in self.lines
        )
        heading = gettext("infrai doctor (paste this into a support request)")
        return redact_keys(f"{heading}\n{body}")

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<pre class="infrai-doctor">{escape(str(self))}</pre>'

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


# The report's topics: English names, translated as the report is made (see the module doc).
_TOPICS = {
    "front end": N_("front end"),
    "widgets": N_("widgets"),
    "configuration": N_("configuration"),
    "base URL": N_("base URL"),
    "key": N_("key"),
    "reachable": N_("reachable"),
    "clock skew": N_("clock skew"),
    "sandbox": N_("sandbox"),
    "versions": N_("versions"),
}


def _topic(name: str) -> str:
    """``name`` in the report's language, with its stable identifier outside English."""
    label = gettext(_TOPICS[name])
    if label == name:
        return name
    return gettext("{topic} ({identifier})").format(
        topic=label, identifier=name.replace(" ", "_").lower()
    )


def _width(text: str) -> int:
    """How many columns ``text`` takes in a monospaced font (a Chinese character takes 2)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def diagnose(*, front_end: str, widgets: str, sandbox_url: str | None) -> DoctorReport:
    """Examine this session; ``front_end`` and ``widgets`` come from the shell."""
    lines: list[tuple[str, str]] = [(_topic("front end"), front_end), (_topic("widgets"), widgets)]
    lines += _connection()
    if sandbox_url:
        sandbox = gettext("running at {url}").format(url=sandbox_url)
    else:
        sandbox = gettext("not running")
    lines.append((_topic("sandbox"), sandbox))
    lines += [(name, _network_setting(name)) for name in NETWORK_ENV if os.environ.get(name)]
    lines.append((_topic("versions"), _versions()))
    return DoctorReport(tuple(lines))


def front_end_name(has_kernel: bool) -> str:
    """Colab, VS Code, a Jupyter web front end, or a terminal, as far as a kernel can tell."""
    if "google.colab" in sys.modules:
        return "Google Colab"
    if any(name.startswith("VSCODE_") for name in os.environ):
        return "VS Code"
    if has_kernel:
        return gettext("Jupyter (JupyterLab or Notebook 7; a kernel cannot tell which)")
    return gettext("terminal IPython (no widgets, no rich output)")


def _connection() -> list[tuple[str, str]]:
    try:
        client = _default.default_client()
    except (InfraiError, OSError) as error:  # OSError: a CA bundle that is not there
        return [(_topic("configuration"), str(error))]
    config = client.config
    if config.api_key:
        key = gettext("{key} from {source}").format(
            key=mask_key(config.api_key), source=config.key_source
        )
    else:
        key = gettext("none")
    return [
        (_topic("base URL"), config.base_url),
        (_topic("key"), key),
        *_probe(config.base_url),
    ]


def _probe(base_url: str) -> list[tuple[str, str]]:
    """One unauthenticated GET: reachable at all, how fast, and the server's clock."""
    url = base_url.rstrip("/") + "/v1/account/balance"
    started = time.monotonic()
    try:
        with httpx.Client(timeout=PROBE_TIMEOUT_S) as http:
            answer = http.get(url, headers={"User-Agent": "infrai-jupyter-doctor"})
    except (httpx.HTTPError, OSError) as error:  # OSError: a CA bundle that is not there
        failed = gettext("no: {error} within {seconds} s").format(
            error=type(error).__name__, seconds=f"{PROBE_TIMEOUT_S:g}"
        )
        return [(_topic("reachable"), failed)]
    elapsed_ms = round((time.monotonic() - started) * 1000)
    answered = gettext("yes: HTTP {status} in {milliseconds} ms (no key sent)").format(
        status=answer.status_code, milliseconds=elapsed_ms
    )
    return [
        (_topic("reachable"), answered),
        (_topic("clock skew"), _skew(answer.headers.get("date"))),
    ]


def _skew(date_header: str | None) -> str:
    if not date_header:
        return gettext("unknown (the server sent no Date)")
    try:
        server = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return gettext("unknown (the server's Date cannot be read)")
    seconds = (datetime.now(timezone.utc) - server).total_seconds()
    if abs(seconds) < 60:
        verdict = gettext("{seconds} s against the server (fine)")
    else:
        verdict = gettext("{seconds} s against the server (check this computer's clock)")
    return verdict.format(seconds=f"{seconds:+.0f}")


def _network_setting(name: str) -> str:
    value = os.environ[name]
    if "PROXY" in name and name != "NO_PROXY":
        parts = urlsplit(value)
        if parts.password:
            value = value.replace(f":{parts.password}@", ":***@")
        return value
    if name == "NO_PROXY":
        return value
    if os.path.exists(value):
        return gettext("{path} (exists)").format(path=value)
    return gettext("{path} (MISSING)").format(path=value)


def _versions() -> str:
    found = [f"infrai_jupyter {__version__}", f"Python {platform.python_version()}"]
    for package in PACKAGES:
        if importlib.util.find_spec(package.lower() if package == "IPython" else package):
            try:
                found.append(f"{package} {metadata.version(package)}")
            except metadata.PackageNotFoundError:
                continue
    return ", ".join(found)
