"""The seed's module-level API: ``infra.activate()`` and ``account.balance()``.

Both talk through one shared default :class:`InfraiClient`, created at first use
(so importing reads no file and opens no connection). ``configure()`` replaces it,
which is how ``%infrai_sandbox start`` points a whole session at the sandbox.
"""

from __future__ import annotations

import os
import threading
from decimal import Decimal
from typing import Any

import httpx

from ._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, InfraiClient
from ._network import Network, checked_network
from ._usage import UsageLedger, session_ledger
from .contract import Region
from .credentials import (
    API_KEY_ENV,
    BASE_URL_ENV,
    KeptAccount,
    StoredCredentials,
    credentials_path,
    forget_account,
    list_accounts,
    use_account,
)
from .resources import Keys, Tier, Topups
from .results import ActivateResult, Balance, TopupRecord


def _environment() -> tuple[str | None, str | None]:
    return os.environ.get(API_KEY_ENV), os.environ.get(BASE_URL_ENV)


class _DefaultClient:
    """Holds the shared client; a lock keeps two threads from creating two.

    A client made from the environment is made again when ``INFRAI_API_KEY`` or
    ``INFRAI_BASE_URL`` change (``%env`` in a notebook takes effect at once); one
    set with :func:`configure` or :func:`use_client` stays until replaced. The
    limits set with :func:`set_limits` apply to every client made here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: InfraiClient | None = None
        self._made_from: tuple[str | None, str | None] | None = None
        self._timeout = DEFAULT_TIMEOUT
        self._max_retries = DEFAULT_MAX_RETRIES
        self._network = Network()

    def get(self) -> InfraiClient:
        with self._lock:
            stale = self._made_from is not None and self._made_from != _environment()
            if self._client is None or stale:
                fresh = InfraiClient(
                    timeout=self._timeout,
                    max_retries=self._max_retries,
                    http_client=self._network.http_client(),
                )
                self._swap(fresh, made_from=_environment())
            assert self._client is not None
            return self._client

    def set_limits(self, timeout: httpx.Timeout, max_retries: int) -> None:
        with self._lock:
            self._timeout, self._max_retries = timeout, max_retries
            client = self._client
            if client is not None and (client.timeout, client.max_retries) != (
                timeout,
                max_retries,
            ):
                limited = client.with_options(timeout=timeout, max_retries=max_retries)
                self._swap(limited, made_from=self._made_from)

    @property
    def network(self) -> Network:
        return self._network

    def set_network(self, network: Network) -> None:
        """Send through another proxy or trust another CA: the next call makes a client."""
        with self._lock:
            if network != self._network:
                self._network = network
                self._swap(None, made_from=None)

    def holds_key(self, api_key: str) -> bool:
        with self._lock:
            return self._client is not None and self._client.config.api_key == api_key

    def replace(self, client: InfraiClient | None) -> None:
        with self._lock:
            self._swap(client, made_from=None)

    def _swap(
        self, client: InfraiClient | None, made_from: tuple[str | None, str | None] | None
    ) -> None:
        previous, self._client, self._made_from = self._client, client, made_from
        if previous is not None and previous is not client:
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
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        http_client=_default.network.http_client(),
    )
    _default.replace(client)
    return client


def set_limits(*, timeout: float | httpx.Timeout, max_retries: int) -> None:
    """Use these limits for the default client, now and whenever it is made again."""
    limits = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    _default.set_limits(limits, max_retries)


def configure_network(*, proxy: str | None = None, verify: bool | str = True) -> None:
    """Send every call of ``infra``/``account`` through ``proxy`` and trust ``verify`` (a CA
    file or directory, or a bool); raises ``ConfigurationError`` for settings that cannot work.

    A key the session adopted without saving it (``%infrai_login`` without ``--save``)
    is not carried over: set the network first.
    """
    _default.set_network(checked_network(proxy, verify))


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
        new_account: bool = False,
        **options: Any,
    ) -> ActivateResult:
        """Anonymous account + device fingerprint + trial credit, in one call.

        With an account already in use for the server it raises ``AccountExistsError``
        and sends nothing (re-running a cell never leaves a funded account behind);
        ``new_account=True`` makes another, and every key stays kept on disk.
        """
        return default_client().activate(
            region=region,
            device_kind=device_kind,
            write_credentials=write_credentials,
            new_account=new_account,
            **options,
        )


class AccountNamespace:
    """``account``: activation, balance, top-ups, keys, tier and the kept accounts."""

    def activate(self, **options: Any) -> ActivateResult:
        """``infra.activate(...)``, where the seed's API page files it: ``account.activate``."""
        return infra.activate(**options)

    def usage(self) -> UsageLedger:
        """Every call of this session: time, capability, status, exact cost, latency and
        request id, with totals (``.to_records()``, ``.to_csv()``, ``.to_dataframe()``)."""
        return session_ledger

    def accounts(self) -> list[KeptAccount]:
        """Every account kept in ``~/.infrai/credentials``, each marked active or not."""
        return list_accounts()

    def switch(self, which: str) -> StoredCredentials:
        """Use the kept account ``which`` names (account id, number from 1, or the key's
        last characters) from now on, in this session and the next."""
        chosen = use_account(which)
        configure(
            api_key=chosen.api_key,
            base_url=chosen.base_url,
            timeout=_default._timeout,
            max_retries=_default._max_retries,
        )
        default_client().use_key(chosen.api_key, str(credentials_path()))
        return chosen

    def forget(self, which: str) -> StoredCredentials:
        """Delete the kept account ``which`` names from disk, for good: its key is its money.

        The session stops using it if it was using it.
        """
        gone = forget_account(which)
        if _default.holds_key(gone.api_key):
            reset()
        return gone

    def balance(self) -> Balance:
        return default_client().account.balance()

    def topup(
        self,
        *,
        amount_usd: Decimal | float | str,
        return_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> TopupRecord:
        """Start a top-up; an amount the API refuses raises ``InvalidAmountError`` unsent."""
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
