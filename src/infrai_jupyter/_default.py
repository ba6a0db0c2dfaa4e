"""The seed's module-level API: ``infra.activate()`` and ``account.balance()``.

Both talk through one shared default :class:`InfraiClient`, created at first use
(so importing reads no file and opens no connection). ``configure()`` replaces it,
which is how ``%infrai_sandbox start`` points a whole session at the sandbox.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import httpx

from ._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, InfraiClient
from .contract import Region
from .credentials import API_KEY_ENV, BASE_URL_ENV
from .resources import Keys, Tier, Topups
from .results import ActivateResult, Balance, TopupRecord


def _environment() -> tuple[str | None, str | None]:
    return os.environ.get(API_KEY_ENV), os.environ.get(BASE_URL_ENV)


class _DefaultClient:
    """Holds the shared client; a lock keeps two threads from creating two.

    A client made from the environment is made again when ``INFRAI_API_KEY`` or
    ``INFRAI_BASE_URL`` change (``%env`` in a notebook takes effect at once); one
    set with :func:`configure` or :func:`use_client` stays until replaced.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: InfraiClient | None = None
        self._made_from: tuple[str | None, str | None] | None = None

    def get(self) -> InfraiClient:
        with self._lock:
            stale = self._made_from is not None and self._made_from != _environment()
            if self._client is None or stale:
                previous = self._client
                self._client, self._made_from = InfraiClient(), _environment()
                if previous is not None:
                    previous.close()
            return self._client

    def replace(self, client: InfraiClient | None) -> None:
        with self._lock:
            previous, self._client, self._made_from = self._client, client, None
        if previous is not None:
            previous.close()


_default = _DefaultClient()


def default_client() -> InfraiClient:
    """The client behind ``infra`` and ``account`` (created on first use)."""
    return _default.get()


def configure(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> InfraiClient:
    """Point ``infra`` and ``account`` at a key and server; unset values use the fallbacks."""
    client = InfraiClient(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
    )
    _default.replace(client)
    return client


def use_client(client: InfraiClient) -> None:
    """Make ``client`` the one behind ``infra`` and ``account`` (the old one is closed)."""
    _default.replace(client)


def reset() -> None:
    """Forget the default client, so the next call reads the environment again."""
    _default.replace(None)


class Infra:
    """``infra``: onboarding."""

    def activate(
        self,
        *,
        region: Region = "auto",
        device_kind: str = "cli",
        write_credentials: bool = True,
        **options: Any,
    ) -> ActivateResult:
        """Anonymous account + device fingerprint + trial credit, in one call."""
        return default_client().activate(
            region=region, device_kind=device_kind, write_credentials=write_credentials, **options
        )


class AccountNamespace:
    """``account``: balance, top-ups, keys and tier through the default client."""

    def balance(self) -> Balance:
        return default_client().account.balance()

    def topup(
        self, *, amount_usd: Any, return_url: str | None = None, idempotency_key: str | None = None
    ) -> TopupRecord:
        return default_client().account.topup(
            amount_usd=amount_usd, return_url=return_url, idempotency_key=idempotency_key
        )

    @property
    def keys(self) -> Keys:
        return default_client().account.keys

    @property
    def tier(self) -> Tier:
        return default_client().account.tier

    @property
    def topups(self) -> Topups:
        return default_client().account.topups


infra = Infra()
account = AccountNamespace()
