"""Fixtures for the client suite: an isolated home, activated clients and test transports.

Every test runs with ``HOME`` in its own ``tmp_path`` and without ``INFRAI_*`` variables,
so ``~/.infrai`` and the shared default client never leak between tests. Transports here
either wrap the real loopback transport (recording or damaging what passes) or stand in
for a server only where a real one cannot produce the fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import threading
import time
import types
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from infrai_jupyter import _client, _default
from infrai_jupyter._client import AsyncInfraiClient, InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.sandbox import SandboxServer

from .hostile import HostileServer, Script

SandboxFactory = Callable[..., SandboxServer]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ``HOME`` (so ``~/.infrai`` is per test) and a fresh default client."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("INFRAI_API_KEY", raising=False)
    monkeypatch.delenv("INFRAI_BASE_URL", raising=False)
    _default.reset()
    yield home
    _default.reset()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ------------------------------------------------------------------ sleeping


class _ModuleWithSleep(types.ModuleType):
    """Stands in for ``time``/``asyncio`` inside ``_client`` only: everything else delegates.

    Patching ``time.sleep`` itself would also stop the sandbox's own sleeps (it runs in
    this process), so only the client's view of the module is replaced.
    """

    def __init__(self, module: types.ModuleType, sleep: Callable[[float], Any]) -> None:
        super().__init__(module.__name__)
        self._module = module
        self.sleep = sleep

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client asked to sleep (sync and async), without sleeping."""
    delays: list[float] = []

    async def async_sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(_client, "time", _ModuleWithSleep(time, delays.append))
    monkeypatch.setattr(_client, "asyncio", _ModuleWithSleep(asyncio, async_sleep))
    return delays


# ---------------------------------------------------------------- transports


@dataclass
class Recorder:
    """What went over the wire: each request as sent (headers and exact body bytes)."""

    requests: list[httpx.Request] = field(default_factory=list)

    def bodies(self) -> list[bytes]:
        return [request.content for request in self.requests]

    def header(self, name: str) -> list[str | None]:
        return [request.headers.get(name) for request in self.requests]


class RecordingTransport(httpx.BaseTransport):
    """Forward to the real network transport; record each request first.

    ``fault`` may replace the outcome of an attempt: it gets the attempt number and the
    real response (already read and closed), and returns a response or raises.
    """

    def __init__(
        self,
        recorder: Recorder,
        fault: Callable[[int, httpx.Request, httpx.Response], httpx.Response] | None = None,
    ) -> None:
        self.recorder = recorder
        self.fault = fault
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.recorder.requests.append(request)
        response = self._inner.handle_request(request)
        if self.fault is None:
            return response
        response.read()
        response.close()
        return self.fault(len(self.recorder.requests), request, response)

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`RecordingTransport`."""

    def __init__(
        self,
        recorder: Recorder,
        fault: Callable[[int, httpx.Request, httpx.Response], httpx.Response] | None = None,
    ) -> None:
        self.recorder = recorder
        self.fault = fault
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.recorder.requests.append(request)
        response = await self._inner.handle_async_request(request)
        if self.fault is None:
            return response
        await response.aread()
        await response.aclose()
        return self.fault(len(self.recorder.requests), request, response)

    async def aclose(self) -> None:
        await self._inner.aclose()


def replay(response: httpx.Response) -> httpx.Response:
    """A fresh copy of a real (already read) response, for a fault to hand back."""
    return httpx.Response(response.status_code, headers=response.headers, content=response.content)


def lose_first_response(
    attempt: int, request: httpx.Request, response: httpx.Response
) -> httpx.Response:
    """The server processed the first attempt, but its answer never arrived."""
    if attempt == 1:
        raise httpx.ReadError("connection reset by peer", request=request)
    return replay(response)


def recording_client(
    sandbox: SandboxServer,
    recorder: Recorder,
    fault: Callable[[int, httpx.Request, httpx.Response], httpx.Response] | None = None,
    **options: Any,
) -> InfraiClient:
    http = httpx.Client(transport=RecordingTransport(recorder, fault))
    return InfraiClient(base_url=sandbox.url, http_client=http, **options)


def async_recording_client(
    sandbox: SandboxServer,
    recorder: Recorder,
    fault: Callable[[int, httpx.Request, httpx.Response], httpx.Response] | None = None,
    **options: Any,
) -> AsyncInfraiClient:
    http = httpx.AsyncClient(transport=AsyncRecordingTransport(recorder, fault))
    return AsyncInfraiClient(base_url=sandbox.url, http_client=http, **options)


def mock_client(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> InfraiClient:
    """A client whose "server" is ``handler``: only for faults a real server cannot make."""
    options.setdefault("api_key", PROJECT_KEY_PREFIX + "mockmockmockmock1234")
    options.setdefault("base_url", "http://infrai.test")
    return InfraiClient(http_client=httpx.Client(transport=httpx.MockTransport(handler)), **options)


def envelope(data: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "ok": True,
        "data": data,
        "error": None,
        "metadata": {
            "cost_usd": 0,
            "latency_ms": 3,
            "vendor": "mock",
            "cache_hit": False,
            "request_id": "01890a5d-ac96-774b-bcce-b302099a8057",
            **metadata,
        },
    }


def error_envelope(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "ok": False,
        "data": None,
        "error": {"code": code, "message": message, "details": details},
        "metadata": {"request_id": "01890a5d-ac96-774b-bcce-b302099a8057", "vendor": "mock"},
    }


# ----------------------------------------------------------------- accounts


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[InfraiClient]:
    """An activated client on the sandbox ($2.00 trial); nothing written to disk."""
    with InfraiClient(base_url=sandbox.url, max_retries=0) as activated:
        activated.activate(write_credentials=False)
        yield activated


def secret_key(client: InfraiClient | AsyncInfraiClient) -> str:
    key = client.config.api_key
    assert key is not None and key.startswith(PROJECT_KEY_PREFIX)
    return key


def assert_no_secret(text: str, key: str) -> None:
    """Neither the key nor its secret middle appears, even with Markdown escapes removed."""
    plain = text.replace("\\", "")
    middle = key[len(PROJECT_KEY_PREFIX) : -4]
    assert len(middle) >= 16
    assert key not in plain
    assert middle not in plain


# ------------------------------------------------------------ a counting proxy


class ConnectionCountingProxy:
    """A TCP forwarder in front of a server that counts the connections clients open.

    Counting at the socket is what proves pooling: it sees every new TCP connection,
    however the client is built.
    """

    def __init__(self, upstream_url: str) -> None:
        upstream = httpx.URL(upstream_url)
        self._upstream = (upstream.host, upstream.port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accept loop notices close()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self.opened = 0
        self.open_now = 0
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._start(self._accept_loop)

    def _start(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                downstream, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self.opened += 1
                self.open_now += 1
                self._sockets += [downstream, upstream]
            self._start(self._serve, downstream, upstream)

    def _serve(self, downstream: socket.socket, upstream: socket.socket) -> None:
        backwards = threading.Thread(target=self._pump, args=(upstream, downstream), daemon=True)
        backwards.start()
        self._pump(downstream, upstream)
        backwards.join()
        with self._lock:
            self.open_now -= 1

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def wait_until_all_closed(self, timeout: float = 10.0) -> int:
        """Wait for clients to hang up; return how many connections are still open."""
        done = threading.Event()
        for _ in range(int(timeout / 0.02)):
            with self._lock:
                if self.open_now == 0:
                    return 0
            done.wait(0.02)
        with self._lock:
            return self.open_now

    def close(self) -> None:
        self._closed.set()
        self._threads[0].join(5)
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        for sock in sockets:
            sock.close()


@pytest.fixture
def proxy(sandbox: SandboxServer) -> Iterator[ConnectionCountingProxy]:
    counting = ConnectionCountingProxy(sandbox.url)
    yield counting
    counting.close()


async def maybe_await(value: Any) -> Any:
    """The result of a sync call as is, of an async one awaited: one test body for both."""
    return await value if inspect.isawaitable(value) else value


# ------------------------------------------------- one test body for both clients


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    """Run a test once with ``InfraiClient`` and once with ``AsyncInfraiClient``."""
    return str(request.param)


def async_mock_client(
    handler: Callable[[httpx.Request], httpx.Response], **options: Any
) -> AsyncInfraiClient:
    """The async twin of :func:`mock_client`."""
    options.setdefault("api_key", PROJECT_KEY_PREFIX + "mockmockmockmock1234")
    options.setdefault("base_url", "http://infrai.test")
    transport = httpx.MockTransport(handler)
    return AsyncInfraiClient(http_client=httpx.AsyncClient(transport=transport), **options)


def mock_for(kind: str, handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> Any:
    """:func:`mock_client` or :func:`async_mock_client`, as ``kind`` says."""
    make = mock_client if kind == "sync" else async_mock_client
    return make(handler, **options)


def recording_for(
    kind: str,
    sandbox: SandboxServer,
    recorder: Recorder,
    fault: Callable[[int, httpx.Request, httpx.Response], httpx.Response] | None = None,
    **options: Any,
) -> Any:
    """:func:`recording_client` or :func:`async_recording_client`, as ``kind`` says."""
    make = recording_client if kind == "sync" else async_recording_client
    return make(sandbox, recorder, fault, **options)


@contextlib.asynccontextmanager
async def opened(client: Any) -> AsyncIterator[Any]:
    """``with``/``async with`` for either client inside an async test."""
    try:
        yield client
    finally:
        await maybe_await(client.close())


@pytest.fixture
def hostile() -> Iterator[Callable[[Script], HostileServer]]:
    """Start hostile servers for a test; they stop (and hang up) when it ends."""
    servers: list[HostileServer] = []

    def start(script: Script) -> HostileServer:
        servers.append(HostileServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
