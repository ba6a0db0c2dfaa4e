"""The shared load generator: N concurrent loopback connections, bounded in count and time.

One asyncio loop drives ``connections`` tasks over one ``httpx.AsyncClient`` whose pool
holds exactly that many keep-alive connections. Each task takes the next request number
until ``max_requests`` are done or ``max_seconds`` have passed, whichever comes first, so
every run ends by itself. Latency is measured per request from send to last byte.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from infrai_jupyter.sandbox.server import is_loopback

#: One request: send request number ``index`` on ``client``; raise if it did not succeed.
Send = Callable[[httpx.AsyncClient, int], Awaitable[None]]

_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class LoadResult:
    """What a run did: successful latencies (ms, sorted), failures and the wall time."""

    latencies_ms: Sequence[float]
    errors: int
    seconds: float

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
    host = urlsplit(base_url).hostname or ""
    if not is_loopback(host):
        raise ValueError(f"load is only ever sent to loopback, not {base_url}")
    return asyncio.run(_run(base_url, send, connections, max_requests, max_seconds))


async def _run(
    base_url: str, send: Send, connections: int, max_requests: int, max_seconds: float
) -> LoadResult:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    errors = 0
    next_index = 0
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=_TIMEOUT_S) as client:
        start = time.perf_counter()
        deadline = start + max_seconds

        async def worker() -> None:
            nonlocal next_index, errors
            while next_index < max_requests and time.perf_counter() < deadline:
                index, next_index = next_index, next_index + 1
                sent = time.perf_counter()
                try:
                    await send(client, index)
                except Exception:  # a failed request is counted, not fatal to the run
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - sent) * 1e3)

        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - start
    return LoadResult(sorted(latencies), errors, seconds)


def expect(response: httpx.Response, status: int) -> httpx.Response:
    """``response`` if it has ``status``; otherwise raise (the run counts an error)."""
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: HTTP {response.status_code}, not {status}")
    return response
