"""What one running sandbox app holds: settings, store and rate limiter (lifespan state)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from .settings import SandboxSettings
from .store import Account, Store

_WINDOW_SECONDS = 60.0


class RateLimiter:
    """At most ``limit`` requests per key per minute; the minute starts at a key's first call.

    Windows start per key rather than on clock minutes, so a burst is never split in two
    by a minute boundary. In memory: limits reset when the sandbox restarts.
    """

    def __init__(self, limit: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def retry_after(self, key_hash: str) -> int | None:
        """Count one request; return seconds to wait if it is over the limit, else None."""
        if self._limit is None:
            return None
        with self._lock:
            now = self._clock()
            started, count = self._windows.get(key_hash, (now, 0))
            if now - started >= _WINDOW_SECONDS:
                started, count = now, 0
            if count >= self._limit:
                return max(1, math.ceil(started + _WINDOW_SECONDS - now))
            self._windows[key_hash] = (started, count + 1)
            return None


@dataclass(frozen=True)
class Sandbox:
    """The per-app state every route reads; created by the app's lifespan."""

    settings: SandboxSettings
    store: Store
    rate_limiter: RateLimiter


def sandbox_of(request: Request) -> Sandbox:
    """The ``Sandbox`` of the app serving ``request``."""
    sandbox = request.state.sandbox
    assert isinstance(sandbox, Sandbox)
    return sandbox


def base_url_of(request: Request) -> str:
    """The URL the client used to reach this server, so links work on any host and port."""
    return str(request.base_url).rstrip("/")


def checkout_url(base_url: str, topup_id: str) -> str:
    """The hosted checkout page of a top-up."""
    return f"{base_url}/checkout/{topup_id}"


def add_funds_url(base_url: str, account: Account) -> str:
    """The activation's add-funds link: the funding token is the capability."""
    return f"{base_url}/add-funds/{account.funding_token}"
