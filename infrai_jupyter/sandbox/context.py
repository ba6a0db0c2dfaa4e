"""What one running sandbox app holds (lifespan state), and what it derives from a request.

Links name the server's own address (``public_url`` or the bound one), never anything
the request says about itself; the client address is the socket peer, or what a
trusted proxy forwarded (see ``SandboxSettings.trusted_proxies``). A ``public_url`` that
is a root path (``/user/alice/proxy/8765``, behind a Jupyter server's proxy) makes links
root-relative and redirects name the browser's host (see ``page_location``).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.requests import Request

from .settings import SandboxSettings
from .store import Account, Instance, Store

_WINDOW_SECONDS = 60.0
_HOST_HEADER = re.compile(
    r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
"""A ``Host`` value fit to name in a ``Location``: a name or bracketed IPv6, and a port."""
_PRUNE_ABOVE = 10_000


class RateLimiter:
    """At most ``limit`` events per name per minute; the minute starts at a name's first event.

    Windows start per name rather than on clock minutes, so a burst is never split in two
    by a minute boundary. In memory, per process: limits reset when the sandbox restarts,
    and with ``--workers N`` each worker counts on its own, so a client spread over all
    workers may make up to N times the limit.
    """

    def __init__(self, limit: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def retry_after(self, name: str, limit: int | None = None) -> int | None:
        """Count one event; return seconds to wait if it is over the limit, else None.

        ``limit`` replaces the configured one for this call (a teacher's scenario).
        """
        limit = self._limit if limit is None else limit
        with self._lock:
            wait = self._blocked_for(name, limit)
            if wait is None:
                self._count(name, limit)
            return wait

    def blocked_for(self, name: str) -> int | None:
        """Seconds until ``name`` may act again, or None if it is under the limit."""
        with self._lock:
            return self._blocked_for(name, self._limit)

    def count(self, name: str) -> None:
        """Record one event for ``name``."""
        with self._lock:
            self._count(name, self._limit)

    def _window(self, name: str, now: float) -> tuple[float, int]:
        started, count = self._windows.get(name, (now, 0))
        return (now, 0) if now - started >= _WINDOW_SECONDS else (started, count)

    def _blocked_for(self, name: str, limit: int | None) -> int | None:
        if limit is None:
            return None
        now = self._clock()
        started, count = self._window(name, now)
        return max(1, math.ceil(started + _WINDOW_SECONDS - now)) if count >= limit else None

    def _count(self, name: str, limit: int | None) -> None:
        if limit is None:
            return
        now = self._clock()
        if len(self._windows) > _PRUNE_ABOVE:  # many names (addresses): forget finished minutes
            self._windows = {
                other: window
                for other, window in self._windows.items()
                if now - window[0] < _WINDOW_SECONDS
            }
        started, count = self._window(name, now)
        self._windows[name] = (started, count + 1)


@dataclass(frozen=True)
class Sandbox:
    """The per-app state every route reads; created by the app's lifespan.

    ``instance`` is this app's registration in the database (idempotency reservations);
    ``secret`` is the per-database key of its HMACs (checkout form tokens, replayable
    activation keys), created on first start.
    """

    settings: SandboxSettings
    store: Store
    instance: Instance
    secret: bytes
    rate_limiter: RateLimiter
    auth_failures: RateLimiter
    activations: RateLimiter


def sandbox_of(request: Request) -> Sandbox:
    """The ``Sandbox`` of the app serving ``request``."""
    sandbox = request.state.sandbox
    assert isinstance(sandbox, Sandbox)
    return sandbox


def http_url(host: str, port: int) -> str:
    """``http://host:port``, with an IPv6 host in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def base_url_of(request: Request) -> str:
    """Where this server's own pages live: ``public_url``, else the address it serves on.

    ``scope["server"]`` is the local address of the connection's socket: the bound
    address, or for a wildcard bind (``--allow-remote``) the interface the client reached.
    """
    configured = sandbox_of(request).settings.public_url
    if configured:
        return configured.rstrip("/")
    host, port = request.scope.get("server") or ("127.0.0.1", 80)
    return http_url(host, port)


def is_root_path(public_url: str | None) -> bool:
    """Whether ``public_url`` is a path on the browser's own origin (``/user/alice/proxy/8765``).

    A kernel behind JupyterHub's proxy knows its path there but not the hub's origin.
    """
    return public_url is not None and public_url.startswith("/") and not public_url.startswith("//")


def path_prefix(settings: SandboxSettings) -> str:
    """The path of ``public_url`` (``/sandbox``), or ``""``: where a proxy serves us."""
    return urlsplit(settings.public_url).path.rstrip("/") if settings.public_url else ""


def client_address(request: Request) -> str:
    """The peer's address (rewritten from ``X-Forwarded-For`` only by a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def checkout_url(base_url: str, topup_id: str) -> str:
    """The hosted checkout page of a top-up."""
    return f"{base_url}/checkout/{topup_id}"


def page_location(request: Request, route: str) -> str:
    """A ``Location`` for ``route`` (``/admin?done=reset``) that lands on the sandbox's page
    whichever proxy is in front.

    Behind a Jupyter server's proxy (a root-path ``public_url``) the sandbox knows its
    path on the browser's origin but not the origin; the request's ``Host`` names it (the
    browser's, which jupyter-server-proxy forwards and the 421 check has vetted). A
    scheme-relative ``//host/path`` keeps the browser's scheme, and since it names a host
    no proxy release rewrites it: 3.x and 4.0-4.4 rewrite nothing, 4.5 prefixes every
    ``Location`` without a host, relative ones included (so ``../admin`` leaves the
    prefix: jupyter-server-proxy#592), and 4.6 prefixes root-absolute ones.

    Otherwise the ``Location`` is relative to the page posted, which all but 4.5 leave
    alone: without a root-path ``public_url`` (the page was reached directly, or through
    a proxy that leaves relative redirects alone), without a well-formed ``Host``, and
    when ``Host`` names the port the connection reached: then it came straight to the
    sandbox, or through a proxy that names its upstream (nginx does by default), and
    that name is no address for the browser.
    """
    settings = sandbox_of(request).settings
    host, server = request.headers.get("host", ""), request.scope.get("server")
    forwarded = server is not None and host_port(host) != server[1]
    through_proxy = forwarded and _HOST_HEADER.fullmatch(host) is not None
    if is_root_path(settings.public_url) and through_proxy:
        return f"//{host}{path_prefix(settings)}{route}"
    path: str = request.scope["path"]  # the route's, once ``PathPrefixMiddleware`` ran
    return "../" * (path.count("/") - 1) + route.removeprefix("/")


def host_port(host: str) -> int | None:
    """The port a ``Host`` header names: 8765 of ``example.org:8765``, 80 when it names
    none (the sandbox speaks plain HTTP); None when it is not a number."""
    tail = host.rsplit("]", 1)[-1] if host.startswith("[") else host
    if tail.count(":") != 1:
        return 80
    digits = tail.rsplit(":", 1)[1]
    return int(digits) if digits.isascii() and digits.isdigit() else None


def checkout_location(request: Request, topup_id: str) -> str:
    """The ``Location`` that sends the browser on to a top-up's checkout page: the server's
    own absolute address, or behind a Jupyter server's proxy, ``page_location``'s."""
    base_url = base_url_of(request)
    if not is_root_path(base_url):
        return checkout_url(base_url, topup_id)
    return page_location(request, f"/checkout/{quote(topup_id, safe='')}")


def add_funds_url(base_url: str, account: Account) -> str:
    """The activation's add-funds link: the funding token is the capability."""
    return f"{base_url}/add-funds/{account.funding_token}"
