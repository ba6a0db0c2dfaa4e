"""Shared tools of the attack suite: a scriptable hostile server, a canary key, and scanners.

Every test here plays the attacker. ``hostile`` is a tiny HTTP server on 127.0.0.1 that
answers whatever the test scripts (any status, headers and bytes, trickled or not) and
counts the connections it accepted, so a test can also prove that *nothing* was sent.
``canary`` is a fresh random project key per test; the scanners look for its secret part
in every text surface a user, a log or a saved notebook could ever see.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from IPython.lib.pretty import pretty

from infrai_jupyter import _default
from infrai_jupyter.contract import PROJECT_KEY_PREFIX

#: Generous deadlines: a shared 2-core machine is slow, and no test asserts on speed.
SOCKET_TIMEOUT_S = 15.0


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private ``HOME`` (so ``~/.infrai`` is per test), no ``INFRAI_*`` variables."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("INFRAI_API_KEY", raising=False)
    monkeypatch.delenv("INFRAI_BASE_URL", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")
    _default.reset()
    yield home
    _default.reset()


# ------------------------------------------------------------------------- the canary


def new_canary() -> str:
    """A well-formed, random project key that exists nowhere but in this test."""
    return PROJECT_KEY_PREFIX + secrets.token_urlsafe(32)


@pytest.fixture
def canary() -> str:
    return new_canary()


def secret_part(key: str) -> str:
    """What must never show: everything after the public prefix (the mask shows 4 chars)."""
    return key.removeprefix(PROJECT_KEY_PREFIX)


def masked(key: str) -> str:
    return f"{PROJECT_KEY_PREFIX}…{key[-4:]}"


def assert_no_canary(texts: Iterable[str], key: str, *, where: str = "") -> None:
    """No text holds the key's secret part (nor the key with its prefix)."""
    secret = secret_part(key)
    for index, text in enumerate(texts):
        assert secret not in text, (
            f"the full key leaked{f' in {where}' if where else ''} (surface #{index}): "
            f"...{text[max(0, text.find(secret) - 120) : text.find(secret) + 60]!r}..."
        )


# ------------------------------------------------------------------------- surfaces


def exception_surfaces(error: BaseException) -> list[str]:
    """Every text of an exception a user, a log handler or a bug report could show."""
    texts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        json.dumps([str(arg) for arg in error.args]),
    ]
    for name in ("code", "message", "details", "request_id", "url", "vendor", "content_type"):
        if hasattr(error, name):
            texts.append(json.dumps(getattr(error, name), default=str))
            texts.append(repr(getattr(error, name)))
    return texts


def result_surfaces(result: Any) -> list[str]:
    """Every rendering of a result object: reprs, card formats and the MIME bundle."""
    return [
        repr(result),
        str(result),
        pretty(result),
        result._repr_html_(),
        result._repr_markdown_(),
        json.dumps(result._repr_mimebundle_(), default=str),
    ]


def log_texts(records: Iterable[logging.LogRecord]) -> list[str]:
    """Each log record as a handler would write it, with any traceback attached."""
    texts = []
    for record in records:
        text = f"{record.name} {record.levelname} {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "".join(traceback.format_exception(record.exc_info[1]))
        texts.append(text)
    return texts


def warning_texts(caught: Iterable[warnings.WarningMessage]) -> list[str]:
    return [f"{w.category.__name__}: {w.message}" for w in caught]


# ------------------------------------------------------------------------- envelopes


def request_id() -> str:
    return "01930000-0000-7000-8000-" + secrets.token_hex(6)


def metadata(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "cost_usd": 0,
        "latency_ms": 3,
        "vendor": "hostile",
        "cache_hit": False,
        "request_id": request_id(),
    }
    values.update(overrides)
    return values


def ok_envelope(data: Any, **meta: Any) -> dict[str, Any]:
    return {"ok": True, "data": data, "error": None, "metadata": metadata(**meta)}


def error_envelope(code: str, message: str, details: Any = None, **meta: Any) -> dict[str, Any]:
    error = {"code": code, "message": message, "details": {} if details is None else details}
    return {"ok": False, "data": None, "error": error, "metadata": metadata(**meta)}


# ------------------------------------------------------------------------- the server


@dataclass
class SeenRequest:
    """One request as the hostile server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What to answer: a status, headers, body bytes, and how slowly to send them.

    ``trickle`` sends the part named by ``trickle_part`` one byte every ``trickle``
    seconds; ``raw`` replaces the whole response (status line included) with bytes.
    """

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(
        default_factory=lambda: [("Content-Type", "application/json")]
    )
    trickle: float | None = None
    trickle_part: str = "body"  # "body" or "headers"
    raw: bytes | None = None


def json_reply(status: int, document: Any, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    body = json.dumps(document, allow_nan=True).encode()
    return Reply(status, body, [("Content-Type", "application/json"), *headers])


#: Values a 402's ``missing_usd`` can hold, as raw JSON text (``1e999`` is legal JSON).
NONSENSE_AMOUNTS = [
    '"abc"',
    "{}",
    "[]",
    '"NaN"',
    '"-Infinity"',
    "1e999",
    "-5",
    "0",
    '"1e27"',
    "null",
    "true",
    '"25; rm -rf ~"',
]


def raw_json_reply(status: int, document: Any, raw: dict[str, str]) -> Reply:
    """Like :func:`json_reply`, with each ``"placeholder"`` string replaced by raw JSON text."""
    body = json.dumps(document)
    for placeholder, text in raw.items():
        body = body.replace(json.dumps(placeholder), text)
    return Reply(status, body.encode(), [("Content-Type", "application/json")])


Responder = Callable[[SeenRequest], Reply]

_REASONS = {200: "OK", 401: "Unauthorized", 402: "Payment Required", 500: "Error"}


class HostileServer:
    """A loopback HTTP/1.1 server that says whatever the test scripts, one reply per connection.

    ``connections`` counts accepted TCP connections, so "nothing reached the network"
    is a plain ``== 0``; ``requests`` holds what arrived.
    """

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.connections = 0
        self.requests: list[SeenRequest] = []
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, name="hostile", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):  # wake the accept loop at once
            socket.create_connection(self._listener.getsockname()[:2], timeout=1).close()
        self._thread.join(timeout=SOCKET_TIMEOUT_S)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._stopping.is_set():
                connection.close()
                return
            self.connections += 1
            threading.Thread(
                target=self._handle, args=(connection,), name="hostile-conn", daemon=True
            ).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(SOCKET_TIMEOUT_S)
            try:
                request = _read_request(connection)
                if request is None:
                    return
                self.requests.append(request)
                self._send(connection, self.respond(request))
            except OSError:
                return  # the client gave up: that is what several attacks want to see

    def _send(self, connection: socket.socket, reply: Reply) -> None:
        if reply.raw is not None:
            head, body = reply.raw, b""
        else:
            lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
            lines += [f"{name}: {value}" for name, value in reply.headers]
            lines += [f"Content-Length: {len(reply.body)}", "Connection: close", "", ""]
            head, body = "\r\n".join(lines).encode("latin-1"), reply.body
        if reply.trickle is None:
            connection.sendall(head)  # apart: joining would copy a huge body (and count it)
            connection.sendall(body)
            return
        trickle_head = reply.raw is not None or reply.trickle_part == "headers"
        slow = head if trickle_head else body
        if not trickle_head:
            connection.sendall(head)
        for index in range(len(slow)):
            if self._stopping.is_set():
                return
            connection.sendall(slow[index : index + 1])
            time.sleep(reply.trickle)
        if trickle_head:
            connection.sendall(body)


def _read_request(connection: socket.socket) -> SeenRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return SeenRequest(method, path, headers, body)


HostileFactory = Callable[[Responder], HostileServer]


@pytest.fixture
def hostile() -> Iterator[HostileFactory]:
    """Start hostile servers scripted by a responder; all stop when the test ends."""
    servers: list[HostileServer] = []

    def start(respond: Responder) -> HostileServer:
        server = HostileServer(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# ------------------------------------------------------------------------- an echoing API


def caller_key(request: SeenRequest) -> str:
    """The key the caller sent: what a hostile server echoes."""
    return request.headers.get("authorization", "").removeprefix("Bearer ")


def echo_everywhere(issued_key: str) -> Responder:
    """A whole fake infrai API that writes the caller's key (or ``issued_key``) everywhere.

    Activation issues ``issued_key`` and repeats it in its notice and add-funds link; the
    balance is a 401 and the upgrade a 402 echoing the key in code, message, details and
    request id; key labels, top-up fields and request ids echo it on success too.
    """

    def respond(request: SeenRequest) -> Reply:
        key = caller_key(request) or issued_key
        path = request.path.split("?", 1)[0]
        topup = {
            "topup_id": "tu_1",
            "amount_usd": 5,
            "state": "requires_payment",
            "checkout_url": f"http://127.0.0.1:9/checkout/tu_1?key={key}",
            "next_action_url": f"http://127.0.0.1:9/checkout/tu_1?key={key}",
            "note": f"charged to {key}",
        }
        if path == "/v1/activate":
            data = {
                "account_id": "acct_1",
                "project_id": "proj_1",
                "primary_api_key": issued_key,
                "trial_credit_usd": 2,
                "checkout_url": f"http://127.0.0.1:9/add-funds/{issued_key}",
                "notice": f"Welcome! Your key is {issued_key}; keep {issued_key} safe.",
            }
            return json_reply(200, ok_envelope(data, request_id=issued_key))
        if path == "/v1/account/keys":
            item = {
                "key_id": f"key_{key}",
                "label": f"laptop {key}",
                "scopes": [key],
                "created_at": "2026-01-01T00:00:00Z",
                "masked_key": key,
            }
            return json_reply(200, ok_envelope({"items": [item]}, request_id=key))
        if path == "/v1/account/topup":
            return json_reply(200, ok_envelope(topup, request_id=key))
        if path.startswith("/v1/account/topups/"):
            return json_reply(200, ok_envelope({**topup, "state": "succeeded"}, request_id=key))
        if path == "/v1/account/tier/upgrade":
            details = {"missing_usd": "NaN", "key": key, "help": f"Bearer {key}"}
            envelope = error_envelope("INSUFFICIENT_CREDIT", f"{key} is short", details)
            envelope["metadata"]["request_id"] = key
            return json_reply(402, envelope)
        details = {"key": key, "seen": [f"Bearer {key}"]}
        envelope = error_envelope(f"BAD_{key}", f"Key {key} was revoked.", details)
        envelope["metadata"]["request_id"] = key
        return json_reply(401, envelope)

    return respond
