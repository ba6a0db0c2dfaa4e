"""The shared load generator: N concurrent loopback connections, bounded in count and time.

Why not httpx here: at 16 connections ``httpx.AsyncClient`` spends about 2 ms of CPU
per request on this machine (250 to 450 requests/s against the bare endpoint, while plain
asyncio streams reach 3,400 to 3,900 from the same core). With httpx the generator, not the
server, would be measured, and every ratio would sink towards 1. So each connection is a
:class:`Connection`: HTTP/1.1 keep-alive over asyncio streams, just enough for JSON and
form requests to servers that send ``Content-Length`` (uvicorn with Starlette responses).

:func:`run_load` runs ``connections`` tasks, one connection each. A task takes the next
request number until ``max_requests`` are done or ``max_seconds`` have passed; each
request has its own time limit, so every run ends by itself. Latency is measured per
request, from the first byte written to the last byte read.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from infrai_jupyter.contract import is_loopback_host

REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Connection:
    """One keep-alive HTTP/1.1 connection to a loopback server; reopened if it closes."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if not is_loopback_host(parts.hostname or ""):
            raise ValueError(f"load is only ever sent to loopback, not {base_url}")
        self.host, self.port = parts.hostname or "", parts.port or 80
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: object = None,
        form: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request (``url`` absolute or a path) and read the whole response."""
        return await asyncio.wait_for(
            self._exchange(method, url, headers or {}, json_body, form), REQUEST_TIMEOUT_S
        )

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        json_body: object,
        form: Mapping[str, str] | None,
    ) -> Response:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = {"Host": f"{self.host}:{self.port}", **headers}
        body = b""
        if json_body is not None:
            body, lines["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            lines["Content-Type"] = "application/x-www-form-urlencoded"
        if body or method == "POST":
            lines["Content-Length"] = str(len(body))
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in lines.items()
        )
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(head.encode("latin-1") + b"\r\n" + body)
        status_line, *header_lines = (
            (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        )
        received = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in header_lines if line)
        )
        if "content-length" not in received:
            raise RuntimeError(f"{url}: no Content-Length; this generator reads nothing else")
        content = await reader.readexactly(int(received["content-length"]))
        if received.get("connection", "").lower() == "close":
            await self.close()
        return Response(int(status_line.split()[1]), received, content)

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            await writer.wait_closed()


#: One request: send request number ``index`` on ``connection``; raise unless it succeeded.
Send = Callable[[Connection, int], Awaitable[None]]


@dataclass(frozen=True)
class LoadResult:
    """What a run did: successful latencies (ms, sorted), failures and the wall time."""

    latencies_ms: Sequence[float]
    errors: int
    seconds: float
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        """Successful requests per second over the whole run."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile in ms (0.0 when nothing succeeded)."""
        if not self.latencies_ms:
            return 0.0
        rank = max(1, math.ceil(fraction * len(self.latencies_ms)))
        return self.latencies_ms[rank - 1]

    @property
    def p50_ms(self) -> float:
        return self.percentile(0.50)

    @property
    def p99_ms(self) -> float:
        return self.percentile(0.99)

    def summary(self) -> dict[str, float | int]:
        """The figures every results.json row carries."""
        return {
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


def run_load(
    base_url: str, send: Send, *, connections: int, max_requests: int, max_seconds: float
) -> LoadResult:
    """Run ``send`` up to ``max_requests`` times over ``connections`` connections."""
    return asyncio.run(_run(base_url, send, connections, max_requests, max_seconds))


async def _run(
    base_url: str, send: Send, connections: int, max_requests: int, max_seconds: float
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    first_error = ""
    next_index = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker() -> None:
        nonlocal next_index, errors, first_error
        connection = Connection(base_url)
        try:
            while next_index < max_requests and time.perf_counter() < deadline:
                index, next_index = next_index, next_index + 1
                sent = time.perf_counter()
                try:
                    await send(connection, index)
                except Exception as error:  # counted, not fatal; the connection is reopened
                    errors += 1
                    first_error = first_error or f"{type(error).__name__}: {error}"
                    await connection.close()
                    continue
                latencies.append((time.perf_counter() - sent) * 1e3)
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return LoadResult(sorted(latencies), errors, time.perf_counter() - start, first_error)


def expect(response: Response, status: int) -> Response:
    """``response`` if it has ``status``; otherwise raise (the run counts an error)."""
    if response.status != status:
        raise RuntimeError(f"HTTP {response.status}, not {status}: {response.text[:200]}")
    return response
