"""``SandboxServer``: the sandbox on a background thread, for kernels, demos and tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any

import uvicorn

from .admin_session import new_admin_token
from .app import create_app
from .context import http_url
from .settings import SandboxSettings
from .store import describe, open_store

_START_TIMEOUT_SECONDS = 30.0
_STOP_TIMEOUT_SECONDS = 10.0

_running: list[SandboxServer] = []  # started and not yet stopped, in this process
_running_lock = threading.Lock()


def running_servers() -> tuple[SandboxServer, ...]:
    """The sandboxes serving in this process, oldest first (``teaching`` resolves a
    checkout path on the notebook's own server to the one that serves it)."""
    with _running_lock:
        return tuple(_running)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen before serving: the caller learns the real port (``0`` picks a free
    one) and can announce it at once, since early connections wait in the backlog."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Inherited by accepted connections. Without it a pre-bound socket costs every
        # response ~40 ms (Nagle's algorithm against the client's delayed ACK).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return http_url(host, port)


def uvicorn_config(
    settings: SandboxSettings, sock: socket.socket, *, quiet: bool
) -> uvicorn.Config:
    """Serve on ``sock``; forwarded headers are the app's business (trusted proxies only).

    ``quiet`` leaves the host process's logging alone (a kernel, a test run).
    """
    host, port = sock.getsockname()[:2]
    logging: dict[str, Any] = {"log_config": None, "access_log": False} if quiet else {}
    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1: any local
        # process could pose as another client address.
        proxy_headers=False,
        timeout_graceful_shutdown=5,
        **logging,
    )


class SandboxServer:
    """Run the sandbox on uvicorn in a daemon thread; ``start`` returns once it serves.

    ``port=0`` (the default) takes a free port, so several servers (one per test) can run
    side by side. ``stop`` shuts uvicorn down cleanly and closes the socket. Without an
    ``admin_token`` in the settings it makes one up, kept across ``stop`` and ``start``.

    ``public_url_for(port)``, when given, sets ``settings.public_url`` once the port is
    bound: a public address that names the port (a Jupyter server's ``proxy/{port}``)
    can only be known then.
    """

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url_for: Callable[[int], str | None] | None = None,
    ) -> None:
        settings = settings or SandboxSettings()
        if not settings.admin_token:
            settings = replace(settings, admin_token=new_admin_token())
        self.settings = settings
        self.host = host
        self.port = port
        self._public_url_for = public_url_for
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._url = ""

    @property
    def url(self) -> str:
        """The base URL to give a client, such as ``http://127.0.0.1:54321``."""
        if not self.running:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._url

    @property
    def admin_token(self) -> str:
        """What the teacher types to sign in at ``admin_url``."""
        assert self.settings.admin_token is not None
        return self.settings.admin_token

    @property
    def public_url(self) -> str:
        """Where browsers open its pages: ``settings.public_url``, else ``url``."""
        return self.settings.public_url or self.url

    @property
    def admin_url(self) -> str:
        """The teacher's page: ``public_url``, then ``/admin``."""
        return f"{self.public_url}/admin"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SandboxServer:
        """Open the database, bind, serve in the background; raise if it cannot start."""
        if self.running:
            return self
        # Fail here, in the caller's thread, on an unusable database.
        store = open_store(self.settings.database)
        store.open()
        store.close()
        sock = bind_socket(self.host, self.port)
        if self._public_url_for is not None:
            try:
                public_url = self._public_url_for(sock.getsockname()[1])
            except BaseException:
                sock.close()
                raise
            self.settings = replace(self.settings, public_url=public_url)
        server = uvicorn.Server(uvicorn_config(self.settings, sock, quiet=True))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="infrai-sandbox", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_STOP_TIMEOUT_SECONDS)
                sock.close()
                raise RuntimeError("the sandbox server failed to start; see the log above")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        self._url = url_for(sock)
        with _running_lock:
            _running.append(self)
        return self

    def stop(self) -> None:
        """Shut down (finishing requests in flight) and free the port; safe to call twice."""
        with _running_lock:
            if self in _running:
                _running.remove(self)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._url if self.running else "stopped"
        return f"<SandboxServer {where} db={describe(self.settings.database)!r}>"
