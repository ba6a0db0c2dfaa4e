"""A small hostile HTTP server on loopback: it answers each connection with a script.

Faults a well-behaved server never produces (a trickle, a gzip bomb, an echoed key)
come from a real socket here, so the client's whole stack meets them, not a mock.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

Script = Callable[["Connection"], None]


class Connection:
    """One accepted connection, as a script sees it."""

    def __init__(self, sock: socket.socket, closing: threading.Event) -> None:
        self.sock = sock
        self._closing = closing

    def read_request(self) -> bytes:
        """Read one request (head and ``Content-Length`` body); returns the head."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += self.sock.recv(65536)
        return head

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def trickle(self, data: bytes, interval: float) -> None:
        """Send ``data`` one byte at a time, ``interval`` seconds apart, until closed."""
        for byte in data:
            if self._closing.wait(interval):
                return
            self.sock.sendall(bytes([byte]))


def response_head(status: int = 200, **headers: str | int) -> bytes:
    lines = [f"HTTP/1.1 {status} Hostile"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class HostileServer:
    """Serve every connection with ``script`` on its own thread until :meth:`close`."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._sockets.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self._script(Connection(sock, self._closing))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closing.set()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()
        for sock in self._sockets:
            sock.close()
